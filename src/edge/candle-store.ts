import type { Candle } from '../engine/candles.js'
import { DEFAULT_CANDLE_INTERVALS, type CandleInterval } from '../engine/candle-intervals.js'

/**
 * The edge's candles (issue #22 §1): per token and interval a series sorted by start, each
 * candle held as the JSON text it is served as (so a query concatenates, it never renders),
 * bounded by the interval's history (candle-intervals.ts: 1 d of 1 m, 7 d of 5 m and 15 m, 90 d
 * of 1 h and 4 h, 2 y of 1 d): at most history/interval + 1 candles a series, and `sweep(now)`
 * drops candles that ended more than the history ago, and series left empty. Memory is per
 * candle held (measured by `npm run bench:candles`), never per swap.
 *
 *   series "chain:token:1m" ──► starts: [t0, t1, …]   (ms, ascending)
 *                               bodies: ['{"start":…}', …]  (same index)
 */
export type CandleListener = (series: string, start: number) => void

export interface CandleRange {
  readonly starts: readonly number[]
  readonly bodies: readonly string[]
  /** index range [lo, hi) of the answer */
  readonly lo: number
  readonly hi: number
}

interface Series {
  readonly interval: CandleInterval
  readonly starts: number[]
  readonly bodies: string[]
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

/** the served JSON of a candle: what the series, the token and the interval do not already say */
export function candleBody (c: Candle): string {
  return '{"start":' + JSON.stringify(c.start) + ',"end":' + JSON.stringify(c.end) +
    ',"open":' + c.open + ',"high":' + c.high + ',"low":' + c.low + ',"close":' + c.close +
    ',"volumeUsd":' + JSON.stringify(c.volumeUsd) + ',"buyVolumeUsd":' + JSON.stringify(c.buyVolumeUsd) +
    ',"sellVolumeUsd":' + JSON.stringify(c.sellVolumeUsd) + ',"volume":' + JSON.stringify(c.volume) +
    ',"txns":' + c.txns + ',"buys":' + c.buys + ',"sells":' + c.sells + '}'
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
      const i = indexOf(s.starts, k.start)
      if (i < s.starts.length && s.starts[i] === k.start) {
        s.starts.splice(i, 1); s.bodies.splice(i, 1); this.#count--
        if (s.starts.length === 0) this.#series.delete(name)
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
      s = { interval: iv, starts: [], bodies: [] }
      this.#series.set(name, s)
    }
    const body = candleBody(candle)
    const starts = s.starts
    const n = starts.length
    const cap = Math.ceil(s.interval.historyMs / s.interval.ms) + 1
    if (n === 0 || starts[n - 1] < k.start) {
      starts.push(k.start); s.bodies.push(body); this.#count++
      if (starts.length > cap) { starts.shift(); s.bodies.shift(); this.#count-- }
    } else {
      const i = indexOf(starts, k.start)
      if (starts[i] === k.start) s.bodies[i] = body
      else {
        // older than everything a full series keeps: nothing to serve it with
        if (i === 0 && n >= cap) return
        starts.splice(i, 0, k.start); s.bodies.splice(i, 0, body); this.#count++
        if (starts.length > cap) { starts.shift(); s.bodies.shift(); this.#count-- }
      }
    }
    for (const l of this.#listeners) l(name, k.start)
  }

  /** the candle of a series starting at `start`, as served */
  get (series: string, start: number): string | undefined {
    const s = this.#series.get(series)
    if (s === undefined) return undefined
    const i = indexOf(s.starts, start)
    return s.starts[i] === start ? s.bodies[i] : undefined
  }

  /** the newest candle of a series */
  latest (series: string): { start: number, body: string } | undefined {
    const s = this.#series.get(series)
    if (s === undefined || s.starts.length === 0) return undefined
    return { start: s.starts[s.starts.length - 1], body: s.bodies[s.bodies.length - 1] }
  }

  /**
   * Candles of `series` whose start is in [from, to), the newest `limit` of them (so a chart
   * asking for "the last 300" gets the ones next to `to`), ascending.
   */
  range (series: string, from: number, to: number, limit: number): CandleRange | undefined {
    const s = this.#series.get(series)
    if (s === undefined) return undefined
    let lo = indexOf(s.starts, from)
    const hi = indexOf(s.starts, to)
    if (hi - lo > limit) lo = hi - limit
    return { starts: s.starts, bodies: s.bodies, lo, hi: Math.max(lo, hi) }
  }

  /** start of the newest candle of a series before `t`, or undefined (UDF's nextTime) */
  before (series: string, t: number): number | undefined {
    const s = this.#series.get(series)
    if (s === undefined) return undefined
    const i = indexOf(s.starts, t)
    return i > 0 ? s.starts[i - 1] : undefined
  }

  /** Drops candles that ended more than their interval's history before `now`; returns how many. */
  sweep (now: number): number {
    let dropped = 0
    for (const [name, s] of this.#series) {
      const oldestEnd = now - s.interval.historyMs
      let k = 0
      while (k < s.starts.length && s.starts[k] + s.interval.ms <= oldestEnd) k++
      if (k === 0) continue
      s.starts.splice(0, k); s.bodies.splice(0, k)
      dropped += k
      if (s.starts.length === 0) this.#series.delete(name)
    }
    this.#count -= dropped
    return dropped
  }
}

/** first index whose start is ≥ t */
function indexOf (starts: readonly number[], t: number): number {
  let lo = 0
  let hi = starts.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (starts[mid] < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function createCandleStore (options?: CandleStoreOptions): CandleStore {
  return new CandleStore(options)
}
