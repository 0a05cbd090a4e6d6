/**
 * A day at the brief's rate, in the engine alone (no Kafka): the project's generator
 * (src/generator, its defaults, seed 7) makes 1,000 swaps per second of event time from
 * 2026-12-06T00:00:00Z, Zipf over 1,000, 20,000 and 100,000 tokens; the engine ingests them,
 * its clock following event time, and the bench reports the engine's state per swap held in
 * the horizon and per token, where those bytes go (memory-report.ts), peak RSS and the ingest
 * rate. Issue #19: floor 48 B per swap held, goal 16 B.
 *
 *   npm run bench:day                       a full day (86.4 M swaps) per token count
 *   BENCH_DAY_HOURS=1 npm run bench:day     one hour
 *   BENCH_DAY_TOKENS=20000 npm run bench:day   one token count
 *
 * Each token count runs in a process of its own (peak RSS is the process's), which prints one
 * JSON line; the parent writes bench/results/day.json (day-<hours>h.json for a shorter run).
 * Ingest rate: the engine's ingest and advance only, timed per chunk; generating and
 * validating the input is not timed (the processor's decoder does that work).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { execFileSync } from 'node:child_process'
import { createEngine, engineMemory, COUNTED, type Engine, type EngineMemory } from '../src/engine/index.js'
import { createSwapGenerator } from '../src/generator/index.js'
import { validateSwapObject } from '../src/swap/parse-swap.js'
import { isSwapReject } from '../src/swap/swap-reject.js'
import type { Swap } from '../src/swap/swap.js'

const RATE = 1000
const START = Date.parse('2026-12-06T00:00:00Z')
const HOURS = Number(process.env.BENCH_DAY_HOURS ?? 24)
const TOKENS = (process.env.BENCH_DAY_TOKENS ?? '1000,20000,100000').split(',').map(Number)
const CHUNK = 10_000
const SEED = 7

interface Scenario {
  tokens: number
  hours: number
  swaps: number
  counted: number
  /** counted swaps whose blockTime is inside the horizon at the end */
  held: number
  tokensAlive: number
  /** heap + array buffers with the engine minus without it */
  stateBytes: number
  bytesPerSwapHeld: number
  bytesPerToken: number
  /** the engine's typed arrays as allocated (memory-report.ts) */
  arrayCapacityBytes: number
  /** the rest of stateBytes: Token objects, maps, strings */
  jsHeapBytes: number
  peakRssMB: number
  ingestSwapsPerSec: number
  ingestSeconds: number
  load1AtEnd: number
  breakdown: EngineMemory
}

