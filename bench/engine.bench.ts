/**
 * Statistics engine benchmark (one core, already-decoded swaps):
 *   a) the shared Ethereum sample cycled with shifted times and fresh ids,
 *   b) 100,000 tokens with Zipf-distributed activity, into a fresh engine and (b') into one
 *      whose arrays are already at capacity,
 * plus NDJSON parse+validate, advance+drain per second of clock with 100k active tokens, and
 * heap bytes per swap in the horizon and per active token.
 *
 *   npm run bench:engine            prints the figures, writes bench/results/engine.json
 *   ENGINE_BENCH_ONLY=zipf node --cpu-prof .run/bench-build/bench/engine.bench.js   to profile one
 *   ingest scenario (zipf, zipf-warm or cycled) after `npm run bench:build`
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { readInputText } from '../src/cli/input-file.js'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { execFileSync } from 'node:child_process'
import { PerformanceObserver } from 'node:perf_hooks'
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
  const lines = readInputText(SAMPLE_PATH).split('\n').filter((l) => l.length > 0)
  const out: Swap[] = []
  for (const l of lines) { const s = parseSwapJson(l); if (!isSwapReject(s)) out.push(s) }
  out.sort((a, b) => a.blockTime - b.blockTime)
  return out
}

/**
 * Input is generated in chunks of CHUNK swaps outside the timed region. Holding all N decoded
 * swaps at once (≈300 MB of objects and strings) made every full GC mark them: three
 * Mark-Compacts of 150–300 ms per run that the processor, which decodes a batch at a time,
 * never pays. The engine's own garbage is still collected inside the timed region.
 */
const CHUNK = 5_000
type Source = (from: number, n: number) => Swap[]

/**
 * A copy of s as a sequential string, as a decoder produces. Strings built by concatenation
 * are cons strings; flattening one (charCodeAt) still leaves an indirection that made every
 * charCodeAt of the engine's id and trader hashing about 1.5× slower than on decoded input.
 */
function flat (s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1')
}

/** The sample cycled: each copy with fresh ids, its times squeezed to RATE swaps/s of clock. */
function cycledSample (base: Swap[]): Source {
  return (from, n) => {
    const out = new Array<Swap>(n)
    for (let j = 0; j < n; j++) {
      const i = from + j
      const s = base[i % base.length]
      out[j] = { ...s, id: s.id + '#' + Math.floor(i / base.length), blockTime: T0 + Math.floor(i * 1000 / RATE) }
    }
    return out
  }
}

/** Deterministic xorshift so runs are comparable. */
function rng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296 }
}

/** 100k-token Zipf stream; the same seed gives the same stream, chunk by chunk, on every run. */
function zipfSwaps (tokens: number, s = 1.1): () => Source {
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
  const r0 = rng(7)
  for (let k = 0; k < 1000; k++) {
    const a = (r0() * 10 ** Math.floor(r0() * 8)).toFixed(12)
    const u = (r0() * 10 ** Math.floor(r0() * 6)).toFixed(6)
    const pa = parseDecimal18(a); const pu = parseDecimal18(u)
    if (typeof pa === 'string' || typeof pu === 'string') { k--; continue }
    amounts.push(pa); usds.push(pu); texts.push([a, u])
  }
  return () => {
    const rand = rng(42)
    return (from, n) => {
      const out = new Array<Swap>(n)
      for (let j = 0; j < n; j++) {
        const i = from + j
        const r = rand()
        let lo = 0; let hi = tokens - 1
        while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < r) lo = mid + 1; else hi = mid }
        const m = Math.floor(rand() * 1000)
        out[j] = {
          id: '0x' + i.toString(16).padStart(64, '0') + ':' + (i & 7),
          chain: 'ethereum', blockNumber: 20_000_000 + (i >> 8), logIndex: i & 255,
          blockTime: T0 + Math.floor(i * 1000 / RATE), token: tokenNames[lo], quoteToken: undefined, pool: undefined,
          trader: traders[Math.floor(rand() * traders.length)], side: rand() < 0.5 ? 0 : 1,
          amount: amounts[m], amountUsd: usds[m], price: Number(texts[m][1]) / Number(texts[m][0])
        }
      }
      return out
    }
  }
}

