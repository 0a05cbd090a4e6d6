import type { Swap } from '../swap/swap.js'
import { BUY } from '../swap/swap.js'
import { limbsToString, LIMB } from '../swap/decimal18.js'
import { BucketPool } from './bucket-pool.js'
import { type CandleInterval, DEFAULT_CANDLE_INTERVALS, candleStart } from './candle-intervals.js'

/**
 * One OHLCV candle (issue #22 §1), as the `candles` topic, HTTP and WebSocket carry it.
 * Same field rules as the stats object (stats.ts): decimal strings exact and canonical, prices
 * doubles, open/close by (blockTime, blockNumber, logIndex). `openSwap`/`closeSwap` name the
 * swaps open and close come from, so a restored candle orders a late swap the same way.
 */
export interface Candle {
  chain: string
  token: string
  interval: string
  /** ISO 8601 UTC: the candle covers [start, end) of blockTime */
  start: string
  end: string
  open: number
  high: number
  low: number
  close: number
  volumeUsd: string
  buyVolumeUsd: string
  sellVolumeUsd: string
  volume: string
  txns: number
  buys: number
  sells: number
  /** [blockTime ms, blockNumber, logIndex] of the first and the last swap */
  openSwap: [number, number, number]
  closeSwap: [number, number, number]
}

// A candle row: CANDLE_STRIDE doubles in a BucketPool (C_START doubles as its free-list link),
// the doubles first, then int32s in the same bytes (the pool's `ints` view, index I_* + 2·o):
//
//   doubles  start │ open p,t,block │ close p,t,block │ high │ low │ top limb (10^27) of buy USD, sell USD, volume
//   int32s   open log │ close log │ buys │ sells │ interval·2 + dirty │ limbs 0..2 of buy USD, sell USD, volume
//
// The three lower limbs of each sum are carried on every add, so they stay below 10⁹ and fit an
// int32 (two of them below 2·10⁹ before the carry); the top limb is a double, so sums have no
// ceiling. Measured (npm run bench:candles): 152 bytes a row, was 216 with every limb a double.
const C_START = 0
const C_OPEN_P = 1
const C_OPEN_T = 2
const C_OPEN_B = 3
const C_CLOSE_P = 4
const C_CLOSE_T = 5
const C_CLOSE_B = 6
const C_HIGH = 7
const C_LOW = 8
const C_TOP = 9 // + 0 buy USD, 1 sell USD, 2 volume
const I_OPEN_L = 24
const I_CLOSE_L = 25
const I_COUNT = 26 // + side: buys 26, sells 27
const I_FLAGS = 28 // interval index · 2 + dirty
const I_LIMBS = 29 // + k·3: buy USD 29..31, sell USD 32..34, volume 35..37
export const CANDLE_STRIDE = 19

/** one token's candles: per interval, row indices sorted by start */
interface TokenCandles {
  readonly key: string
  readonly chain: string
  readonly token: string
  readonly rows: number[][]
}

export type CandleListener = (key: string, candle: Candle) => void

/** the `candles` topic's key: chain:token:interval:start (start in ms since the epoch) */
export function candleKey (chain: string, token: string, interval: string, startMs: number): string {
  return chain + ':' + token + ':' + interval + ':' + startMs
}

/**
 * Candles of one partition's tokens at every configured interval, for the candles that a counted
 * swap may still change: the processor adds each swap the engine counted (so duplicates and late
 * swaps are the engine's call, and candles agree with the windows), drains the changed candles
 * into the `candles` topic each cycle, and evicts candles that end before the engine's horizon,
 * which no counted swap can reach any more. Pure: no clock, no I/O.
 *
 * Memory is per token, interval and period with a swap, never per swap: CANDLE_STRIDE doubles
 * (152 bytes) in a typed pool plus a small array slot (docs/processor.md, "Candles").
 */
export class CandleBook {
  readonly intervals: readonly CandleInterval[]
  readonly #pool = new BucketPool(256, CANDLE_STRIDE)
  readonly #tokens = new Map<string, TokenCandles>()
  /** per row: its token (undefined when free) */
  readonly #owner: Array<TokenCandles | undefined> = []
  readonly #dirty: number[] = []
  #sweptAt = -Infinity

