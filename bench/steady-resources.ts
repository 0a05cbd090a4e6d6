/**
 * What bench/steady.bench.ts reads about the machine and the services, without owning them:
 * the memory of a process found by the TCP port it listens on (the broker and Postgres were
 * started by scripts/services.sh, possibly from another checkout, so there is no pid file to
 * trust), Postgres' checkpoint table and WAL sizes, and figures out of Prometheus text.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import pg from 'pg'

/** inode of the socket listening on `port` (IPv4 or IPv6), or undefined */
function listeningInode (port: number): string | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try { text = readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address is addr:PORT; state 0A = LISTEN; inode is the 10th field
      if (f.length > 9 && f[1].endsWith(':' + hex) && f[3] === '0A') return f[9]
    }
  }
  return undefined
}

/** pid of the process listening on `port` (only processes this user may inspect are found) */
export function pidListeningOn (port: number): number | undefined {
  const inode = listeningInode(port)
  if (inode === undefined) return undefined
  const target = `socket:[${inode}]`
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    let fds: string[]
    try { fds = readdirSync(`/proc/${d}/fd`) } catch { continue }
    for (const fd of fds) {
      try { if (readlinkSync(`/proc/${d}/fd/${fd}`) === target) return Number(d) } catch { /* closed meanwhile */ }
    }
  }
  return undefined
}

function children (pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number)
  } catch { return [] }
}

function statusKb (pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? NaN : Number(m[1])
  } catch { return NaN }
}

/** proportional set size: shared pages divided among the processes that map them */
function pssKb (pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m === null ? NaN : Number(m[1])
  } catch { return NaN }
}

export interface ProcessMemory { pid: number, rssBytes: number, peakRssBytes: number }

/** RSS and peak RSS (VmHWM) of one process; NaN when it is gone */
export function processMemory (pid: number): ProcessMemory {
  return { pid, rssBytes: statusKb(pid, 'VmRSS') * 1024, peakRssBytes: statusKb(pid, 'VmHWM') * 1024 }
}

/**
 * Memory of a process and all its descendants (Postgres: the postmaster and its backends) as
 * the sum of their PSS, so the shared buffers are counted once rather than once per backend.
 */
export function treePssBytes (pid: number): { processes: number, pssBytes: number } {
  const all: number[] = []
  const walk = (p: number): void => { all.push(p); for (const c of children(p)) walk(c) }
  walk(pid)
  return { processes: all.length, pssBytes: all.reduce((a, p) => a + (pssKb(p) || 0), 0) * 1024 }
}

export interface PgSizes {
  /** pg_total_relation_size of volumer_checkpoints (all groups: the table is shared) */
  tableBytes: number
  /** rows and stored state bytes of this bench's group, and the newest checkpoint per partition */
  groupRows: number
  groupStateBytes: number
  newestPerPartition: Array<{ partition: number, stateBytes: number, inputOffset: number }>
  /** sum of pg_ls_waldir() (the whole cluster's WAL: other users write too) and the insert LSN */
  walDirBytes: number
  walLsnBytes: number
}

export async function pgSizes (pgUrl: string, group: string): Promise<PgSizes> {
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  try {
    const table = await client.query<{ b: string }>(`SELECT pg_total_relation_size('volumer_checkpoints')::text AS b`)
    const rows = await client.query<{ n: string, b: string | null }>(`SELECT count(*)::text AS n, sum(state_bytes)::text AS b FROM volumer_checkpoints WHERE group_id = $1`, [group])
    const newest = await client.query<{ partition: number, state_bytes: string, input_offset: string }>(
      `SELECT DISTINCT ON (partition) partition, state_bytes::text, input_offset::text FROM volumer_checkpoints WHERE group_id = $1 ORDER BY partition, input_offset DESC, id DESC`, [group])
    let walDirBytes = NaN
    try {
      walDirBytes = Number((await client.query<{ b: string }>(`SELECT coalesce(sum(size), 0)::text AS b FROM pg_ls_waldir()`)).rows[0].b)
    } catch { /* needs superuser or pg_monitor */ }
    const lsn = await client.query<{ b: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS b`)
    return {
      tableBytes: Number(table.rows[0].b),
      groupRows: Number(rows.rows[0].n),
      groupStateBytes: Number(rows.rows[0].b ?? 0),
      newestPerPartition: newest.rows.map((r) => ({ partition: Number(r.partition), stateBytes: Number(r.state_bytes), inputOffset: Number(r.input_offset) })),
      walDirBytes,
      walLsnBytes: Number(lsn.rows[0].b)
    }
  } finally { await client.end() }
}

/** one unlabelled sample from Prometheus text (NaN when absent) */
export function sample (text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m === null ? NaN : Number(m[1])
}

export interface HistogramSample { count: number, sum: number, buckets: Array<[number, number]> }

/** a histogram (cumulative buckets by upper bound) from Prometheus text */
export function histogram (text: string, name: string): HistogramSample {
  const buckets: Array<[number, number]> = []
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm')
  for (let m = re.exec(text); m !== null; m = re.exec(text)) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])])
  return { count: sample(text, name + '_count'), sum: sample(text, name + '_sum'), buckets }
}

/** histograms added bucket by bucket (several processes), or `b` minus `a` with sign -1 */
export function addHistograms (a: HistogramSample, b: HistogramSample, sign = 1): HistogramSample {
  if (a.buckets.length === 0) return sign === 1 ? b : { count: -b.count, sum: -b.sum, buckets: b.buckets.map(([le, n]) => [le, -n]) }
  return { count: a.count + sign * b.count, sum: a.sum + sign * b.sum, buckets: a.buckets.map(([le, n], i) => [le, n + sign * (b.buckets[i]?.[1] ?? 0)]) }
}

/** the upper bound of the bucket holding quantile q (a histogram only knows that much) */
export function quantileBound (h: HistogramSample, q: number): number {
  if (!(h.count > 0)) return NaN
  for (const [le, n] of h.buckets) if (n >= q * h.count) return le
  return Infinity
}

export const MB = (b: number): number => Math.round(b / 1e5) / 10