function heapNow (): number {
  (globalThis as { gc?: () => void }).gc?.()
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** module-level, so that dropping it is what frees its memory */
let engine: Engine | undefined

interface Run { swaps: number, counted: number, held: number, seconds: number }

/** Fills the module's `engine`; nothing here may keep a reference to it (the heap is read after). */
function run (tokens: number): Run {
  const n = Math.round(HOURS * 3600 * RATE)
  const gen = createSwapGenerator({ seed: SEED, tokens, now: START })
  const e = createEngine({ now: START })
  engine = e
  // counted swaps per second of event time, to count those still in the horizon at the end;
  // from an hour before START: a swap's blockTime is its block's start, up to a block before `now`
  const base = START - 3_600_000
  const perSecond = new Float64Array(Math.ceil(n / RATE) + 3602)
  const chunk: Swap[] = []
  let counted = 0
  let ns = 0n
  let lastAdvance = -1
  for (let from = 0; from < n; from += CHUNK) {
    chunk.length = 0
    const m = Math.min(CHUNK, n - from)
    for (let j = 0; j < m; j++) {
      const s = validateSwapObject(gen.next(START + Math.floor((from + j) * 1000 / RATE)))
      if (isSwapReject(s)) throw new Error('generator made an invalid swap: ' + s.message)
      chunk.push(s)
    }
    const t0 = process.hrtime.bigint()
    for (let j = 0; j < chunk.length; j++) {
      const s = chunk[j]
      // the clock follows event time, a second behind, moved every 100 ms as a processor's would
      const at = Math.floor(s.blockTime / 100)
      if (at !== lastAdvance) { lastAdvance = at; e.advance(s.blockTime + 1000) }
      if (e.ingest(s) === COUNTED) { counted++; perSecond[Math.floor((s.blockTime - base) / 1000)]++ }
    }
    // what changed counts as reported, as in a standby copy: keeps the dirty list bounded
    e.drain(null)
    ns += process.hrtime.bigint() - t0
  }
  const end = START + n * 1000 / RATE
  e.advance(end + 1000)
  e.drain(null)
  let held = 0
  for (let sec = 0; sec < perSecond.length; sec++) if (base + sec * 1000 >= e.horizonStart) held += perSecond[sec]
  return { swaps: n, counted, held, seconds: Number(ns) / 1e9 }
}

/**
 * The engine is read in a function of its own: a property read of it in `child`'s own code
 * kept it alive after `engine = undefined` (seen: its arrays still counted after the drop).
 */
function inspect (): { breakdown: EngineMemory, tokensAlive: number } {
  const e = engine as Engine
  return { breakdown: engineMemory(e), tokensAlive: e.tokenCount }
}

function child (tokens: number): Scenario {
  const { swaps: n, counted, held, seconds } = run(tokens)
  const { breakdown, tokensAlive } = inspect()
  const withEngine = heapNow()
  engine = undefined
  const without = heapNow()
  const stateBytes = withEngine - without
  return {
    tokens,
    hours: HOURS,
    swaps: n,
    counted,
    held,
    tokensAlive,
    stateBytes,
    bytesPerSwapHeld: stateBytes / held,
    bytesPerToken: stateBytes / tokensAlive,
    arrayCapacityBytes: breakdown.capacityBytes,
    jsHeapBytes: stateBytes - breakdown.capacityBytes,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    ingestSwapsPerSec: n / seconds,
    ingestSeconds: seconds,
    load1AtEnd: loadavg()[0],
    breakdown,
  }
}

const MB = (b: number): string => (b / 1e6).toFixed(0) + ' MB'
const perSwap = (b: number, held: number): string => (b / held).toFixed(1) + ' B/swap'

function print (s: Scenario): void {
  const b = s.breakdown
  const h = s.held
  console.log(`${s.tokens.toLocaleString()} tokens, ${s.hours} h (${s.swaps.toLocaleString()} swaps, ${s.held.toLocaleString()} held, ${s.tokensAlive.toLocaleString()} tokens alive): ` +
    `${s.bytesPerSwapHeld.toFixed(1)} B per swap held, ${Math.round(s.bytesPerToken).toLocaleString()} B per token; state ${MB(s.stateBytes)}, peak RSS ${s.peakRssMB.toFixed(0)} MB; ` +
    `ingest ${Math.round(s.ingestSwapsPerSec).toLocaleString()} swaps/s (load ${s.load1AtEnd.toFixed(2)})`)
  console.log(`   buckets   ${b.buckets.live.toLocaleString()} × 256 B = ${MB(b.buckets.bytes)} (${perSwap(b.buckets.bytes, h)}), array ${MB(b.buckets.capacityBytes)} (${perSwap(b.buckets.capacityBytes, h)}); per level ` +
    b.buckets.perLevel.map((l) => `${l.stepMs / 1000}s: ${l.buckets.toLocaleString()} (${l.oneSwap.toLocaleString()} with one swap)`).join(', '))
  for (const [name, t] of [['dedup ids', b.ids], ['traders', b.traders]] as const) {
    const sealed = t.sealedBytes === undefined ? '' : ` (sealed runs ${MB(t.sealedBytes)}, ${perSwap(t.sealedBytes, h)})`
    console.log(`   ${name.padEnd(9)} ${t.live.toLocaleString()} live of ${t.entries.toLocaleString()} entries = ${MB(t.bytes)} (${perSwap(t.bytes, h)}); tables ${MB(t.blockBytes)} (${perSwap(t.blockBytes, h)}), arrays ${MB(t.capacityBytes)} (${perSwap(t.capacityBytes, h)})${sealed}`)
  }
  console.log(`   deques    ${MB(b.deques.blockBytes)} in blocks, array ${MB(b.deques.capacityBytes)}; raw swaps ${b.raw.live.toLocaleString()} (${MB(b.raw.capacityBytes)}); rows ${MB(b.rows.capacityBytes)}; JS heap (tokens, maps, strings) ${MB(s.jsHeapBytes)} (${perSwap(s.jsHeapBytes, h)})`)
}

function main (): void {
  const results: Scenario[] = []
  for (const tokens of TOKENS) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=22000', fileURLToPath(import.meta.url), '--child=' + tokens],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 })
    const s = JSON.parse(out.trim().split('\n').pop() as string) as Scenario
    print(s)
    results.push(s)
  }
  const name = HOURS === 24 ? 'day.json' : `day-${HOURS}h.json`
  const result = { bench: 'day', node: process.version, cpu: cpus()[0]?.model, at: new Date().toISOString(), rate: RATE, hours: HOURS, seed: SEED, scenarios: results }
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true })
  writeFileSync(join(process.cwd(), 'bench', 'results', name), JSON.stringify(result, null, 2) + '\n')
  console.log('wrote bench/results/' + name)
}

const childArg = process.argv.find((a) => a.startsWith('--child='))
if (childArg !== undefined) console.log(JSON.stringify(child(Number(childArg.slice('--child='.length)))))
else main()