/**
 * Ingest n swaps, moving the clock along with them every 100 ms of event time; a swap arrives
 * about a second after its block, as on a real chain. Only ingest and advance are timed.
 */
function ingestAll (source: Source, n: number, into?: { engine: Engine, shiftMs: number }): { engine: Engine, seconds: number } {
  let engine = into?.engine
  const shift = into?.shiftMs ?? 0
  const step = RATE / 10
  let ns = 0n
  for (let from = 0; from < n; from += CHUNK) {
    const swaps = source(from, Math.min(CHUNK, n - from))
    for (const s of swaps) { s.id = flat(s.id); s.trader = flat(s.trader); s.token = flat(s.token); s.blockTime += shift }
    if (engine === undefined) engine = createEngine({ now: swaps[0].blockTime + 1000 })
    const e = engine
    const t = process.hrtime.bigint()
    const p0 = performance.now()
    for (let j = 0; j < swaps.length; j++) {
      if ((from + j) % step === 0) e.advance(swaps[j].blockTime + 1000)
      e.ingest(swaps[j])
    }
    ns += process.hrtime.bigint() - t
    timed.push(p0, performance.now())
  }
  return { engine: engine!, seconds: Number(ns) / 1e9 }
}

/**
 * GC pauses that fall inside the timed intervals, as a share of them. On the Zipf stream most
 * of it is Mark-Compacts of old-space garbage that is the *input's* (a sampling heap profile with
 * objects collected by major GCs: ~1.7 GB of the bench's swap objects and strings over four runs,
 * against ~60 MB the engine allocated, most of it its live tokens): V8 pretenures the swap
 * objects of a chunk, which live while it is ingested. A decoder's output does the same in the
 * processor, so the pauses stay in the figure; this says how much of it they are.
 */
const timed: number[] = []
const gcPauses: number[] = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push(e.startTime, e.startTime + e.duration)
}).observe({ entryTypes: ['gc'] })

async function gcShareOfTimed (): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100)) // observer entries arrive asynchronously
  let inside = 0
  let total = 0
  for (let i = 0; i < timed.length; i += 2) {
    total += timed[i + 1] - timed[i]
    for (let j = 0; j < gcPauses.length; j += 2) {
      const a = Math.max(timed[i], gcPauses[j])
      const b = Math.min(timed[i + 1], gcPauses[j + 1])
      if (b > a) inside += b - a
    }
  }
  timed.length = 0
  gcPauses.length = 0
  return total > 0 ? inside / total : 0
}

/**
 * The best of `runs` fresh engines, with the share of that run's timed ingest spent in GC
 * pauses. Where a Mark-Compact's pause lands (input generation or ingest) shifts with small
 * changes: the engine before lone swaps were kept raw had ~3 % of its Zipf ingest in pauses,
 * this one 12–15 %, for the same total GC work (--trace-gc: 37 vs 41 Mark-Compacts, 1.7 vs 2.0 s
 * over four runs) and the same CPU; the rate net of pauses makes such builds comparable.
 */
async function best (makeSource: () => Source, warm = false, runs = 4): Promise<{ rate: number, gcShare: number, engine: Engine }> {
  let rate = 0
  let gcShare = 0
  let engine: Engine | undefined
  for (let r = 0; r < runs; r++) {
    engine = undefined
    const res = warm ? ingestWarm(makeSource) : ingestAll(makeSource(), N)
    const share = await gcShareOfTimed()
    const rr = N / res.seconds
    if (rr > rate) { rate = rr; gcShare = share }
    engine = res.engine
  }
  return { rate, gcShare, engine: engine! }
}

