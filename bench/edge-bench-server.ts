/**
 * Child process of bench/edge.bench.ts: an edge node holding N tokens (default 100,000).
 * Measures rehydration (a feed replaying the compacted topic's JSON values: JSON.parse + store),
 * the first ranked-index build, then serves. Commands on stdin, one JSON line each:
 *   {"cmd":"publish","rate":1000,"seconds":10,"hot":1000}  update `hot` tokens round-robin at `rate`/s,
 *                                                          asOf = publish time (clients measure delivery)
 *   {"cmd":"stats"}   memory and server counters
 * Env: EDGE_BENCH_TOKENS, EDGE_BENCH_TOP_CACHE_BYTES (the /v1/top answer cache; 0 = off)
 * Answers are JSON lines on stdout.
 */
import { createInterface } from 'node:readline'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createEdgeServer } from '../src/edge/edge-server.js'
import type { StatsFeed, StatsRecordHandler } from '../src/edge/stats-feed.js'
import type { StatsObject, WindowStats } from '../src/engine/stats.js'

const N = Number(process.env.EDGE_BENCH_TOKENS ?? 100_000)
const WINDOWS: Array<[string, number]> = [['1m', 60e3], ['5m', 300e3], ['15m', 900e3], ['30m', 1800e3], ['1h', 3600e3], ['2h', 7200e3],
  ['4h', 14400e3], ['6h', 21600e3], ['8h', 28800e3], ['12h', 43200e3], ['24h', 86400e3]]

