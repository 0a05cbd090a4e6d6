/**
 * `CANDLE_BENCH_MODE=day npm run bench:candles` (issue #22 §1): the edge's memory for a day at
 * 1,000 swaps/s over 20,000 tokens, measured rather than estimated. Writes
 * bench/results/candles-day.json.
 *
 * An edge node (createEdgeServer, in this process, nothing else of size in it) reads one day of
 * candles through its CandleFeed port, in time order as the `candles` topic holds them: token k
 * trades in a given minute with probability 1 − e^(−λk), λk = 60 · 1,000 · Zipf(1.1)(k) (the
 * generator's defaults), and each coarser interval's candle exists when one of its minutes has a
 * swap, so every interval's count is the same Poisson expectation the estimate used. Each candle
 * arrives once (a compacted topic replayed; a live candle's later updates are written in place and
 * add nothing). Then, after a forced GC: candles held, array bytes per candle, heap and the
 * process's RSS (floor 2 GB), and a candle query's p50/p99 over HTTP at that size, tokens drawn by
 * activity (Zipf, what a screener's users open) and uniformly (mostly the long tail).
 * The stats feed is empty: the stats' own memory is bench:edge's (about 4.6 KB a token).
 * Env: CANDLE_BENCH_QUERIES (2000 per token draw), CANDLE_BENCH_DAY_MINUTES (1440; fewer = a quick
 * check of the bench, not the day).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Agent, request } from 'undici'
import type { CandleFeed } from '../src/edge/candle-feed.js'
import { createEdgeServer } from '../src/edge/edge-server.js'
import { createMemoryStatsFeed } from '../src/edge/stats-feed.js'
import { candleKey, type Candle } from '../src/engine/candles.js'
import { DEFAULT_CANDLE_INTERVALS } from '../src/engine/candle-intervals.js'
import { createZipfSampler } from '../src/generator/zipf.js'
import { Random } from '../src/generator/random.js'
import { createRandom } from '../test/helpers/seeded-random.js'

const here = dirname(fileURLToPath(import.meta.url))
const Q = Number(process.env.CANDLE_BENCH_QUERIES ?? 2000)
const TOKENS = 20_000
const RATE = 1000
const ZIPF = 1.1
const MINUTE = 60_000
const DAY = 86_400_000
const T0 = Date.UTC(2026, 11, 7, 0, 0, 0)
const END = T0 + DAY
// a shorter fill for a quick check of the bench itself; the figures are the whole day's
const FILL_END = T0 + MINUTE * Number(process.env.CANDLE_BENCH_DAY_MINUTES ?? 1440)
const r = createRandom(23)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:candles does)')
const load = (): number => Number(loadavg()[0].toFixed(2))
const round3 = (x: number): number => Math.round(x * 1000) / 1000
const MB = (b: number): number => Math.round(b / 1e6)
function pct (xs: number[], p: number): number { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const runs: unknown[] = []
const note = (o: Record<string, unknown>): void => { const x = { ...o, load1: load() }; console.log(JSON.stringify(x)); runs.push(x) }

const zipf = createZipfSampler(TOKENS, ZIPF)
const tokens = Array.from({ length: TOKENS }, (_, i) => '0x' + i.toString(16).padStart(40, '0'))
const pMinute = Float64Array.from({ length: TOKENS }, (_, i) => 1 - Math.exp(-RATE * 60 * zipf.probability(i + 1)))
// candle values do not change what a candle costs (fixed-width columns): a pool of them, reused
const pool: Candle[] = Array.from({ length: 256 }, () => {
  const p = 1000 + r() * 2000
  return {
    chain: 'ethereum', token: '', interval: '', start: '', end: '',
    open: p, high: p * 1.01, low: p * 0.99, close: p * (0.99 + r() * 0.02),
    volumeUsd: (r() * 1e6).toFixed(6), buyVolumeUsd: (r() * 5e5).toFixed(6), sellVolumeUsd: (r() * 5e5).toFixed(6), volume: (r() * 1e3).toFixed(9),
    txns: 1 + Math.floor(r() * 500), buys: Math.floor(r() * 250), sells: Math.floor(r() * 250), openSwap: [0, 1, 0], closeSwap: [0, 1, 1]
  }
})

const before = process.memoryUsage()
let sent = 0
const perInterval: Record<string, number> = {}
for (const iv of DEFAULT_CANDLE_INTERVALS) perInterval[iv.name] = 0
// the day as the `candles` topic holds it, minute by minute
const dayFeed: CandleFeed = {
  async start (onRecord, onCaughtUp) {
    const last = DEFAULT_CANDLE_INTERVALS.map(() => new Float64Array(TOKENS).fill(-1))
    void (async () => {
      for (let t = T0; t < FILL_END; t += MINUTE) {
        for (let k = 0; k < TOKENS; k++) {
          if (r() >= pMinute[k]) continue
          for (let v = 0; v < DEFAULT_CANDLE_INTERVALS.length; v++) {
            const iv = DEFAULT_CANDLE_INTERVALS[v]
            const start = Math.floor(t / iv.ms) * iv.ms
            if (last[v][k] === start) continue
            last[v][k] = start
            onRecord(candleKey('ethereum', tokens[k], iv.name, start), pool[sent & 255])
            perInterval[iv.name]++
            sent++
          }
        }
        await new Promise<void>(resolve => setImmediate(resolve))
      }
      onCaughtUp()
    })()
  },
  async close () {}
}

const t0 = performance.now()
const server = await createEdgeServer({ port: 0, feed: createMemoryStatsFeed(), candles: dayFeed, logger: pino({ level: 'silent' }), metricsRegistry: new Registry(), windows: ['24h'], now: () => END })
await server.caughtUp
const loadSeconds = (performance.now() - t0) / 1000
gc(); gc()
const after = process.memoryUsage()
const store = server.candleStore
note({
  part: 'edge, a day of candles', minutes: (FILL_END - T0) / MINUTE, swapsPerSecond: RATE, tokens: TOKENS, zipf: ZIPF, candles: store.size, sent, perInterval, series: store.seriesCount,
  arrayBytesPerCandle: round3(store.arrayBytes / store.size), arrayMB: MB(store.arrayBytes),
  rssMB: MB(after.rss), rssBeforeMB: MB(before.rss), heapUsedMB: MB(after.heapUsed), heapTotalMB: MB(after.heapTotal), externalMB: MB(after.external), arrayBuffersMB: MB(after.arrayBuffers),
  processBytesPerCandle: Math.round((after.rss - before.rss) / store.size), loadSeconds: round3(loadSeconds), candlesPerSecond: Math.round(sent / loadSeconds)
})

const agent = new Agent({ connections: 1, keepAliveTimeout: 1000 })
const zr = new Random(24)
for (const draw of ['zipf', 'uniform'] as const) {
  const lat: number[] = []
  let bars = 0
  for (let i = 0; i < Q; i++) {
    const tok = tokens[draw === 'zipf' ? zipf.sample(zr) - 1 : Math.floor(r() * TOKENS)]
    const iv = DEFAULT_CANDLE_INTERVALS[Math.floor(r() * DEFAULT_CANDLE_INTERVALS.length)]
    const to = END - Math.floor(r() * DAY / 2)
    const s = performance.now()
    const res = await request(`http://127.0.0.1:${server.port}/v1/tokens/ethereum/${tok}/candles?interval=${iv.name}&to=${to}&limit=300`, { dispatcher: agent })
    const body = await res.body.text()
    lat.push(performance.now() - s)
    if (res.statusCode !== 200) throw new Error('status ' + res.statusCode + ' ' + body)
    bars += (JSON.parse(body) as { candles: unknown[] }).candles.length
  }
  note({ part: 'http candles at a day\'s size', tokens: draw, queries: Q, meanBars: round3(bars / Q), p50Ms: round3(pct(lat, 0.5)), p99Ms: round3(pct(lat, 0.99)), maxMs: round3(Math.max(...lat)), rssMB: MB(process.memoryUsage().rss) })
}
await agent.close()
await server.close()

mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'candles-day.json'), JSON.stringify({
  bench: 'candles-day', at: new Date().toISOString(), note: 'machine shared with other engineers: load1 beside every figure', runs
}, null, 2) + '\n')
console.log('wrote bench/results/candles-day.json')
