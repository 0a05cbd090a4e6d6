import type { Candle } from '../engine/candles.js'
import { limbsToString } from '../swap/decimal18.js'
import { limbsOf } from '../engine/candles.js'
import { DEFAULT_CANDLE_INTERVALS, type CandleInterval } from '../engine/candle-intervals.js'

/**
 * The edge's candles (issue #22 §1): per token and interval a series sorted by start, held in
 * columns of typed arrays, bounded by the interval's history (candle-intervals.ts: 1 d of 1 m,
 * 7 d of 5 m and 15 m, 90 d of 1 h and 4 h, 2 y of 1 d): at most history/interval + 1 candles a
 * series (trimmed in steps of a tenth), and `sweep(now)` drops candles that ended more than the
 * history ago, and series left empty. Memory is per candle held, never per swap.
 *
 *   series "chain:token:1m" ──► start  Float64Array [t0, t1, …]          8 B a candle
 *                               price  Float64Array [o, h, l, c, …]     32 B
 *                               limbs  Uint32Array  [buyUsd×4, sellUsd×4, volume×4, buys, sells, …]  56 B
 *
 * Exact decimals stay exact as base-10⁹ limbs (src/swap/decimal18.ts); a candle's JSON is
 * rendered when asked for. Measured (npm run bench:candles): the first version held each candle
 * as its JSON text, 809 bytes a candle (V8 keeps a concatenated string as a rope), which put a
 * day at 1,000 swaps/s over 20,000 tokens at ~15 GB; the columns cost ~100 bytes.
 */
export type CandleListener = (series: string, start: number) => void

/** a range of a series: indices [lo, hi) of `series` */
export interface CandleRange {
  readonly series: Series
  readonly lo: number
  readonly hi: number
}

const LW = 14 // uint32s a candle in `limbs`
const L_BUY = 0
const L_SELL = 4
const L_VOL = 8
const L_BUYS = 12
const L_SELLS = 13

/** one token's candles of one interval, oldest first */
export class Series {
  readonly interval: CandleInterval
  n = 0
  start: Float64Array
  price: Float64Array
  limbs: Uint32Array

  constructor (interval: CandleInterval, capacity = 4) {
    this.interval = interval
    this.start = new Float64Array(capacity)
    this.price = new Float64Array(capacity * 4)
    this.limbs = new Uint32Array(capacity * LW)
  }

  get capacity (): number { return this.start.length }

