import type { StatsObject, WindowStats } from '../engine/stats.js'
import type { DeferredStats } from './stats-feed.js'

/** Statistics a ranked list can be ordered by (SPEC §3 per-window stats, plus per-token lastPrice). */
export const RANK_STATS = [
  'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume',
  'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers',
  'open', 'close', 'high', 'low', 'priceChangePct', 'vwap',
  'lastPrice'
] as const
export type RankStat = (typeof RANK_STATS)[number]

/** exact decimal strings in the stats object; the rest are JSON numbers */
export const DECIMAL_STATS: ReadonlySet<RankStat> = new Set<RankStat>([
  'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume'
])

/** stats that belong to the token, not to a window (`window` is ignored for them) */
export const TOKEN_STATS: ReadonlySet<RankStat> = new Set<RankStat>(['lastPrice'])

const RANK_STAT_SET: ReadonlySet<string> = new Set(RANK_STATS)
export function isRankStat (s: string): s is RankStat { return RANK_STAT_SET.has(s) }

/**
 * A stat's value reduced to something cheap to compare exactly:
 * `num` is the double nearest the value; `dec` is the exact decimal text for decimal stats.
 * Rounding to the nearest double is monotonic, so num(a) < num(b) implies a < b; only when the
 * doubles tie do the exact strings decide (compareDecimal). null = the value is null/absent.
 */
export interface RankValue {
  num: number
  dec: string | null
}

/** `stats` may be the object or the still-encoded record (read in place, the same value) */
export function rankValueOf (stats: StatsObject | DeferredStats, stat: RankStat, window: string): RankValue | null {
  if ((stats as Partial<DeferredStats>).deferred === true) {
    const d = stats as DeferredStats
    return stat === 'lastPrice' ? tokenValue(d.field(null, stat)) : windowValue(d.field(window, stat))
  }
  const s = stats as StatsObject
  if (stat === 'lastPrice') return tokenValue(s.lastPrice)
  const w: WindowStats | undefined = s.windows[window]
  if (w === undefined) return null
  return windowValue(w[stat])
}

function tokenValue (v: unknown): RankValue | null {
  return typeof v === 'number' && Number.isFinite(v) ? { num: v, dec: null } : null
}

function windowValue (v: unknown): RankValue | null {
  if (typeof v === 'string') {
    const num = Number(v)
    return Number.isFinite(num) ? { num, dec: v } : null
  }
  return typeof v === 'number' && Number.isFinite(v) ? { num: v, dec: null } : null
}

/** the value as the API shows it: the decimal text for decimal stats, else the number */
export function rankValueJson (v: RankValue | null): string | number | null {
  if (v === null) return null
  return v.dec ?? v.num
}

/**
 * Exact numeric order of two unsigned decimal strings ("12.5", "0.0001", "1234").
 * Tolerates non-canonical forms (leading integer zeros, trailing fraction zeros).
 */
export function compareDecimal (a: string, b: string): number {
  let ad = a.indexOf('.'); if (ad < 0) ad = a.length
  let bd = b.indexOf('.'); if (bd < 0) bd = b.length
  let ai = 0; while (ai < ad - 1 && a.charCodeAt(ai) === 48) ai++
  let bi = 0; while (bi < bd - 1 && b.charCodeAt(bi) === 48) bi++
  const al = ad - ai
  const bl = bd - bi
  if (al !== bl) return al < bl ? -1 : 1
  for (let k = 0; k < al; k++) {
    const d = a.charCodeAt(ai + k) - b.charCodeAt(bi + k)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  // fractions: compare digit by digit, a missing digit is 0
  const af = a.length - ad - 1
  const bf = b.length - bd - 1
  const n = Math.max(af, bf)
  for (let k = 0; k < n; k++) {
    const x = k < af ? a.charCodeAt(ad + 1 + k) : 48
    const y = k < bf ? b.charCodeAt(bd + 1 + k) : 48
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** ascending numeric order of two non-null rank values */
export function compareRankValue (a: RankValue, b: RankValue): number {
  if (a.num !== b.num) return a.num < b.num ? -1 : 1
  if (a.dec !== null && b.dec !== null && a.dec !== b.dec) return compareDecimal(a.dec, b.dec)
  return 0
}
