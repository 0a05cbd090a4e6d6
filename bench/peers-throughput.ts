/**
 * One throughput run of `bench:peers`: Volumer's processor or the Kafka Streams peer on the input
 * of `bench:processor` (505,039 Avro swaps over 50,000 tokens, seed 61, 1 % duplicates, 12
 * partitions, produced onto fresh topics), timed on that bench's clock: from the processor being
 * ready (Volumer: /readyz; the peer: Kafka Streams RUNNING) until the group's committed offsets
 * reach the end of every input partition.
 *
 * Adapted from `../shared/peers/kstreams/side-by-side.mts` (the peer's author's driver, the
 * source of the 2026-12-07 figures in issue #21), without its output check and per-topic byte
 * counts: here it is a function the bench calls in turn for each side, in one process.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestCluster } from '../test/helpers/cluster.js'
import { ProcessorFleet } from '../test/helpers/processor-process.js'
import { REPO_ROOT } from '../test/helpers/sample-data.js'
import { buildStream, createInputProducer } from '../test/helpers/swap-stream.js'

const WINDOWS = '1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h'

export interface ThroughputOptions {
  side: 'volumer' | 'peer'
  swaps: number
  tokens: number
  /** the peer's shaded jar (side 'peer') */
  jar?: string
  /** JVM flags of the peer, e.g. ['-Xms1g', '-Xmx1g'] */
  javaOpts?: string[]
  /** the peer's own flags, e.g. ['--threads', '1'] */
  peerArgs?: string[]
}

export interface ThroughputRun {
  side: 'volumer' | 'peer'
  /** 1-minute load average when the run started (before its input is produced) */
  loadAtStart: number
  loadAtEnd: number
  inputs: number
  produceSeconds: number
  startToReadySeconds: number
  seconds: number
  swapsPerSecond: number
  /** the processor's CPU seconds (all threads) over the timed part */
  cpuSeconds: number
  rssMbAtEnd: number
  endedAt: string
  /** Volumer only: from its /metrics */
  transactions?: number
  meanCommitMs?: number
  /** Volumer only: 12 when nothing moved during the run */
  partitionRestores?: number
  rebalanceCarries?: number
  /** Volumer only: warn/error messages among its last 200 log lines, with counts */
  warnings?: Record<string, number>
}

const round2 = (x: number): number => Math.round(x * 100) / 100

/** utime + stime of a live process, seconds */
function cpuSeconds (pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch { return NaN }
}

function rssMb (pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(s)?.[1] ?? NaN) / 1024)
  } catch { return NaN }
}

interface Started { pid: number, stop: () => Promise<void>, extra: () => Promise<Partial<ThroughputRun>>, cleanup: () => void }

async function startVolumer (cluster: Awaited<ReturnType<typeof createTestCluster>>): Promise<Started> {
  // bench:processor's throughput phase without --cpu-prof
  const fleet = new ProcessorFleet(cluster, { windows: WINDOWS, cycle: '50ms' })
  const p = fleet.start('peers-bench', { windows: WINDOWS, checkpointInterval: '10s' })
  await p.waitReady()
  return {
    pid: p.pid,
    stop: async () => { await p.stop(120_000); await fleet.stopAll() },
    extra: async () => {
      const m = await p.metrics()
      const v = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m)?.[1] ?? NaN)
      const n = v('volumer_processor_commit_duration_seconds_count')
      // what an outlier run needs explained: partitions restored more than once (a rebalance under
      // load), transactions carried over, and the warnings among the last 200 log lines
      const warnings: Record<string, number> = {}
      for (const l of p.lines) if (l.level >= 40) warnings[l.msg] = (warnings[l.msg] ?? 0) + 1
      return {
        transactions: n,
        meanCommitMs: Number((v('volumer_processor_commit_duration_seconds_sum') / n * 1000).toFixed(1)),
        partitionRestores: p.restores,
        rebalanceCarries: p.rebalanceCarries,
        warnings
      }
    },
    cleanup: () => {}
  }
}