/**
 * The same stream twice: untimed into a fresh engine, then, 25 h later, timed into that engine
 * once it has dropped every token. Its arrays are then at the capacity the stream needs and
 * its pools' free lists full, as in an engine that has run for a day; a fresh engine spends
 * much of a 1M-swap run growing them (page faults of new array buffers, docs/engine.md).
 */
function ingestWarm (makeSource: () => Source): { engine: Engine, seconds: number } {
  const engine = ingestAll(makeSource(), N).engine
  const shiftMs = Math.ceil(N * 1000 / RATE) + 25 * 3_600_000
  engine.advance(T0 + shiftMs)
  engine.drain(() => {})
  if (engine.tokenCount !== 0) throw new Error(`warm-up left ${engine.tokenCount} tokens`)
  timed.length = 0
  return ingestAll(makeSource(), N, { engine, shiftMs })
}

/**
 * The cycled scenario's figures without its engine: kept alive, its ~300 MB of arrays made the
 * Zipf runs that follow pay heavier Mark-Compacts (11.2 % of the best run's ingest in pauses
 * against 5.4 % once it was dropped, one full run each).
 */
async function cycledFigures (base: Swap[]): Promise<{ rate: number, gcShare: number, tokens: number, buckets: number }> {
  const r = await best(() => cycledSample(base))
  return { rate: r.rate, gcShare: r.gcShare, tokens: r.engine.tokenCount, buckets: r.engine.liveBuckets }
}

/**
 * The Zipf scenario's figures, and advance + drain per clock-second on its state (every token
 * in it active), without its engine, for the reason cycledFigures gives.
 */
async function zipfFigures (): Promise<{ rate: number, gcShare: number, tokens: number, drainMs: number, drainTokens: number, reportedPerSecond: number }> {
  const r = await best(zipfSwaps(100_000))
  const engine = r.engine
  const tokens = engine.tokenCount
  engine.drain(() => {})
  let reported = 0
  const seconds = 60
  const t = process.hrtime.bigint()
  for (let s = 1; s <= seconds; s++) {
    engine.advance(engine.now + 1000)
    reported += engine.drain(() => {})
  }
  const drainMs = Number(process.hrtime.bigint() - t) / 1e6 / seconds
  return { rate: r.rate, gcShare: r.gcShare, tokens, drainMs, drainTokens: engine.tokenCount, reportedPerSecond: reported / seconds }
}

/** The Zipf stream into an engine at capacity (ingestWarm), without its engine. */
async function zipfAtCapacityFigures (): Promise<{ rate: number, gcShare: number }> {
  const r = await best(zipfSwaps(100_000), true)
  return { rate: r.rate, gcShare: r.gcShare }
}

