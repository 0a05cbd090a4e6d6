/**
 * Statistics engine benchmark (one core, already-decoded swaps):
 *   a) the shared Ethereum sample cycled with shifted times and fresh ids,
 *   b) 100,000 tokens with Zipf-distributed activity,
 * plus NDJSON parse+validate, advance+drain per second of clock with 100k active tokens, and
 * heap bytes per swap in the horizon and per active token.
 *
 *   npm run bench:engine            prints the figures, writes bench/results/engine.json
 *   node --expose-gc --import tsx --cpu-prof bench/engine.bench.ts    to profile
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { execFileSync } from 'node:child_process'
import { createEngine, type Engine } from '../src/engine/index.js'
import { parseSwapJson } from '../src/swap/parse-swap.js'
import { isSwapReject } from '../src/swap/swap-reject.js'
import { parseDecimal18, type Decimal18 } from '../src/swap/decimal18.js'
import type { Swap } from '../src/swap/swap.js'
import { benchParse, SAMPLE_PATH } from './parse.bench.js'

const here = dirname(fileURLToPath(import.meta.url))
const N = Number(process.env.ENGINE_BENCH_SWAPS ?? 2_000_000)
const RATE = 2000 // event-time swaps per second of clock in the generated streams
const T0 = Date.parse('2026-01-01T00:00:00Z')

function sampleSwaps (): Swap[] {
  const lines = readFileSync(SAMPLE_PATH, 'utf8').split('\n').filter((l) => l.length > 0)
  const out: Swap[] = []
  for (const l of lines) { const s = parseSwapJson(l); if (!isSwapReject(s)) out.push(s) }
  out.sort((a, b) => a.blockTime - b.blockTime)
  return out
}

/** The sample cycled: each copy with fresh ids, its times squeezed to RATE swaps/s of clock. */
function cycledSample (base: Swap[], n: number): Swap[] {
  const out = new Array<Swap>(n)
  for (let i = 0; i < n; i++) {
    const s = base[i % base.length]
    out[i] = { ...s, id: s.id + '#' + Math.floor(i / base.length), blockTime: T0 + Math.floor(i * 1000 / RATE) }
  }
  return out
}

/** Deterministic xorshift so runs are comparable. */
function rng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296 }
}

function zipfSwaps (n: number, tokens: number, s = 1.1): Swap[] {
  const rand = rng(42)
  // inverse CDF over token ranks
  const cdf = new Float64Array(tokens)
  let sum = 0
  for (let k = 0; k < tokens; k++) { sum += 1 / Math.pow(k + 1, s); cdf[k] = sum }
  for (let k = 0; k < tokens; k++) cdf[k] /= sum
  const tokenNames = Array.from({ length: tokens }, (_, k) => '0x' + (k + 1).toString(16).padStart(40, '0'))
  const traders = Array.from({ length: 50_000 }, (_, k) => '0x' + (k * 7919 + 1).toString(16).padStart(40, 'a'))
  const amounts: Decimal18[] = []
  const usds: Decimal18[] = []
  const texts: Array<[string, string]> = []
  for (let k = 0; k < 1000; k++) {
    const a = (rand() * 10 ** Math.floor(rand() * 8)).toFixed(12)
    const u = (rand() * 10 ** Math.floor(rand() * 6)).toFixed(6)
    const pa = parseDecimal18(a); const pu = parseDecimal18(u)
    if (typeof pa === 'string' || typeof pu === 'string') { k--; continue }
    amounts.push(pa); usds.push(pu); texts.push([a, u])
  }
  const out = new Array<Swap>(n)
  for (let i = 0; i < n; i++) {
    const r = rand()
    let lo = 0; let hi = tokens - 1
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < r) lo = mid + 1; else hi = mid }
    const m = Math.floor(rand() * 1000)
    out[i] = {
      id: '0x' + i.toString(16).padStart(64, '0') + ':' + (i & 7),
      chain: 'ethereum', blockNumber: 20_000_000 + (i >> 8), logIndex: i & 255,
      blockTime: T0 + Math.floor(i * 1000 / RATE), token: tokenNames[lo], quoteToken: undefined, pool: undefined,
      trader: traders[Math.floor(rand() * traders.length)], side: rand() < 0.5 ? 0 : 1,
      amount: amounts[m], amountUsd: usds[m], price: Number(texts[m][1]) / Number(texts[m][0])
    }
  }
  return out
}

/**
 * Ingest the stream, moving the clock along with it every 100 ms of event time; a swap arrives
 * about a second after its block, as on a real chain.
 */
function ingestAll (swaps: Swap[]): { engine: Engine, seconds: number } {
  const engine = createEngine({ now: swaps[0].blockTime + 1000 })
  const step = RATE / 10
  const t = process.hrtime.bigint()
  for (let i = 0; i < swaps.length; i++) {
    if (i % step === 0) engine.advance(swaps[i].blockTime + 1000)
    engine.ingest(swaps[i])
  }
  return { engine, seconds: Number(process.hrtime.bigint() - t) / 1e9 }
}

function best (swaps: Swap[], runs = 4): { rate: number, engine: Engine } {
  // strings built by concatenation are cons strings, decoded input is flat: flatten before timing
  for (const s of swaps) { s.id.charCodeAt(0); s.trader.charCodeAt(0); s.token.charCodeAt(0) }
  let rate = 0
  let engine: Engine | undefined
  for (let r = 0; r < runs; r++) {
    const res = ingestAll(swaps)
    const rr = swaps.length / res.seconds
    if (rr > rate) rate = rr
    engine = res.engine
  }
  return { rate, engine: engine! }
}