let seed = 12345
function rnd (): number { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
function dec (max: number): string { return (Math.floor(rnd() * max * 1e6) / 1e6).toString() }

export function tokenAddress (i: number): string { return '0x' + i.toString(16).padStart(40, '0') }

function stats (i: number, asOf: number): StatsObject {
  const windows: Record<string, WindowStats> = {}
  const active = rnd() < 0.7
  for (const [w, len] of WINDOWS) {
    const has = active && rnd() < 0.8
    const p = 1 + rnd() * 100
    windows[w] = {
      from: new Date(asOf - len).toISOString(),
      to: new Date(asOf + 1000).toISOString(),
      volumeUsd: has ? dec(1e6) : '0',
      buyVolumeUsd: has ? dec(5e5) : '0',
      sellVolumeUsd: has ? dec(5e5) : '0',
      volume: has ? dec(1e4) : '0',
      buyVolume: has ? dec(5e3) : '0',
      sellVolume: has ? dec(5e3) : '0',
      txns: has ? Math.floor(rnd() * 500) : 0,
      buys: has ? Math.floor(rnd() * 250) : 0,
      sells: has ? Math.floor(rnd() * 250) : 0,
      traders: has ? Math.floor(rnd() * 200) : 0,
      buyers: has ? Math.floor(rnd() * 100) : 0,
      sellers: has ? Math.floor(rnd() * 100) : 0,
      open: has ? p : null,
      close: has ? p * (0.9 + rnd() * 0.2) : null,
      high: has ? p * 1.1 : null,
      low: has ? p * 0.9 : null,
      priceChangePct: has ? rnd() * 20 - 10 : null,
      vwap: has ? p : null
    }
  }
  return {
    chain: i % 5 === 0 ? 'solana' : 'ethereum',
    token: tokenAddress(i),
    asOf: new Date(asOf).toISOString(),
    lastPrice: 1 + rnd() * 100,
    lastTradeAt: new Date(asOf - 1500).toISOString(),
    firstSeenAt: new Date(asOf - 86400e3).toISOString(),
    windows
  }
}

function keyOf (i: number): string { return (i % 5 === 0 ? 'solana' : 'ethereum') + ':' + tokenAddress(i) }

// the compacted topic as the Kafka adapter would read it: value text per key
const t0 = Date.now()
const topic: Array<[string, string]> = new Array(N)
for (let i = 0; i < N; i++) topic[i] = [keyOf(i), JSON.stringify(stats(i, t0))]
const topicBytes = topic.reduce((n, [k, v]) => n + k.length + v.length, 0)

/** replays the values' text in batches, as a Kafka-backed feed hands it over (the edge parses lazily) */
function replayFeed (): StatsFeed & { live: (key: string, json: string) => void } {
  let onRec: StatsRecordHandler | null = null
  return {
    async start (onRecord, onCaughtUp) {
      onRec = onRecord
      void (async () => {
        for (let i = 0; i < topic.length; i += 5000) {
          const end = Math.min(topic.length, i + 5000)
          for (let k = i; k < end; k++) { const [key, json] = topic[k]; onRecord(key, json) }
          await new Promise(resolve => setImmediate(resolve))
        }
        onCaughtUp()
      })()
    },
    async close () { onRec = null },
    live (key, json) { if (onRec !== null) onRec(key, json) }
  }
}

const feed = replayFeed()
const heapBefore = process.memoryUsage().heapUsed
const tStart = performance.now()
const server = await createEdgeServer({
  port: 0,
  host: '127.0.0.1',
  feed,
  logger: pino({ level: 'warn' }),
  metricsRegistry: new Registry(),
  ws: { maxSubscriptions: 256, heartbeatMs: 0 },
  // bench/edge-top.bench.ts compares /v1/top with the answer cache off (0) and on
  ...(process.env.EDGE_BENCH_TOP_CACHE_BYTES !== undefined ? { topCacheBytes: Number(process.env.EDGE_BENCH_TOP_CACHE_BYTES) } : {})
})
await server.caughtUp
const rehydrateMs = performance.now() - tStart
// the background warm-up parses every token; time until it is done
const tWarm = performance.now()
await new Promise<void>(resolve => { const check = (): void => { if (server.store.warm(0) === 0) resolve(); else setTimeout(check, 20) }; check() })
const warmMs = performance.now() - tWarm
global.gc?.()
const heapAfter = process.memoryUsage().heapUsed
const tIx = performance.now()
server.store.top({ stat: 'volumeUsd', window: '5m', chain: null, limit: 50, descending: true })
const firstIndexMs = performance.now() - tIx
// incremental cost of an update (JSON text in, parsed because one ranked index is live)
const updates: string[] = []
for (let i = 0; i < 20_000; i++) updates.push(JSON.stringify(stats(i, t0 + 1000)))
const tUpd = performance.now()
for (let i = 0; i < 20_000; i++) feed.live(keyOf(i), updates[i])
const updateUs = (performance.now() - tUpd) * 1000 / 20_000
const tLook = performance.now()
let bytes = 0
for (let i = 0; i < 200_000; i++) { const e = server.store.get(keyOf((i * 7919) % N)); if (e !== undefined) bytes += (e.json ?? '').length }
const lookupNs = (performance.now() - tLook) * 1e6 / 200_000
function send (obj: unknown): void { process.stdout.write(JSON.stringify(obj) + '\n') }
send({
  type: 'ready',
  port: server.port,
  tokens: server.store.size,
  topicBytes,
  rehydrateMs: Math.round(rehydrateMs),
  parseWarmupMs: Math.round(warmMs),
  heapBytesPerToken: Math.round((heapAfter - heapBefore) / N),
  firstIndexBuildMs: Math.round(firstIndexMs),
  updateWithOneIndexUs: Number(updateUs.toFixed(2)),
  storeLookupNs: Number(lookupNs.toFixed(1)),
  lookupBytes: bytes
})

const rl = createInterface({ input: process.stdin })
rl.on('line', line => {
  const msg = JSON.parse(line) as { cmd: string, rate?: number, seconds?: number, hot?: number }
  if (msg.cmd === 'publish') {
    const rate = msg.rate ?? 1000
    const hot = msg.hot ?? 1000
    const until = Date.now() + (msg.seconds ?? 10) * 1000
    let n = 0
    const began = Date.now()
    // publish in 10 ms slices so the rate is smooth; asOf carries the publish time
    const timer = setInterval(() => {
      const due = Math.floor((Date.now() - began) * rate / 1000)
      const now = Date.now()
      while (n < due) { const i = n % hot; feed.live(keyOf(i), JSON.stringify(stats(i, now))); n++ }
      if (now >= until) { clearInterval(timer); send({ type: 'published', count: n }) }
    }, 10)
  } else if (msg.cmd === 'stats') {
    const m = process.memoryUsage()
    const cpu = process.cpuUsage()
    send({ type: 'stats', rssMB: Math.round(m.rss / 1e6), heapMB: Math.round(m.heapUsed / 1e6), clients: server.hub.clients, subscriptions: server.hub.subscriptions, cpuUs: cpu.user + cpu.system })
  } else if (msg.cmd === 'exit') {
    void server.close().then(() => process.exit(0))
  }
})
