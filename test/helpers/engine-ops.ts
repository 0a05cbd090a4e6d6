/**
 * fast-check arbitraries for engine operation sequences. An operation is generated as a recipe
 * (which token, which kind of time, how far to move the clock) and turned into concrete swaps and
 * times only when it runs, against the oracle's clock: that is how "late", "exactly at the
 * horizon" or "just past the skew" stay meaningful however the clock moved before.
 */
import fc from 'fast-check'

/**
 * Small sets so tokens, traders and ids collide. 'base' / 'base-sepolia' sort differently by
 * (chain, token) than by the joined key ('-' < ':'), and 'ZZ' differently by code unit than by
 * locale: the contract orders by (chain, token) in code units.
 */
export const CHAINS = ['ethereum', 'base', 'base-sepolia', 'solana']
export const TOKENS = ['0xaa', '0xbb', '0xcc', 'So111', 'ZZ']
export const TRADERS = Array.from({ length: 300 }, (_, i) => 't' + i)

/**
 * A decimal string with 0–18 integer digits and 0–18 fraction digits, never zero: magnitudes
 * from 1e-18 to about 1e18, with random digit counts so limb boundaries (9 and 18 digits) and
 * carries are crossed. Some have redundant leading or trailing zeros.
 */
export const decimalText: fc.Arbitrary<string> = fc.tuple(
  fc.integer({ min: 0, max: 18 }),
  fc.integer({ min: 0, max: 18 }),
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 36, maxLength: 36 }),
  fc.integer({ min: 1, max: 9 }),
  fc.constantFrom('', '', '', '0', '00'),
).map(([intDigits, fracDigits, digits, nonZero, pad]) => {
  let int = digits.slice(0, intDigits).join('')
  let frac = digits.slice(18, 18 + fracDigits).join('')
  // guarantee a non-zero digit: the leading integer digit, or the last fraction digit
  if (intDigits > 0) int = String(nonZero) + int.slice(1)
  else if (fracDigits > 0) frac = frac.slice(0, -1) + String(nonZero)
  else int = String(nonZero)
  if (int === '') int = '0'
  return frac === '' ? (pad === '' ? int : int + '.' + pad) : pad + int + '.' + frac
})

/** Where a swap's blockTime lands, relative to the clock when it is ingested. */
export type TimeRecipe =
  | { kind: 'recent', frac: number } // T − frac·longest window: mostly inside some window
  | { kind: 'nearNow', backMs: number } // within the last few steps
  | { kind: 'late', backMs: number } // older than every window
  | { kind: 'horizon', delta: -1 | 0 | 1 } // at horizonStart(T) + delta
  | { kind: 'futureIn', frac: number } // in (T, T + skew]
  | { kind: 'skewEdge', delta: 0 | 1 } // T + skew + delta
  | { kind: 'futureOut', extraMs: number } // beyond the skew
  | { kind: 'stepEdge', window: number, delta: -1 | 0 } // a window's edge E (+delta)

export type IdRecipe =
  | { kind: 'fresh' }
  | { kind: 'exactDuplicate', pick: number } // the same swap again
  | { kind: 'reuseId', pick: number } // an earlier swap's id, new content and maybe another token
  | { kind: 'reuseIdAndTime', pick: number } // an earlier swap's id and blockTime, new content and maybe another token

export interface IngestOp {
  op: 'ingest'
  chain: number
  token: number
  trader: number
  side: 'BUY' | 'SELL'
  amount: string
  amountUsd: string
  blockNumber: number
  time: TimeRecipe
  id: IdRecipe
}

export type AdvanceRecipe =
  | { kind: 'sub', ms: number } // less than a step
  | { kind: 'toEdge', window: number, delta: -1 | 0 | 1 } // exactly at (or next to) a window edge
  | { kind: 'steps', window: number, n: number } // n whole steps of a window
  | { kind: 'far', frac: number } // up to 1.3 × the longest window
  | { kind: 'pastHorizon', extraMs: number } // beyond every window and the skew
  | { kind: 'back', ms: number } // backwards: must be ignored

export type Op =
  | IngestOp
  | { op: 'advance', to: AdvanceRecipe }
  | { op: 'drain', silent?: boolean } // silent: drain(null), the numbers count as reported unrendered (a standby copy)
  | { op: 'snapshot', drainFirst: boolean } // whole-engine snapshot → restoreEngine, continue on the copy
  | { op: 'tokenCopy', pick: number } // snapshotToken of one token → a fresh engine, compare
  | { op: 'rebuild' } // every token through snapshotToken → restoreToken into a fresh engine, continue
  | { op: 'checkpoint' } // keep a whole-engine snapshot for a later 'recover'
  | { op: 'recover' } // restoreEngine(checkpoint), advance to now, restoreToken of every live token, continue

const frac = fc.double({ min: 0, max: 1, noNaN: true })

const timeRecipe: fc.Arbitrary<TimeRecipe> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('recent' as const), frac }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('nearNow' as const), backMs: fc.integer({ min: 0, max: 5000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('late' as const), backMs: fc.integer({ min: 1, max: 100_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('horizon' as const), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('futureIn' as const), frac }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('skewEdge' as const), delta: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('futureOut' as const), extraMs: fc.integer({ min: 1, max: 100_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('stepEdge' as const), window: fc.nat(10), delta: fc.constantFrom(-1 as const, 0 as const) }) },
)

const idRecipe: fc.Arbitrary<IdRecipe> = fc.oneof(
  { weight: 14, arbitrary: fc.constant({ kind: 'fresh' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('exactDuplicate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuseId' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuseIdAndTime' as const), pick: fc.nat() }) },
)

export const ingestOp: fc.Arbitrary<IngestOp> = fc.record({
  op: fc.constant('ingest' as const),
  chain: fc.nat(CHAINS.length - 1),
  token: fc.nat(TOKENS.length - 1),
  // mostly six traders (repeat traders), sometimes one of 300 (tokens with many distinct traders)
  trader: fc.oneof({ weight: 5, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.nat(TRADERS.length - 1) }),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  amount: decimalText,
  amountUsd: decimalText,
  blockNumber: fc.integer({ min: 100, max: 104 }),
  time: timeRecipe,
  id: idRecipe,
})

const advanceRecipe: fc.Arbitrary<AdvanceRecipe> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sub' as const), ms: fc.integer({ min: 0, max: 999 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('toEdge' as const), window: fc.nat(10), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('steps' as const), window: fc.nat(10), n: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('far' as const), frac }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pastHorizon' as const), extraMs: fc.integer({ min: 0, max: 10_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('back' as const), ms: fc.integer({ min: 1, max: 10_000 }) }) },
)

export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: ingestOp },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('advance' as const), to: advanceRecipe }) },
  { weight: 3, arbitrary: fc.constant({ op: 'drain' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'drain' as const, silent: true }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('snapshot' as const), drainFirst: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tokenCopy' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'rebuild' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'recover' as const }) },
)

/** Sequences of up to 80 operations, uniformly sized (fast-check's default size keeps arrays tiny). */
export const ops: fc.Arbitrary<Op[]> = fc.array(op, { maxLength: 80, size: 'max' })

/** Long sequences (200–400 operations): bucket recycling, many drops and re-creations. */
export const longOps: fc.Arbitrary<Op[]> = fc.array(op, { minLength: 200, maxLength: 400, size: 'max' })
