/**
 * fast-check arbitraries of stats objects as schemas/stats.avsc can carry them: wide strings,
 * longs to avsc's limits, every double, window names that are awkward as object keys. Shared
 * by the tests of the hand-written stats reader and writer (src/codec/stats-*.ts).
 */
import fc from 'fast-check'
import type { StatsObject, WindowStats } from '../../src/engine/stats.js'

// strings: mostly ASCII like the processor writes, sometimes any Unicode (non-ASCII takes the UTF-8 path)
export const str = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('0', '', '2021-06-16T02:47:08.000Z', '1234.567891', 'é', '€1', '𝄞') },
)
// longs: avsc accepts ±(2^53 - 2); small ones are the common case (1-byte varints)
export const long = fc.oneof(
  fc.integer({ min: -70, max: 70 }),
  fc.integer(),
  fc.integer({ min: -9007199254740990, max: 9007199254740990 }),
  fc.constantFrom(9007199254740990, -9007199254740990, 2 ** 52 + 1, -(2 ** 52) - 3, 2 ** 31, -(2 ** 31)),
)
export const nullableDouble = fc.option(fc.oneof(fc.double(), fc.constantFrom(NaN, -0, Infinity, -Infinity, 5e-324)), { nil: null })
export const windowName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('1m', '5m', '15m', '1h', '24h') },
  { weight: 1, arbitrary: str },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'toString', '0', '10', '__proto__', 'hasOwnProperty') },
)
export const windowStats: fc.Arbitrary<WindowStats> = fc.record({
  from: str, to: str, volumeUsd: str, buyVolumeUsd: str, sellVolumeUsd: str, volume: str, buyVolume: str, sellVolume: str,
  txns: long, buys: long, sells: long, traders: long, buyers: long, sellers: long,
  open: nullableDouble, close: nullableDouble, high: nullableDouble, low: nullableDouble, priceChangePct: nullableDouble, vwap: nullableDouble,
}, { noNullPrototype: true })

/** the map as avsc would see it: [name, stats] pairs (an object could not hold __proto__ or order numeric names) */
export const statsEntries = fc.record({
  chain: str,
  token: str,
  asOf: str,
  lastPrice: nullableDouble,
  lastTradeAt: fc.option(str, { nil: null }),
  firstSeenAt: fc.option(str, { nil: null }),
  windows: fc.array(fc.tuple(windowName, windowStats), { maxLength: 12 }),
}, { noNullPrototype: true })

export type StatsEntries = Omit<StatsObject, 'windows'> & { windows: Array<[string, WindowStats]> }

/** the object an encoder takes: windows as an object in entry order (later duplicates win; `__proto__` an own key) */
export function toStatsObject (e: StatsEntries): StatsObject {
  return { ...e, windows: Object.fromEntries(e.windows) }
}
