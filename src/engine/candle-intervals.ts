import { VolumerError } from '../errors.js'
import { parseDuration } from './windows.js'

/**
 * A candle interval: candles of it start at multiples of `ms` since the epoch (UTC), so a 1 d
 * candle is a UTC day and a 4 h candle starts at 00:00, 04:00, … UTC, as screeners draw them.
 * `historyMs` is how long the edge keeps its closed candles (issue #22: at least 1,440 × 1 m,
 * 7 days of 5 m and 15 m, 90 days of 1 h and 4 h, 2 years of 1 d).
 */
export interface CandleInterval {
  readonly name: string
  readonly ms: number
  readonly historyMs: number
}

const DAY = 86_400_000

/** the history each default interval keeps; other intervals keep 1,440 candles */
const DEFAULT_HISTORY_MS: Readonly<Record<string, number>> = Object.freeze({
  '1m': DAY,
  '5m': 7 * DAY,
  '15m': 7 * DAY,
  '1h': 90 * DAY,
  '4h': 90 * DAY,
  '1d': 730 * DAY
})

export const DEFAULT_CANDLE_INTERVAL_LIST = '1m,5m,15m,1h,4h,1d'

/** `1m,5m,1h` → intervals, ascending; at most 12, each from 1 s to 7 d, dividing a day or a multiple of it */
export function parseCandleIntervals (text: string): CandleInterval[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)
  if (parts.length === 0) throw new VolumerError('BAD_CONFIG', 'no candle intervals given: expected e.g. 1m,5m,1h,1d')
  if (parts.length > 12) throw new VolumerError('BAD_CONFIG', 'at most 12 candle intervals')
  const out: CandleInterval[] = []
  for (const name of parts) {
    const ms = parseDuration(name)
    if (ms < 1000 || ms > 7 * DAY) throw new VolumerError('BAD_CONFIG', `candle interval ${name}: must be from 1s to 7d`)
    // aligned to the epoch: an interval that neither divides a day nor is whole days would
    // start its candles at odd times of day
    if (DAY % ms !== 0 && ms % DAY !== 0) throw new VolumerError('BAD_CONFIG', `candle interval ${name}: must divide a day (1m, 5m, 4h, …) or be whole days`)
    if (out.some((c) => c.ms === ms)) throw new VolumerError('BAD_CONFIG', `candle interval ${name} given twice`)
    out.push({ name, ms, historyMs: DEFAULT_HISTORY_MS[name] ?? ms * 1440 })
  }
  out.sort((a, b) => a.ms - b.ms)
  return out
}

export const DEFAULT_CANDLE_INTERVALS: readonly CandleInterval[] = Object.freeze(parseCandleIntervals(DEFAULT_CANDLE_INTERVAL_LIST))

/** start of the candle of `interval` that holds time t */
export function candleStart (t: number, ms: number): number {
  return Math.floor(t / ms) * ms
}