  constructor (intervals: readonly CandleInterval[] = DEFAULT_CANDLE_INTERVALS) {
    this.intervals = intervals
  }

  /** candles held */
  get size (): number { return this.#pool.live }
  get tokenCount (): number { return this.#tokens.size }
  /** bytes of the candle pool (its capacity, rows free or not) */
  get poolBytes (): number { return this.#pool.data.byteLength }

  #tokenOf (chain: string, token: string): TokenCandles {
    const key = chain + ':' + token
    let tc = this.#tokens.get(key)
    if (tc === undefined) {
      tc = { key, chain, token, rows: this.intervals.map(() => []) }
      this.#tokens.set(key, tc)
    }
    return tc
  }

  /** the row of interval i starting at `start`, made (zeroed, start set) if missing */
  #rowFor (tc: TokenCandles, i: number, start: number): number {
    const rows = tc.rows[i]
    let d = this.#pool.data
    const n = rows.length
    // swaps mostly arrive in time order: the newest candle first
    if (n > 0) {
      const last = d[rows[n - 1] * CANDLE_STRIDE + C_START]
      if (last === start) return rows[n - 1]
      if (last > start) {
        let lo = 0
        let hi = n - 1
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if (d[rows[mid] * CANDLE_STRIDE + C_START] < start) lo = mid + 1
          else hi = mid
        }
        if (d[rows[lo] * CANDLE_STRIDE + C_START] === start) return rows[lo]
        const r = this.#alloc(tc, i, start)
        rows.splice(lo, 0, r)
        return r
      }
    }
    const r = this.#alloc(tc, i, start)
    rows.push(r)
    d = this.#pool.data
    return r
  }

