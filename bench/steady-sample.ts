/**
 * Correctness at scale for bench/steady.bench.ts: the backfill `volumer produce --generate
 * --start` sends is re-generated here in-process (the generator is pure: the same options and
 * event times give the same records, byte for byte), a sample of tokens is chosen by volume
 * (top and tail), and each sampled token's answer from the edge is compared field by field with
 * the project's brute-force oracle (test/engine/oracle.ts) evaluated at that answer's asOf.
 *
 * The oracle's own dedup scans every kept swap of the token for each new one (quadratic: hours
 * for the busiest token of a day), so the swaps are deduplicated here by SPEC's rule (same id
 * and blockTime; every backfilled swap is inside the horizon) and handed to the oracle with
 * importToken; its evaluation of the windows is untouched.
 */
import { createSwapGenerator, DEFAULT_CHAINS, type SwapGenerator } from '../src/generator/index.js'
import type { SwapRecord } from '../src/codec/index.js'
import type { StatsObject } from '../src/engine/stats.js'
import { Oracle, type TokenState } from '../test/engine/oracle.js'
import { diffPaths } from '../test/helpers/diff.js'
import type { EdgeProcess } from '../test/helpers/edge-process.js'
import { mapLimit, tokenPath } from '../test/helpers/edge-checks.js'
import { decimal18ToExact } from '../test/helpers/exact-decimal.js'
import { swapFromRecord } from '../test/helpers/swap-factory.js'
import { strip } from '../test/helpers/swap-stream.js'
import type { WindowSpec } from '../test/helpers/windows.js'

export interface Backfill {
  seed: number
  tokens: number
  rate: number
  count: number
  startTime: number
  dupRate: number
  disorderMs: number
  zipf: number
  bursts: number
}

/** the `volumer produce` flags that make the same stream as `generator(b)` */
export function produceFlags (b: Backfill): string[] {
  return ['--generate', '--rate', String(b.rate), '--tokens', String(b.tokens), '--seed', String(b.seed),
    '--start', new Date(b.startTime).toISOString(), '--count', String(b.count), '--dup-rate', String(b.dupRate),
    '--disorder', `${b.disorderMs}ms`, '--zipf', String(b.zipf), '--bursts', String(b.bursts), '--chains', DEFAULT_CHAINS.join(',')]
}

/** the generator `volumer produce` builds for these flags, and the event time of swap i */
export function generator (b: Backfill): { gen: SwapGenerator, eventTime: (i: number) => number } {
  const gen = createSwapGenerator({
    seed: b.seed, tokens: b.tokens, chains: DEFAULT_CHAINS, zipfExponent: b.zipf,
    dupRate: b.dupRate, disorderMs: b.disorderMs, burstsPerMinute: b.bursts, now: b.startTime
  })
  // src/cli/produce-command.ts, runGenerate: swap i happens at start + i/rate
  return { gen, eventTime: (i) => b.startTime + Math.floor(i * 1000 / b.rate) }
}

export interface TokenVolume { key: string, swaps: number, volumeUsd: number }

/**
 * Pass 1: records and USD volume per token (duplicates included: a token's count is what the
 * oracle will hold of it, at most). Returns the generator positioned after the backfill, so
 * the live phase continues the same token population with fresh ids.
 */
export async function countPass (b: Backfill): Promise<{ volumes: Map<string, TokenVolume>, gen: SwapGenerator, duplicates: number }> {
  const { gen, eventTime } = generator(b)
  const volumes = new Map<string, TokenVolume>()
  for (let i = 0; i < b.count; i++) {
    const r = gen.next(eventTime(i))
    const key = r.chain + ':' + r.token
    let v = volumes.get(key)
    if (v === undefined) { v = { key, swaps: 0, volumeUsd: 0 }; volumes.set(key, v) }
    v.swaps++
    v.volumeUsd += Number(r.amountUsd)
    // a long synchronous loop would starve the bench's timers (RSS samples, child logs)
    if (i % 100_000 === 99_999) await new Promise((resolve) => setImmediate(resolve))
  }
  return { volumes, gen, duplicates: gen.counters.duplicates }
}

export interface Sample {
  /** the highest-volume tokens whose swaps fit in the budget, and the lowest-volume tokens */
  top: TokenVolume[]
  tail: TokenVolume[]
  /** tokens of the top skipped because holding their swaps would pass the budget */
  skippedForBudget: number
  swapsHeld: number
}