  /** first index whose start is ≥ t */
  indexOf (t: number): number {
    let lo = 0
    let hi = this.n
    const st = this.start
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (st[mid] < t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  // 1.25×, not 2×: a day's series are mostly partly filled (tail tokens), and the slack is
  // paid per candle held (bench:candles: arrays 109 bytes a candle at 1.5×, 96 with none)
  #grow (max: number): void {
    const cap = Math.min(max, Math.max(4, this.capacity + 4, Math.ceil(this.capacity * 1.25)))
    const st = new Float64Array(cap); st.set(this.start.subarray(0, this.n)); this.start = st
    const pr = new Float64Array(cap * 4); pr.set(this.price.subarray(0, this.n * 4)); this.price = pr
    const li = new Uint32Array(cap * LW); li.set(this.limbs.subarray(0, this.n * LW)); this.limbs = li
  }

  /** opens a gap at i (the caller fills it) */
  insertAt (i: number, max: number): void {
    if (this.n === this.capacity) this.#grow(max)
    if (i < this.n) {
      this.start.copyWithin(i + 1, i, this.n)
      this.price.copyWithin((i + 1) * 4, i * 4, this.n * 4)
      this.limbs.copyWithin((i + 1) * LW, i * LW, this.n * LW)
    }
    this.n++
  }

  /** removes candle i */
  dropAt (i: number): void {
    this.start.copyWithin(i, i + 1, this.n)
    this.price.copyWithin(i * 4, (i + 1) * 4, this.n * 4)
    this.limbs.copyWithin(i * LW, (i + 1) * LW, this.n * LW)
    this.n--
  }

  /** drops the k oldest */
  dropOldest (k: number): void {
    if (k <= 0) return
    this.start.copyWithin(0, k, this.n)
    this.price.copyWithin(0, k * 4, this.n * 4)
    this.limbs.copyWithin(0, k * LW, this.n * LW)
    this.n -= k
  }

  /** false when a decimal is not one (the candle is then not stored) */
  set (i: number, start: number, c: Candle): boolean {
    const li = this.limbs
    const o = i * LW
    if (!putLimbs(li, o + L_BUY, c.buyVolumeUsd) || !putLimbs(li, o + L_SELL, c.sellVolumeUsd) || !putLimbs(li, o + L_VOL, c.volume)) return false
    li[o + L_BUYS] = c.buys
    li[o + L_SELLS] = c.sells
    this.start[i] = start
    const p = this.price
    p[i * 4] = c.open; p[i * 4 + 1] = c.high; p[i * 4 + 2] = c.low; p[i * 4 + 3] = c.close
    return true
  }

  /** the served JSON of candle i */
  body (i: number): string {
    const li = this.limbs
    const o = i * LW
    const p = this.price
    const t = this.start[i]
    const buys = li[o + L_BUYS]
    const sells = li[o + L_SELLS]
    return '{"start":"' + new Date(t).toISOString() + '","end":"' + new Date(t + this.interval.ms).toISOString() +
      '","open":' + p[i * 4] + ',"high":' + p[i * 4 + 1] + ',"low":' + p[i * 4 + 2] + ',"close":' + p[i * 4 + 3] +
      ',"volumeUsd":"' + this.volumeUsd(i) + '","buyVolumeUsd":"' + limbText(li, o + L_BUY) + '","sellVolumeUsd":"' + limbText(li, o + L_SELL) +
      '","volume":"' + limbText(li, o + L_VOL) + '","txns":' + (buys + sells) + ',"buys":' + buys + ',"sells":' + sells + '}'
  }

  volumeUsd (i: number): string {
    const li = this.limbs
    const o = i * LW
    return limbsToString(li[o + L_BUY] + li[o + L_SELL], li[o + L_BUY + 1] + li[o + L_SELL + 1], li[o + L_BUY + 2] + li[o + L_SELL + 2], li[o + L_BUY + 3] + li[o + L_SELL + 3])
  }

  open (i: number): number { return this.price[i * 4] }
  high (i: number): number { return this.price[i * 4 + 1] }
  low (i: number): number { return this.price[i * 4 + 2] }
  close (i: number): number { return this.price[i * 4 + 3] }

  /** bytes of its arrays */
  get bytes (): number { return this.start.byteLength + this.price.byteLength + this.limbs.byteLength }
}

/** false when the text is not a decimal, or its top limb does not fit a uint32 (over 4.29·10¹⁸ units) */
function putLimbs (li: Uint32Array, o: number, text: string): boolean {
  const v = limbsOf(text)
  if (v === null || v[3] > 0xffffffff) return false
  li[o] = v[0]; li[o + 1] = v[1]; li[o + 2] = v[2]; li[o + 3] = v[3]
  return true
}

function limbText (li: Uint32Array, o: number): string {
  return limbsToString(li[o], li[o + 1], li[o + 2], li[o + 3])
}

export interface CandleStoreOptions {
  /** intervals with their history (default 1m 5m 15m 1h 4h 1d); records of others are kept with 1,440 candles */
  intervals?: readonly CandleInterval[]
}

/** `chain:token:interval:start` → parts; null when it is not such a key */
export function parseCandleKey (key: string): { token: string, interval: string, start: number } | null {
  const a = key.lastIndexOf(':')
  const b = a > 0 ? key.lastIndexOf(':', a - 1) : -1
  if (b <= 0 || key.indexOf(':') >= b) return null
  const start = Number(key.slice(a + 1))
  if (!Number.isSafeInteger(start)) return null
  return { token: key.slice(0, b), interval: key.slice(b + 1, a), start }
}

export class CandleStore {
  readonly #series = new Map<string, Series>()
  readonly #intervals = new Map<string, CandleInterval>()
  readonly #listeners: CandleListener[] = []
  #count = 0

  constructor (options: CandleStoreOptions = {}) {
    for (const iv of options.intervals ?? DEFAULT_CANDLE_INTERVALS) this.#intervals.set(iv.name, iv)
  }

