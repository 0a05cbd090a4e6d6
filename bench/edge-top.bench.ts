/**
 * /v1/top with the encoded-answer cache off and on (issue #20 §3): `npm run bench:edge-top`.
 * Writes bench/results/edge-top.json.
 *
 * Two edge nodes of 2,000 tokens (11 windows each, bench/edge-bench-server.ts) run side by side,
 * one with topCacheBytes 0; autocannon runs against each in turn, alternating, so both see the
 * same machine load. Queries: one fixed `window=24h&limit=500`, and 8 rotating (stat, window)
 * lists at limit=500 and at limit=50; each idle and while the node applies 200 updates/s (all
 * 2,000 tokens in turn, new random values; a record drops the cached lists it can change: with
 * limit=500 of 2,000 tokens, most of them). The 1-minute load average is recorded beside every figure: the machine may be shared.
 * Env: EDGE_TOP_BENCH_SECONDS (5), EDGE_TOP_BENCH_ROUNDS (2).
 */
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const SECONDS = Number(process.env.EDGE_TOP_BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.EDGE_TOP_BENCH_ROUNDS ?? 2)

interface Node { name: string, port: number, send: (cmd: unknown) => void, next: (type: string) => Promise<any>, exited: Promise<void> }

async function node (name: string, cacheBytes: number | undefined): Promise<Node> {
  const env: Record<string, string> = { ...process.env as Record<string, string>, EDGE_BENCH_TOKENS: '2000' }
  if (cacheBytes !== undefined) env.EDGE_BENCH_TOP_CACHE_BYTES = String(cacheBytes)
  const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'edge-bench-server.ts')], { env, stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting: Array<{ type: string, resolve: (v: any) => void }> = []
  const queued: any[] = []
  createInterface({ input: proc.stdout }).on('line', line => {
    const msg = JSON.parse(line)
    const w = waiting.findIndex(x => x.type === msg.type)
    if (w >= 0) waiting.splice(w, 1)[0].resolve(msg)
    else queued.push(msg)
  })
  const next = async (type: string): Promise<any> => {
    const q = queued.findIndex(x => x.type === type)
    if (q >= 0) return queued.splice(q, 1)[0]
    return await new Promise(resolve => waiting.push({ type, resolve }))
  }
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  const ready = await next('ready')
  return { name, port: ready.port, send: cmd => proc.stdin.write(JSON.stringify(cmd) + '\n'), next, exited }
}

const LISTS = ['volumeUsd|24h', 'txns|1h', 'traders|5m', 'buyVolumeUsd|24h', 'priceChangePct|1h', 'sells|12h', 'volumeUsd|1m', 'high|6h']
const rotating = (limit: number): string[] => LISTS.map(s => { const [stat, window] = s.split('|'); return `/v1/top?stat=${stat}&window=${window}&limit=${limit}` })
const QUERIES: Array<{ name: string, paths: string[] }> = [
  { name: 'window=24h&limit=500', paths: ['/v1/top?window=24h&limit=500'] },
  { name: '8 rotating lists, limit=500', paths: rotating(500) },
  { name: '8 rotating lists, limit=50', paths: rotating(50) }
]

async function cannon (port: number, paths: string[]): Promise<{ rps: number, p50: number, p99: number, non2xx: number, errors: number }> {
  let n = 0
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${paths[0]}`,
    connections: 16,
    duration: SECONDS,
    requests: paths.length > 1 ? [{ setupRequest: (req: any) => { req.path = paths[n++ % paths.length]; return req } }] : undefined
  })
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }
}

const nodes = [await node('cache off', 0), await node('cache on', undefined)]
const runs: any[] = []
for (let round = 0; round < ROUNDS; round++) {
  for (const updates of [0, 200]) {
    for (const q of QUERIES) {
      for (const n of nodes) {
        if (updates > 0) n.send({ cmd: 'publish', rate: updates, seconds: SECONDS, hot: 2000 })
        const r = await cannon(n.port, q.paths)
        if (updates > 0) await n.next('published')
        const run = { round, node: n.name, query: q.name, updatesPerSecond: updates, ...r, load1: Number(loadavg()[0].toFixed(2)) }
        console.log(JSON.stringify(run))
        runs.push(run)
      }
    }
  }
}
for (const n of nodes) n.send({ cmd: 'exit' })
await Promise.all(nodes.map(async n => await n.exited))

const summary: Record<string, { off: number, on: number, speedup: number }> = {}
for (const r of runs) {
  const k = `${r.query}, ${r.updatesPerSecond} updates/s`
  summary[k] ??= { off: 0, on: 0, speedup: 0 }
  if (r.node === 'cache off') summary[k].off += r.rps / ROUNDS
  else summary[k].on += r.rps / ROUNDS
}
for (const s of Object.values(summary)) { s.off = Math.round(s.off); s.on = Math.round(s.on); s.speedup = Number((s.on / s.off).toFixed(1)) }
console.table(summary)
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'edge-top.json'), JSON.stringify({
  bench: 'edge-top',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, note: 'shared with other engineers\' builds and tests; load1 beside each run' },
  tokens: 2000,
  secondsPerRun: SECONDS,
  summaryRequestsPerSecond: summary,
  runs
}, null, 2) + '\n')
console.log('wrote bench/results/edge-top.json')
