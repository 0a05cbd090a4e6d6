/**
 * Candles (issue #22 §1): memory per candle and a candle query's p99 (floor 20 ms):
 * `npm run bench:candles`. Writes bench/results/candles.json.
 *
 * 1. processor: a CandleBook (src/engine/candles.ts) fed CANDLE_BENCH_MINUTES (10) of swaps at
 *    1,000 swaps/s over 20,000 tokens, token activity Zipf(1.1) like the swap generator's; heap
 *    per candle held (after a forced GC), candles per swap, and add() throughput.
 *    Then the time to read those candles back as a restore does (from the in-process log).
 * 2. edge: a CandleStore (src/edge/candle-store.ts) filled with full-day series of every default
 *    interval for CANDLE_BENCH_EDGE_TOKENS tokens; heap per candle held.
 * 3. a day at 1,000 swaps/s over 20,000 tokens: the expected number of candles the edge holds,
 *    Σ over tokens and intervals of (periods in a day) × P(a period has a swap) under the same
 *    Zipf, times the measured bytes per candle (an estimate from a measured figure, not a day run).
 * 4. over HTTP to an edge node in this process (undici, one connection, sequential): GET
 *    /v1/tokens/{chain}/{token}/candles?interval=…&to=…&limit=300 and /udf/history with
 *    countback=300, random tokens, intervals and end times.
 * The 1-minute load average is recorded beside every figure: the machine may be shared.
 * CANDLE_BENCH_MODE=day measures a day's candles in an edge instead (bench/candles-day.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Agent, request } from 'undici'
import { createEdgeServer } from '../src/edge/edge-server.js'
import { createMemoryStatsFeed } from '../src/edge/stats-feed.js'
import { createMemoryCandleFeed } from '../src/edge/candle-feed.js'
import { CandleStore } from '../src/edge/candle-store.js'
import { CandleBook, candleKey, type Candle } from '../src/engine/candles.js'
import { DEFAULT_CANDLE_INTERVALS, candleStart } from '../src/engine/candle-intervals.js'
import { createZipfSampler } from '../src/generator/zipf.js'
import { createMemoryLog } from '../src/log/memory-log.js'
import { createCandlePublisher } from '../src/processor/candle-publisher.js'
import { Random } from '../src/generator/random.js'
import { parseDecimal18, type Decimal18 } from '../src/swap/decimal18.js'
import type { Swap } from '../src/swap/swap.js'
import { createRandom } from '../test/helpers/seeded-random.js'

if (process.env.CANDLE_BENCH_MODE === 'day') {
  // a day's candles in an edge, measured: its own process (bench/candles-day.ts)
  await import('./candles-day.js')
  process.exit(0)
}

const here = dirname(fileURLToPath(import.meta.url))
const MINUTES = Number(process.env.CANDLE_BENCH_MINUTES ?? 10)
const EDGE_TOKENS = Number(process.env.CANDLE_BENCH_EDGE_TOKENS ?? 400)
const Q = Number(process.env.CANDLE_BENCH_QUERIES ?? 2000)
const TOKENS = 20_000
const RATE = 1000
const ZIPF = 1.1
const T0 = Date.UTC(2026, 11, 7, 0, 0, 0)
const r = createRandom(22)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:candles does)')
// typed arrays live outside the V8 heap: both count
const heap = (): number => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers }
function pct (xs: number[], p: number): number { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const round3 = (x: number): number => Math.round(x * 1000) / 1000
const load = (): number => Number(loadavg()[0].toFixed(2))
const dec = (t: string): Decimal18 => parseDecimal18(t) as Decimal18
const runs: unknown[] = []
const note = (o: Record<string, unknown>): void => { const x = { ...o, load1: load() }; console.log(JSON.stringify(x)); runs.push(x) }

// ── 1. processor: CandleBook ──
const zipf = createZipfSampler(TOKENS, ZIPF)
const zr = new Random(22)
const tokens = Array.from({ length: TOKENS }, (_, i) => '0x' + i.toString(16).padStart(40, '0'))
const amounts = Array.from({ length: 256 }, () => dec((1 + r() * 1000).toFixed(6)))
const usds = Array.from({ length: 256 }, () => dec((10 + r() * 5000).toFixed(6)))
const h0 = heap()
const book = new CandleBook(DEFAULT_CANDLE_INTERVALS)
const n = MINUTES * 60 * RATE
const swap: Swap = { id: '', chain: 'ethereum', blockNumber: 0, logIndex: 0, blockTime: 0, token: '', quoteToken: undefined, pool: undefined, trader: 't', side: 0, amount: amounts[0], amountUsd: usds[0], price: 1 }
let t0 = performance.now()
for (let i = 0; i < n; i++) {
  swap.token = tokens[zipf.sample(zr) - 1]
  swap.blockTime = T0 + Math.floor(i / RATE * 1000)
  swap.blockNumber = Math.floor(i / 12)
  swap.logIndex = i % 12
  swap.side = (i & 1) as 0 | 1
  swap.amount = amounts[i & 255]
  swap.amountUsd = usds[(i * 7) & 255]
  swap.price = 1 + (i % 1000) / 1000
  book.add(swap)
  if ((i & 0xffff) === 0) book.drain(() => {})
}
const addSeconds = (performance.now() - t0) / 1000
book.drain(() => {})
const h1 = heap()
note({ part: 'processor CandleBook', minutes: MINUTES, swaps: n, tokens: book.tokenCount, candles: book.size, candlesPerSwap: round3(book.size / n), bytesPerCandle: Math.round((h1 - h0) / book.size), poolBytesPerCandle: Math.round(book.poolBytes / book.size), addsPerSecond: Math.round(n / addSeconds) })

// ── 1b. a processor's restore: its partition of `candles` read back (in-process log) ──
{
  const log = createMemoryLog()
  const admin = await log.createAdmin()
  await admin.createTopics([{ name: 'candles', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }])
  await admin.close()
  const producer = await log.createProducer()
  let records = 0
  for (const c of book.all()) {
    producer.send({ topic: 'candles', partition: 0, key: Buffer.from(candleKey(c.chain, c.token, c.interval, Date.parse(c.start))), value: Buffer.from(JSON.stringify(c)) })
    records++
  }
  await producer.flush()
  await producer.close()
  const pub = createCandlePublisher({ log, topic: 'candles', intervals: DEFAULT_CANDLE_INTERVALS, logger: pino({ level: 'silent' }) })
  const res = await pub.restore(0, -Infinity)
  note({ part: 'processor restore from candles (in-process log)', records, candles: res.candles, seconds: round3(res.seconds), recordsPerSecond: Math.round(records / res.seconds) })
  await log.close()
}

// ── 2. edge: CandleStore ──
function candleOf (token: string, iv: typeof DEFAULT_CANDLE_INTERVALS[number], start: number): Candle {
  const p = 1000 + r() * 2000
  return {
    chain: 'ethereum', token, interval: iv.name, start: new Date(start).toISOString(), end: new Date(start + iv.ms).toISOString(),
    open: p, high: p * 1.01, low: p * 0.99, close: p * (0.99 + r() * 0.02),
    volumeUsd: (r() * 1e6).toFixed(6), buyVolumeUsd: (r() * 5e5).toFixed(6), sellVolumeUsd: (r() * 5e5).toFixed(6), volume: (r() * 1e3).toFixed(9),
    txns: 1 + Math.floor(r() * 500), buys: Math.floor(r() * 250), sells: Math.floor(r() * 250), openSwap: [start, 1, 0], closeSwap: [start, 1, 1]
  }
}
const DAY = 86_400_000
const END = T0 + DAY
const edgeTokens = tokens.slice(0, EDGE_TOKENS)
const feed = createMemoryCandleFeed()
// the restore's log and buffers above are freed asynchronously: settle before the baseline
// (the first locked run measured a negative heap delta here)
await new Promise((resolve) => setTimeout(resolve, 500))
const h2 = heap()
const store = new CandleStore()
let made = 0
for (const tok of edgeTokens) {
  for (const iv of DEFAULT_CANDLE_INTERVALS) {
    for (let s = candleStart(END - DAY, iv.ms); s < END; s += iv.ms) {
      const c = candleOf(tok, iv, s)
      store.apply(candleKey('ethereum', tok, iv.name, s), c)
      made++
    }
  }
}
const h3 = heap()
// the larger of the heap delta and the arrays' own bytes: a conservative figure
const edgeBytesPerCandle = Math.max((h3 - h2) / store.size, store.arrayBytes / store.size)
note({ part: 'edge CandleStore', tokens: EDGE_TOKENS, candles: store.size, series: store.seriesCount, heapBytesPerCandle: Math.round((h3 - h2) / store.size), arrayBytesPerCandle: Math.round(store.arrayBytes / store.size), bytesPerCandle: Math.round(edgeBytesPerCandle) })

// ── 3. a day at 1,000 swaps/s over 20,000 tokens: expected candles held ──
let expected = 0
const perInterval: Record<string, number> = {}
for (const iv of DEFAULT_CANDLE_INTERVALS) {
  let c = 0
  for (let k = 1; k <= TOKENS; k++) {
    const perPeriod = RATE * zipf.probability(k) * iv.ms / 1000
    c += Math.ceil(DAY / iv.ms) * (1 - Math.exp(-perPeriod))
  }
  perInterval[iv.name] = Math.round(c)
  expected += c
}
note({ part: 'day estimate (edge)', swapsPerSecond: RATE, tokens: TOKENS, zipf: ZIPF, expectedCandles: Math.round(expected), perInterval, bytesPerCandle: Math.round(edgeBytesPerCandle), estimatedMB: Math.round(expected * edgeBytesPerCandle / 1e6) })

// ── 4. queries over HTTP ──
// the server gets the same kind of candles through its feed
const stats = createMemoryStatsFeed()
for (const tok of edgeTokens) {
  for (const iv of DEFAULT_CANDLE_INTERVALS) {
    for (let s = candleStart(END - DAY, iv.ms); s < END; s += iv.ms) feed.publish(candleKey('ethereum', tok, iv.name, s), candleOf(tok, iv, s))
  }
}
const server = await createEdgeServer({ port: 0, feed: stats, candles: feed, logger: pino({ level: 'silent' }), metricsRegistry: new Registry(), windows: ['24h'], now: () => END })
await server.caughtUp
const agent = new Agent({ connections: 1, keepAliveTimeout: 1000 })
const RES: Record<string, string> = { '1m': '1', '5m': '5', '15m': '15', '1h': '60', '4h': '240', '1d': '1D' }
for (const mode of ['v1', 'udf'] as const) {
  const lat: number[] = []
  let bars = 0
  for (let i = 0; i < Q; i++) {
    const tok = edgeTokens[Math.floor(r() * edgeTokens.length)]
    const iv = DEFAULT_CANDLE_INTERVALS[Math.floor(r() * DEFAULT_CANDLE_INTERVALS.length)]
    const to = END - Math.floor(r() * DAY / 2)
    const path = mode === 'v1'
      ? `/v1/tokens/ethereum/${tok}/candles?interval=${iv.name}&to=${to}&limit=300`
      : `/udf/history?symbol=ethereum:${tok}&resolution=${RES[iv.name]}&from=0&to=${Math.floor(to / 1000)}&countback=300`
    t0 = performance.now()
    const res = await request(`http://127.0.0.1:${server.port}${path}`, { dispatcher: agent })
    const body = await res.body.text()
    lat.push(performance.now() - t0)
    if (res.statusCode !== 200) throw new Error('status ' + res.statusCode + ' ' + body)
    const j = JSON.parse(body) as { candles?: unknown[], t?: unknown[] }
    bars += (j.candles ?? j.t ?? []).length
  }
  note({ part: 'http', mode, queries: Q, meanBars: round3(bars / Q), p50Ms: round3(pct(lat, 0.5)), p99Ms: round3(pct(lat, 0.99)), maxMs: round3(Math.max(...lat)) })
}
await agent.close()
await server.close()

mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'candles.json'), JSON.stringify({
  bench: 'candles', at: new Date().toISOString(), note: 'machine shared with other engineers: load1 beside every figure', runs
}, null, 2) + '\n')
console.log('wrote bench/results/candles.json (' + made + ' edge candles made)')