export function chooseSample (volumes: Map<string, TokenVolume>, size: number, budgetSwaps: number): Sample {
  const byVolume = [...volumes.values()].sort((a, b) => b.volumeUsd - a.volumeUsd || (a.key < b.key ? -1 : 1))
  const half = Math.floor(size / 2)
  const tail = byVolume.slice(Math.max(0, byVolume.length - (size - half)))
  const inTail = new Set(tail.map((t) => t.key))
  let held = tail.reduce((a, t) => a + t.swaps, 0)
  const top: TokenVolume[] = []
  let skipped = 0
  for (const t of byVolume) {
    if (top.length === half || inTail.has(t.key)) break
    if (held + t.swaps > budgetSwaps) { skipped++; continue }
    top.push(t)
    held += t.swaps
  }
  return { top, tail, skippedForBudget: skipped, swapsHeld: held }
}

/** Pass 2: every record of the sampled tokens, in the order they were sent */
export async function collectPass (b: Backfill, keys: ReadonlySet<string>): Promise<Map<string, SwapRecord[]>> {
  const { gen, eventTime } = generator(b)
  const out = new Map<string, SwapRecord[]>()
  for (const k of keys) out.set(k, [])
  for (let i = 0; i < b.count; i++) {
    const r = gen.next(eventTime(i))
    out.get(r.chain + ':' + r.token)?.push(r)
    if (i % 100_000 === 99_999) await new Promise((resolve) => setImmediate(resolve))
  }
  return out
}

/** the oracle's state of one token: its records deduplicated by (id, blockTime), arrival order */
function tokenState (key: string, records: readonly SwapRecord[]): TokenState {
  const i = key.indexOf(':')
  const seen = new Set<string>()
  const kept: TokenState['kept'] = []
  for (const r of records) {
    const id = r.id + '|' + r.blockTime
    if (seen.has(id)) continue
    seen.add(id)
    const swap = swapFromRecord(r as unknown as Record<string, unknown>)
    kept.push({ swap, amount: decimal18ToExact(swap.amount), amountUsd: decimal18ToExact(swap.amountUsd) })
  }
  return { chain: key.slice(0, i), token: key.slice(i + 1), kept }
}

export interface SampleCheck {
  tokens: number
  matched: number
  /** answers whose asOf is after `since` (computed by a processor started after the kills) */
  answeredAfterSince: number
  oldestAsOf: string | null
  mismatches: string[]
  seconds: number
}

/**
 * Each sampled token: the edge's answer against the oracle at the answer's own asOf, every
 * field but asOf and the windows' from/to (functions of asOf alone).
 */
export async function checkSample (edge: EdgeProcess, records: Map<string, SwapRecord[]>, windows: readonly WindowSpec[], since: number): Promise<SampleCheck> {
  const t0 = performance.now()
  const keys = [...records.keys()]
  const answers = await mapLimit(keys, 8, async (key) => await edge.get(tokenPath(key)))
  const mismatches: string[] = []
  let matched = 0
  let after = 0
  let oldest = Infinity
  for (let n = 0; n < keys.length; n++) {
    const key = keys[n]
    const a = answers[n]
    if (a.status !== 200) { mismatches.push(`${key}: edge answered ${a.status} ${a.text.slice(0, 120)}`); continue }
    const got = a.json as StatsObject
    const asOf = Date.parse(got.asOf)
    if (asOf > since) after++
    oldest = Math.min(oldest, asOf)
    const oracle = new Oracle(windows, 60_000, asOf)
    oracle.importToken(tokenState(key, records.get(key)!))
    const want = oracle.stats(got.chain, got.token)!
    const d = diffPaths(strip(got), strip(want), key, [], 6)
    if (d.length === 0) matched++
    else mismatches.push(`${key} @${got.asOf}: ${d.join('; ')}`)
    if (n % 20 === 19) await new Promise((resolve) => setImmediate(resolve))
  }
  return { tokens: keys.length, matched, answeredAfterSince: after, oldestAsOf: oldest === Infinity ? null : new Date(oldest).toISOString(), mismatches, seconds: Math.round((performance.now() - t0) / 100) / 10 }
}