async function startPeer (cluster: Awaited<ReturnType<typeof createTestCluster>>, o: ThroughputOptions): Promise<Started> {
  if (o.jar === undefined) throw new Error('the peer run needs the jar')
  const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-peer-state-'))
  const child = spawn('java', [...(o.javaOpts ?? ['-Xms1g', '-Xmx1g']), '-jar', o.jar,
    '--bootstrap', process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092',
    '--app-id', cluster.group, '--input', cluster.topics.swaps, '--output', cluster.topics.stats,
    '--swap-schema', join(REPO_ROOT, 'schemas', 'swap.avsc'), '--state-dir', stateDir, ...(o.peerArgs ?? [])],
  { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.once('close', resolve))
  const running = new Promise<void>((resolve, reject) => {
    let buf = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (c: string) => {
      buf += c
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1)
        if (line.startsWith('STATE RUNNING')) resolve()
        if (line.startsWith('STATE ERROR') || line.startsWith('STATE NOT_RUNNING')) reject(new Error(line))
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (c: string) => { if (/ERROR|Exception/.test(c)) process.stderr.write('  peer: ' + c) })
    void exited.then((code) => reject(new Error(`the peer exited (${String(code)}) before RUNNING`)))
  })
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    await exited
    clearTimeout(timer)
  }
  try { await running } catch (e) { await stop(); rmSync(stateDir, { recursive: true, force: true }); throw e }
  return { pid: child.pid!, stop, extra: async () => ({}), cleanup: () => rmSync(stateDir, { recursive: true, force: true }) }
}

/** One run on fresh topics; topics, group, checkpoints and the peer's changelog and state are deleted after it. */
export async function throughputRun (o: ThroughputOptions): Promise<ThroughputRun> {
  const loadAtStart = round2(loadavg()[0])
  const cluster = await createTestCluster({ name: `peers-${o.side}`, partitions: 12 })
  let started: Started | undefined
  try {
    const t0 = performance.now()
    const inputs = buildStream({ swaps: o.swaps, tokens: o.tokens, seed: 61, now: Date.now(), badEvery: 0, duplicateRate: 0.01, disorderRate: 0.1, spanMs: 600_000 })
    const input = await createInputProducer(cluster, 20)
    for (let i = 0; i < inputs.length; i += 10_000) {
      input.send(inputs.slice(i, i + 10_000))
      if (i % 100_000 === 0) await input.producer.flush()
    }
    await input.close()
    const produceSeconds = (performance.now() - t0) / 1000

    const spawnedAt = performance.now()
    started = o.side === 'volumer' ? await startVolumer(cluster) : await startPeer(cluster, o)
    const startToReadySeconds = (performance.now() - spawnedAt) / 1000

    const pid = started.pid
    const cpu0 = cpuSeconds(pid)
    const t = performance.now()
    await cluster.waitCaughtUp(600_000)
    const seconds = (performance.now() - t) / 1000
    const run: ThroughputRun = {
      side: o.side,
      loadAtStart,
      loadAtEnd: round2(loadavg()[0]),
      inputs: inputs.length,
      produceSeconds: round2(produceSeconds),
      startToReadySeconds: round2(startToReadySeconds),
      seconds: round2(seconds),
      swapsPerSecond: Math.round(inputs.length / seconds),
      cpuSeconds: Number((cpuSeconds(pid) - cpu0).toFixed(1)),
      rssMbAtEnd: rssMb(pid),
      endedAt: new Date().toISOString(),
      ...(await started.extra())
    }
    return run
  } finally {
    if (started !== undefined) { await started.stop().catch(() => {}); started.cleanup() }
    try {
      const a = await cluster.log.createAdmin()
      try { await a.deleteTopics([`${cluster.group}-token-state-changelog`]) } catch { /* a Volumer run has none */ } finally { await a.close() }
    } catch { /* best effort */ }
    await cluster.close()
  }
}