function rateLine (r: { rate: number, gcShare: number }): string {
  return `${Math.round(r.rate).toLocaleString()} swaps/s; GC pauses ${(100 * r.gcShare).toFixed(1)} % of the timed ingest (net of them: ${Math.round(r.rate / (1 - r.gcShare)).toLocaleString()} swaps/s)`
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

/** The engine being measured: module-level, so that dropping it is what frees its memory. */
let measured: Engine | undefined

/**
 * Bytes the engine holds, as the heap and array buffers with it minus without it, both read
 * at the same point with the input still reachable. The earlier form (after − before ingest)
 * also counted whatever the collector freed in between — input the code no longer used is
 * dead to V8's liveness analysis — and read too low.
 */
function engineBytes (input: Swap[]): number {
  const withEngine = heapNow()
  measured = undefined
  const without = heapNow()
  void input.length
  return withEngine - without
}

/**
 * Ingests s with a token string of its own, as a decoder makes one per record: the engine
 * keeps the first such string of each token as its key, and that string is part of its cost.
 */
function ingestOwn (e: Engine, s: Swap): void {
  e.ingest({ ...s, token: flat(s.token) })
}

/**
 * Builds the measured engine in `measured` and nowhere else: a local of the caller could keep
 * it reachable after `measured` is cleared.
 */
function buildMeasured (kind: string, input: Swap[]): void {
  if (kind === 'swaps') {
    const e = measured = createEngine({ now: T0 + 1000 })
    for (let i = 0; i < input.length; i++) { if (i % 200 === 0) e.advance(input[i].blockTime + 1000); ingestOwn(e, input[i]) }
    return
  }
  const e = measured = createEngine({ now: T0 + 3_600_000 })
  for (const sw of input) ingestOwn(e, sw)
  // idle-folded: the clock moves on once, so each token's swap has been folded out of the
  // 1 s level into the coarse level that holds it (the state an idle token lives in)
  if (kind === 'idle-folded') { e.advance(T0 + 3_600_000 + 1000); e.drain(() => {}) }
}

/** Engine state bytes per idle token or per swap, printed as the last line (child process). */
function memoryMain (kind: string): void {
  let input: Swap[]
  if (kind === 'idle' || kind === 'idle-folded') {
    input = zipfSwaps(1)()(0, 100_000)
    for (let i = 0; i < input.length; i++) {
      input[i].token = '0x' + i.toString(16).padStart(40, '0')
      input[i].blockTime = T0
    }
  } else {
    input = zipfSwaps(100_000)()(0, 1_000_000)
    for (const sw of input) { sw.id = flat(sw.id); sw.trader = flat(sw.trader) }
  }
  buildMeasured(kind, input)
  console.log(String(engineBytes(input) / input.length))
}

async function main (): Promise<void> {
  console.log(`engine bench: ${N.toLocaleString()} swaps per scenario, ${RATE} swaps per clock-second, node ${process.version}`)
  const base = sampleSwaps()

  // ENGINE_BENCH_ONLY=cycled|zipf|zipf-warm runs one ingest scenario and writes nothing (for --cpu-prof)
  const only = process.env.ENGINE_BENCH_ONLY
  if (only === 'zipf' || only === 'zipf-warm' || only === 'cycled') {
    const r = only === 'cycled' ? await best(() => cycledSample(base)) : await best(zipfSwaps(Number(process.env.ENGINE_BENCH_TOKENS ?? 100_000)), only === 'zipf-warm')
    console.log(`${only}: ${rateLine(r)} (${r.engine.tokenCount} tokens)`)
    return
  }
  const a = await cycledFigures(base)
  console.log(`a) shared sample cycled:   ${rateLine(a)} (${a.tokens} tokens, ${a.buckets} buckets)`)

  const b = await zipfFigures()
  console.log(`b) 100k tokens, Zipf 1.1:  ${rateLine(b)} (${b.tokens} tokens active)`)
  console.log(`advance+drain: ${b.drainMs.toFixed(1)} ms per clock-second with ${b.drainTokens.toLocaleString()} active tokens (${Math.round(b.reportedPerSecond).toLocaleString()} tokens reported per second)`)

  const bw = await zipfAtCapacityFigures()
  console.log(`b') the same into an engine at capacity (the stream again a day later): ${rateLine(bw)}`)

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
    zipf100kAtCapacitySwapsPerSec: Math.round(bw.rate),
    sampleCycledGcShareOfIngest: Number(a.gcShare.toFixed(3)),
    zipf100kGcShareOfIngest: Number(b.gcShare.toFixed(3)),
    sampleCycledSwapsPerSecNetOfGc: Math.round(a.rate / (1 - a.gcShare)),
    zipf100kSwapsPerSecNetOfGc: Math.round(b.rate / (1 - b.gcShare)),
    zipf100kAtCapacityGcShareOfIngest: Number(bw.gcShare.toFixed(3)),
    advanceDrainMsPerClockSecond: Number(b.drainMs.toFixed(2)),
    activeTokensDuringDrain: b.drainTokens,
    tokensReportedPerSecond: Math.round(b.reportedPerSecond),
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