function heapNow (): number {
  // twice: the first full GC may leave array buffers to a later sweep
  (globalThis as { gc?: () => void }).gc?.()
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Runs this file again with --memory=KIND and returns the bytes it reports. */
function memoryChild (kind: 'idle' | 'idle-folded' | 'swaps'): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', fileURLToPath(import.meta.url), '--memory=' + kind], { encoding: 'utf8' })
  return Number(out.trim().split('\n').pop())
}

/** Engine state bytes per idle token or per swap, printed as the last line (child process). */
function memoryMain (kind: string): void {
  if (kind === 'idle' || kind === 'idle-folded') {
    const one = zipfSwaps(100_000, 1)
    for (let i = 0; i < one.length; i++) {
      one[i].token = '0x' + i.toString(16).padStart(40, '0')
      one[i].token.charCodeAt(0)
      one[i].blockTime = T0
    }
    const before = heapNow()
    const e = createEngine({ now: T0 + 3_600_000 })
    for (const sw of one) e.ingest(sw)
    // idle-folded: the clock moves on once, so each token's swap has been folded out of the
    // 1 s level into the coarse level that holds it (the state an idle token lives in)
    if (kind === 'idle-folded') { e.advance(T0 + 3_600_000 + 1000); e.drain(() => {}) }
    const after = heapNow()
    console.log(String((after - before) / one.length))
    void e.tokenCount
    return
  }
  const gen = zipfSwaps(1_000_000, 100_000)
  for (const sw of gen) { sw.id.charCodeAt(0); sw.trader.charCodeAt(0) }
  const before = heapNow()
  const e = createEngine({ now: T0 + 1000 })
  for (let i = 0; i < gen.length; i++) { if (i % 200 === 0) e.advance(gen[i].blockTime + 1000); e.ingest(gen[i]) }
  const after = heapNow()
  console.log(String((after - before) / gen.length))
  void e.tokenCount
}

async function main (): Promise<void> {
  console.log(`engine bench: ${N.toLocaleString()} swaps per scenario, ${RATE} swaps per clock-second, node ${process.version}`)
  const base = sampleSwaps()

  let swaps = cycledSample(base, N)
  const a = best(swaps)
  console.log(`a) shared sample cycled:   ${Math.round(a.rate).toLocaleString()} swaps/s (${a.engine.tokenCount} tokens, ${a.engine.liveBuckets} buckets)`)
  swaps = []

  swaps = zipfSwaps(N, 100_000)
  const b = best(swaps)
  console.log(`b) 100k tokens, Zipf 1.1:  ${Math.round(b.rate).toLocaleString()} swaps/s (${b.engine.tokenCount} tokens active)`)

  // advance + drain per clock second with the Zipf state (every token in it active)
  const engine = b.engine
  engine.drain(() => {})
  let reported = 0
  const seconds = 60
  const t = process.hrtime.bigint()
  for (let s = 1; s <= seconds; s++) {
    engine.advance(engine.now + 1000)
    reported += engine.drain(() => {})
  }
  const drainMs = Number(process.hrtime.bigint() - t) / 1e6 / seconds
  console.log(`advance+drain: ${drainMs.toFixed(1)} ms per clock-second with ${engine.tokenCount.toLocaleString()} active tokens (${Math.round(reported / seconds).toLocaleString()} tokens reported per second)`)
  swaps = []

  // memory: measured in a fresh process each, so earlier scenarios' garbage cannot blur it
  const bytesPerToken = memoryChild('idle')
  const bytesPerTokenFolded = memoryChild('idle-folded')
  const bytesPerSwap = memoryChild('swaps')
  console.log(`memory: ${bytesPerSwap.toFixed(0)} bytes per swap in the horizon (1M swaps over 100k Zipf tokens); ${bytesPerToken.toFixed(0)} bytes per idle token (one swap an hour ago), ${bytesPerTokenFolded.toFixed(0)} once folded (the clock moved on)`)

  const parse = await benchParse({ durationMs: 3000 })
  console.log(`NDJSON parse+validate: ${Math.round(parse.linesPerSec).toLocaleString()} lines/s (${parse.mbPerSec.toFixed(1)} MB/s)`)

  const result = {
    bench: 'engine',
    node: process.version,
    cpu: cpus()[0]?.model,
    at: new Date().toISOString(),
    swapsPerScenario: N,
    sampleCycledSwapsPerSec: Math.round(a.rate),
    zipf100kSwapsPerSec: Math.round(b.rate),
    advanceDrainMsPerClockSecond: Number(drainMs.toFixed(2)),
    activeTokensDuringDrain: engine.tokenCount,
    tokensReportedPerSecond: Math.round(reported / seconds),
    heapBytesPerSwapInHorizon: Math.round(bytesPerSwap),
    heapBytesPerIdleToken: Math.round(bytesPerToken),
    heapBytesPerIdleTokenFolded: Math.round(bytesPerTokenFolded),
    parseLinesPerSec: Math.round(parse.linesPerSec),
    parseMbPerSec: Number(parse.mbPerSec.toFixed(1))
  }
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true })
  writeFileSync(join(process.cwd(), 'bench', 'results', 'engine.json'), JSON.stringify(result, null, 2) + '\n')
  console.log('wrote bench/results/engine.json')
}

const memoryArg = process.argv.find((a) => a.startsWith('--memory='))
if (memoryArg !== undefined) memoryMain(memoryArg.slice('--memory='.length))
else await main()