  #alloc (tc: TokenCandles, i: number, start: number): number {
    const r = this.#pool.alloc()
    const d = this.#pool.data
    const o = r * CANDLE_STRIDE
    d[o + C_START] = start
    this.#pool.ints[2 * o + I_FLAGS] = i * 2
    d[o + C_OPEN_T] = Infinity
    d[o + C_CLOSE_T] = -Infinity
    d[o + C_HIGH] = -Infinity
    d[o + C_LOW] = Infinity
    this.#owner[r] = tc
    return r
  }

  #markDirty (r: number): void {
    const ints = this.#pool.ints
    const f = 2 * r * CANDLE_STRIDE + I_FLAGS
    if ((ints[f] & 1) === 0) { ints[f] |= 1; this.#dirty.push(r) }
  }

  #isDirty (r: number): boolean { return (this.#pool.ints[2 * r * CANDLE_STRIDE + I_FLAGS] & 1) === 1 }
  #clean (r: number): void { this.#pool.ints[2 * r * CANDLE_STRIDE + I_FLAGS] &= ~1 }

  /** Adds a swap the engine counted to its candle of every interval. */
  add (s: Swap): void {
    const tc = this.#tokenOf(s.chain, s.token)
    const t = s.blockTime
    const side = s.side
    const a = s.amountUsd
    const q = s.amount
    const p = s.price
    for (let i = 0; i < this.intervals.length; i++) {
      const r = this.#rowFor(tc, i, candleStart(t, this.intervals[i].ms))
      const d = this.#pool.data
      const ints = this.#pool.ints
      const o = r * CANDLE_STRIDE
      const io = 2 * o
      addLimbs(d, o + C_TOP + side, ints, io + I_LIMBS + side * 3, a.l0, a.l1, a.l2, a.l3)
      addLimbs(d, o + C_TOP + 2, ints, io + I_LIMBS + 6, q.l0, q.l1, q.l2, q.l3)
      ints[io + I_COUNT + side]++
      if (p > d[o + C_HIGH]) d[o + C_HIGH] = p
      if (p < d[o + C_LOW]) d[o + C_LOW] = p
      if (before(t, s.blockNumber, s.logIndex, d[o + C_OPEN_T], d[o + C_OPEN_B], ints[io + I_OPEN_L])) {
        d[o + C_OPEN_T] = t; d[o + C_OPEN_B] = s.blockNumber; ints[io + I_OPEN_L] = s.logIndex; d[o + C_OPEN_P] = p
      }
      // a tie (same blockTime, block and log index) keeps the first arrival, as the windows' close does
      if (before(d[o + C_CLOSE_T], d[o + C_CLOSE_B], ints[io + I_CLOSE_L], t, s.blockNumber, s.logIndex)) {
        d[o + C_CLOSE_T] = t; d[o + C_CLOSE_B] = s.blockNumber; ints[io + I_CLOSE_L] = s.logIndex; d[o + C_CLOSE_P] = p
      }
      this.#markDirty(r)
    }
  }

  /**
   * Drops every candle that ends at or before `cutoff` (the engine's horizon start: a swap
   * older than it is late). Sweeps at most once per shortest interval, since no candle can end
   * in between. Returns the candles dropped.
   */
  evict (cutoff: number): number {
    if (this.intervals.length === 0 || cutoff - this.#sweptAt < this.intervals[0].ms) return 0
    this.#sweptAt = cutoff
    let dropped = 0
    const d = this.#pool.data
    for (const [key, tc] of this.#tokens) {
      let left = 0
      for (let i = 0; i < this.intervals.length; i++) {
        const rows = tc.rows[i]
        const ms = this.intervals[i].ms
        let k = 0
        while (k < rows.length && d[rows[k] * CANDLE_STRIDE + C_START] + ms <= cutoff) {
          this.#release(rows[k]); k++
        }
        if (k > 0) { rows.splice(0, k); dropped += k }
        left += rows.length
      }
      if (left === 0) this.#tokens.delete(key)
    }
    return dropped
  }

  #release (r: number): void {
    this.#clean(r)
    this.#owner[r] = undefined
    this.#pool.release(r)
  }

  /** Calls `onCandle` for every candle changed since the last drain; returns how many. */
  drain (onCandle: CandleListener): number {
    let n = 0
    const dirty = this.#dirty
    for (let k = 0; k < dirty.length; k++) {
      const r = dirty[k]
      if (!this.#isDirty(r)) continue // evicted, or listed twice
      this.#clean(r)
      const tc = this.#owner[r]
      if (tc === undefined) continue
      const c = this.#render(tc, r)
      onCandle(candleKey(tc.chain, tc.token, c.interval, this.#pool.data[r * CANDLE_STRIDE + C_START]), c)
      n++
    }
    dirty.length = 0
    return n
  }

  /** Forgets what changed since the last drain (a restore's loaded candles are already published). */
  clearDirty (): void {
    for (const r of this.#dirty) this.#clean(r)
    this.#dirty.length = 0
  }

  /** every candle held, in (token, interval, start) order of insertion: tests and the oracle */
  all (): Candle[] {
    const out: Candle[] = []
    for (const tc of this.#tokens.values()) for (const rows of tc.rows) for (const r of rows) out.push(this.#render(tc, r))
    return out
  }

  /**
   * Puts back a candle as published (restore from the `candles` topic). Replaces a held candle
   * of the same key; false when the record is not a candle of a configured interval.
   */
  load (c: Candle): boolean {
    const i = this.intervals.findIndex((iv) => iv.name === c.interval)
    if (i < 0) return false
    const start = Date.parse(c.start)
    const usdB = limbsOf(c.buyVolumeUsd)
    const usdS = limbsOf(c.sellVolumeUsd)
    const amt = limbsOf(c.volume)
    if (!Number.isFinite(start) || usdB === null || usdS === null || amt === null) return false
    if (!Array.isArray(c.openSwap) || !Array.isArray(c.closeSwap)) return false
    const tc = this.#tokenOf(c.chain, c.token)
    const r = this.#rowFor(tc, i, start)
    const d = this.#pool.data
    const ints = this.#pool.ints
    const o = r * CANDLE_STRIDE
    const io = 2 * o
    d[o + C_OPEN_P] = c.open; d[o + C_CLOSE_P] = c.close; d[o + C_HIGH] = c.high; d[o + C_LOW] = c.low
    d[o + C_OPEN_T] = c.openSwap[0]; d[o + C_OPEN_B] = c.openSwap[1]; ints[io + I_OPEN_L] = c.openSwap[2]
    d[o + C_CLOSE_T] = c.closeSwap[0]; d[o + C_CLOSE_B] = c.closeSwap[1]; ints[io + I_CLOSE_L] = c.closeSwap[2]
    const sums = [usdB, usdS, amt]
    for (let k = 0; k < 3; k++) {
      const v = sums[k]
      ints[io + I_LIMBS + k * 3] = v[0]; ints[io + I_LIMBS + k * 3 + 1] = v[1]; ints[io + I_LIMBS + k * 3 + 2] = v[2]
      d[o + C_TOP + k] = v[3]
    }
    ints[io + I_COUNT] = c.buys; ints[io + I_COUNT + 1] = c.sells
    return true
  }

  #render (tc: TokenCandles, r: number): Candle {
    const d = this.#pool.data
    const ints = this.#pool.ints
    const o = r * CANDLE_STRIDE
    const io = 2 * o
    const iv = this.intervals[ints[io + I_FLAGS] >> 1]
    const start = d[o + C_START]
    const b = io + I_LIMBS
    const buys = ints[io + I_COUNT]
    const sells = ints[io + I_COUNT + 1]
    return {
      chain: tc.chain,
      token: tc.token,
      interval: iv.name,
      start: new Date(start).toISOString(),
      end: new Date(start + iv.ms).toISOString(),
      open: d[o + C_OPEN_P],
      high: d[o + C_HIGH],
      low: d[o + C_LOW],
      close: d[o + C_CLOSE_P],
      volumeUsd: limbsToString(ints[b] + ints[b + 3], ints[b + 1] + ints[b + 4], ints[b + 2] + ints[b + 5], d[o + C_TOP] + d[o + C_TOP + 1]),
      buyVolumeUsd: limbsToString(ints[b], ints[b + 1], ints[b + 2], d[o + C_TOP]),
      sellVolumeUsd: limbsToString(ints[b + 3], ints[b + 4], ints[b + 5], d[o + C_TOP + 1]),
      volume: limbsToString(ints[b + 6], ints[b + 7], ints[b + 8], d[o + C_TOP + 2]),
      txns: buys + sells,
      buys,
      sells,
      openSwap: [d[o + C_OPEN_T], d[o + C_OPEN_B], ints[io + I_OPEN_L]],
      closeSwap: [d[o + C_CLOSE_T], d[o + C_CLOSE_B], ints[io + I_CLOSE_L]]
    }
  }
}

/** (t, b, l) orders strictly before (t2, b2, l2) */
function before (t: number, b: number, l: number, t2: number, b2: number, l2: number): boolean {
  return t < t2 || (t === t2 && (b < b2 || (b === b2 && l < l2)))
}

/** adds a decimal's limbs to a sum: the lower three int32s carried at once, the top one a double */
function addLimbs (d: Float64Array, top: number, ints: Int32Array, lo: number, l0: number, l1: number, l2: number, l3: number): void {
  let x = ints[lo] + l0
  let c = 0
  if (x >= LIMB) { x -= LIMB; c = 1 }
  ints[lo] = x
  x = ints[lo + 1] + l1 + c
  c = 0
  if (x >= LIMB) { x -= LIMB; c = 1 }
  ints[lo + 1] = x
  x = ints[lo + 2] + l2 + c
  c = 0
  if (x >= LIMB) { x -= LIMB; c = 1 }
  ints[lo + 2] = x
  d[top] += l3 + c
}

/**
 * A canonical decimal string as limbs [l0, l1, l2, l3] (decimal18.ts), with no limit on the
 * integer digits: a candle's sum may pass the 18 digits a single amount may have.
 */
export function limbsOf (text: unknown): [number, number, number, number] | null {
  if (typeof text !== 'string') return null
  const m = /^([0-9]{1,24})(?:\.([0-9]{1,18}))?$/.exec(text)
  if (m === null) return null
  const int = m[1]
  const frac = (m[2] ?? '').padEnd(18, '0')
  return [+frac.slice(9, 18), +frac.slice(0, 9), +int.slice(-9), int.length > 9 ? +int.slice(0, -9) : 0]
}

export function createCandleBook (intervals?: readonly CandleInterval[]): CandleBook {
  return new CandleBook(intervals)
}
