/**
 * Edge benchmarks (SPEC §5): `npm run bench:edge`. Writes bench/results/edge.json.
 *
 *   this process ── autocannon (HTTP load) ──┐
 *   child 1: edge-bench-server.ts  ◄─────────┘  edge node, 100,000 tokens (rehydration timed here)
 *   child 2: edge-bench-ws-clients.ts ─────────► N WebSocket clients, delivery latency
 *
 * Three processes share the machine's cores: on 2 cores the load generators take CPU from the
 * server, so the numbers are a floor for the edge, not its ceiling. Env: EDGE_BENCH_TOKENS
 * (100000), EDGE_BENCH_WS_CLIENTS (10000), EDGE_BENCH_SECONDS (10).
 */
import autocannon from 'autocannon'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const TOKENS = Number(process.env.EDGE_BENCH_TOKENS ?? 100_000)
const WS_CLIENTS = Number(process.env.EDGE_BENCH_WS_CLIENTS ?? 10_000)
const SECONDS = Number(process.env.EDGE_BENCH_SECONDS ?? 10)

interface Child { proc: ChildProcessWithoutNullStreams, next: (type: string) => Promise<any>, send: (line: string) => void }

function child (script: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(here, script), ...args], { env: { ...process.env, ...env } })
  proc.stderr.on('data', d => process.stderr.write(d))
  const waiting: Array<{ type: string, resolve: (v: any) => void }> = []
  const queue: any[] = []
  createInterface({ input: proc.stdout }).on('line', line => {
    let msg: any
    try { msg = JSON.parse(line) } catch { process.stderr.write(line + '\n'); return }
    const w = waiting.findIndex(x => x.type === msg.type)
    if (w >= 0) waiting.splice(w, 1)[0].resolve(msg)
    else queue.push(msg)
  })
  return {
    proc,
    send: line => proc.stdin.write(line + '\n'),
    next: async type => {
      const q = queue.findIndex(x => x.type === type)
      if (q >= 0) return queue.splice(q, 1)[0]
      return await new Promise(resolve => waiting.push({ type, resolve }))
    }
  }
}

function tokenAddress (i: number): string { return '0x' + i.toString(16).padStart(40, '0') }
function pathOf (i: number): string { return '/v1/tokens/' + (i % 5 === 0 ? 'solana' : 'ethereum') + '/' + tokenAddress(i) }

async function cannon (port: number, opts: { connections: number, pipelining: number, compressed: boolean }): Promise<Record<string, any>> {
  let n = 0
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: opts.connections,
    pipelining: opts.pipelining,
    duration: SECONDS,
    headers: opts.compressed ? { 'accept-encoding': 'gzip' } : {},
    requests: [{ setupRequest: (req: any) => { n = (n + 7919) % TOKENS; req.path = pathOf(n); return req } }]
  })
  return {
    connections: opts.connections,
    pipelining: opts.pipelining,
    acceptEncoding: opts.compressed ? 'gzip' : null,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    bytesPerSecond: Math.round(result.throughput.average)
  }
}

const loadAtStart = loadavg()
const server = child('edge-bench-server.ts', [], { EDGE_BENCH_TOKENS: String(TOKENS) }, ['--expose-gc', '--max-old-space-size=8192'])
const ready = await server.next('ready')
console.log('server', ready)
const port = ready.port as number

const http = []
for (const o of [{ connections: 64, pipelining: 1, compressed: false }, { connections: 64, pipelining: 8, compressed: false }, { connections: 64, pipelining: 1, compressed: true }]) {
  server.send('{"cmd":"stats"}')
  const before = await server.next('stats')
  const r = await cannon(port, o)
  server.send('{"cmd":"stats"}')
  const after = await server.next('stats')
  // the server's own CPU per answered request: what one core could serve if the load generator
  // and the neighbours left it alone (autocannon shares the 2 cores with it)
  const requests = r.requestsPerSecond * SECONDS
  r.serverCpuShare = Number(((after.cpuUs - before.cpuUs) / 1e6 / SECONDS).toFixed(2))
  r.serverCpuUsPerRequest = Number(((after.cpuUs - before.cpuUs) / requests).toFixed(2))
  r.oneCoreCapacityPerSecond = Math.round(1e6 / r.serverCpuUsPerRequest)
  console.log('http', r)
  http.push(r)
}

const ws: any = { clients: WS_CLIENTS }
const clients = child('edge-bench-ws-clients.ts', [String(port), String(WS_CLIENTS), '1000'], {}, ['--max-old-space-size=4096'])
const cr = await clients.next('ready')
console.log('ws clients', cr)
ws.connectMs = cr.connectMs
ws.connectErrors = cr.errors
server.send('{"cmd":"stats"}')
ws.serverAfterConnect = await server.next('stats')
ws.runs = []
// each update goes to WS_CLIENTS / 1000 clients (1,000 hot tokens, one subscription per client)
for (const rate of [100, 500, 1000, 2000]) {
  clients.send('report'); await clients.next('report') // reset
  server.send('{"cmd":"stats"}')
  const before = await server.next('stats')
  server.send(JSON.stringify({ cmd: 'publish', rate, seconds: SECONDS, hot: 1000 }))
  const pub = await server.next('published')
  server.send('{"cmd":"stats"}')
  const after = await server.next('stats')
  await new Promise(resolve => setTimeout(resolve, 500))
  clients.send('report')
  const rep = await clients.next('report')
  const run = {
    updatesPerSecond: rate,
    published: pub.count,
    messagesReceived: rep.received,
    fanoutMessagesPerSecond: Math.round(rep.received / SECONDS),
    expectedMessages: pub.count * WS_CLIENTS / 1000,
    p50Ms: rep.p50,
    p99Ms: rep.p99,
    p999Ms: rep.p999,
    maxMs: rep.max,
    clientsClosed: rep.closed,
    // share of one core the edge used (publishing the updates included): below 1 means the
    // client process, not the edge, set the latency
    serverCpuShare: Number(((after.cpuUs - before.cpuUs) / 1e6 / SECONDS).toFixed(2))
  }
  console.log('ws', run)
  ws.runs.push(run)
  if (rep.p99 > 1000) break
}
server.send('{"cmd":"stats"}')
ws.serverAtEnd = await server.next('stats')
clients.send('exit')
server.send('{"cmd":"exit"}')
await new Promise(resolve => server.proc.once('exit', resolve))

const out = {
  bench: 'edge',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
  note: 'server, HTTP load generator and WebSocket clients run as three processes on the same machine',
  tokens: TOKENS,
  rehydration: {
    tokens: ready.tokens,
    topicBytes: ready.topicBytes,
    servingAfterMs: ready.rehydrateMs,
    allParsedAfterMoreMs: ready.parseWarmupMs,
    heapBytesPerToken: ready.heapBytesPerToken,
    firstRankedIndexBuildMs: ready.firstIndexBuildMs,
    updateWithOneIndexUs: ready.updateWithOneIndexUs
  },
  httpTokenLookups: http,
  websocket: ws,
  targets: { httpLookupsPerSecond: { floor: 20_000, goal: 100_000 }, wsClientsP99Under100ms: { floor: 10_000, goal: 50_000 }, rehydration100kMs: { floor: 5000, goal: 1000 } }
}
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'edge.json'), JSON.stringify(out, null, 2) + '\n')
console.log('wrote bench/results/edge.json')