  /** candles held */
  get size (): number { return this.#count }
  get seriesCount (): number { return this.#series.size }
  /** bytes of the series' arrays (their capacity) */
  get arrayBytes (): number { let b = 0; for (const s of this.#series.values()) b += s.bytes; return b }
  /** interval names configured or seen */
  get intervalNames (): string[] { return [...this.#intervals.keys()] }
  interval (name: string): CandleInterval | undefined { return this.#intervals.get(name) }

  onChange (listener: CandleListener): void { this.#listeners.push(listener) }

  /**
   * A `candles` record. A candle already held is replaced (a late swap corrected it); one older
   * than its series keeps is not stored. Tombstones remove.
   */
  apply (key: string, candle: Candle | null): void {
    const k = parseCandleKey(key)
    if (k === null) return
    const name = k.token + ':' + k.interval
    let s = this.#series.get(name)
    if (candle === null) {
      if (s === undefined) return
      const i = s.indexOf(k.start)
      if (i < s.n && s.start[i] === k.start) {
        s.dropAt(i); this.#count--
        if (s.n === 0) this.#series.delete(name)
        for (const l of this.#listeners) l(name, k.start)
      }
      return
    }
    if (s === undefined) {
      let iv = this.#intervals.get(k.interval)
      if (iv === undefined) {
        const ms = Date.parse(candle.end) - Date.parse(candle.start)
        if (!(ms > 0)) return
        iv = { name: k.interval, ms, historyMs: ms * 1440 }
        this.#intervals.set(k.interval, iv)
      }
      s = new Series(iv)
      this.#series.set(name, s)
    }
    const keep = Math.ceil(s.interval.historyMs / s.interval.ms) + 1
    // trimmed a tenth at a time, so a full series does not move its arrays on every new candle
    const max = keep + Math.ceil(keep / 10)
    const i = s.indexOf(k.start)
    if (i < s.n && s.start[i] === k.start) {
      if (!s.set(i, k.start, candle)) return
    } else {
      // older than everything a full series keeps: nothing to serve it with
      if (i === 0 && s.n >= keep) return
      s.insertAt(i, max)
      if (!s.set(i, k.start, candle)) { s.dropAt(i); return }
      this.#count++
      if (s.n >= max) { const k2 = s.n - keep; s.dropOldest(k2); this.#count -= k2 }
    }
    for (const l of this.#listeners) l(name, k.start)
  }

  /** the candle of a series starting at `start`, as served */
  get (series: string, start: number): string | undefined {
    const s = this.#series.get(series)
    if (s === undefined) return undefined
    const i = s.indexOf(start)
    return i < s.n && s.start[i] === start ? s.body(i) : undefined
  }

  /** the newest candle of a series */
  latest (series: string): { start: number, body: string, close: number } | undefined {
    const s = this.#series.get(series)
    if (s === undefined || s.n === 0) return undefined
    return { start: s.start[s.n - 1], body: s.body(s.n - 1), close: s.close(s.n - 1) }
  }

  has (series: string): boolean { return this.#series.has(series) }

  /**
   * Candles of `series` whose start is in [from, to), the newest `limit` of them (so a chart
   * asking for "the last 300" gets the ones next to `to`), ascending.
   */
  range (series: string, from: number, to: number, limit: number): CandleRange | undefined {
    const s = this.#series.get(series)
    if (s === undefined) return undefined
    let lo = s.indexOf(from)
    const hi = s.indexOf(to)
    if (hi - lo > limit) lo = hi - limit
    return { series: s, lo, hi: Math.max(lo, hi) }
  }

  /** start of the newest candle of a series before `t`, or undefined (UDF's nextTime) */
  before (series: string, t: number): number | undefined {
    const s = this.#series.get(series)
    if (s === undefined) return undefined
    const i = s.indexOf(t)
    return i > 0 ? s.start[i - 1] : undefined
  }

  /** Drops candles that ended more than their interval's history before `now`; returns how many. */
  sweep (now: number): number {
    let dropped = 0
    for (const [name, s] of this.#series) {
      const oldestEnd = now - s.interval.historyMs
      let k = 0
      while (k < s.n && s.start[k] + s.interval.ms <= oldestEnd) k++
      if (k === 0) continue
      s.dropOldest(k)
      dropped += k
      if (s.n === 0) this.#series.delete(name)
    }
    this.#count -= dropped
    return dropped
  }
}

export function createCandleStore (options?: CandleStoreOptions): CandleStore {
  return new CandleStore(options)
}
