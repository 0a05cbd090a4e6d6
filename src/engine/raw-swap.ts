import type { Swap } from '../swap/swap.js'

/**
 * A swap as the engine's bucket path (#place, #addSwap) reads it: a row of SW_STRIDE doubles in
 * a scratch array, filled from the swap being ingested or unpacked from a raw row.
 */
export const SW_T = 0
export const SW_SIDE = 1
export const SW_USD = 2
export const SW_AMT = 6
export const SW_PRICE = 10
export const SW_BN = 11
export const SW_LI = 12
export const SW_STRIDE = 13

/**
 * A token's only swap, kept as it came (RAW_STRIDE doubles in a BucketPool of that stride)
 * instead of in buckets and tables. Most tokens of a chain trade rarely: one swap in a day is
 * common, and in the bucketed form it costs a 256-byte bucket, a dedup table, a trader table
 * and a deque. A token's second swap turns it into the bucketed form (engine.ts #densify);
 * the windows of a lone swap are computed directly from it (#scanRaw).
 *
 *   [T | PRICE | BN | side, logIndex | usd l0 l1, l2 l3 | amt l0 l1, l2 l3 | trader hi,lo | id hi,lo]
 *
 * Fields after BN are int32s read through the pool's `ints` view (ints[2·(o + R_x) + i]): a
 * limb is below 10⁹ and a logIndex an Avro int, so 80 bytes hold what took 128 as doubles
 * (measured: 48 bytes less per idle token). A swap whose values do not fit (`fitsRaw`) skips
 * the raw form and goes to buckets at once.
 */
export const R_T = 0
export const R_PRICE = 1
export const R_BN = 2
/** ints: side, logIndex */
export const R_SL = 3
/** ints: l0..l3 */
export const R_USD = 4
export const R_AMT = 6
/** int32 pair */
export const R_TRADER = 8
export const R_ID = 9
export const RAW_STRIDE = 10

const I32 = 0x7fffffff

/** Can the swap's limbs and logIndex be held as int32s (every parsed swap with an Avro-sized logIndex)? */
export function fitsRaw (s: Swap): boolean {
  const u = s.amountUsd
  const a = s.amount
  return fitsInt32(s.logIndex) &&
    fitsInt32(u.l0) && fitsInt32(u.l1) && fitsInt32(u.l2) && fitsInt32(u.l3) &&
    fitsInt32(a.l0) && fitsInt32(a.l1) && fitsInt32(a.l2) && fitsInt32(a.l3)
}

/** A non-negative integer that survives a round trip through an Int32Array (a limb, a logIndex). */
export function fitsInt32 (x: number): boolean {
  return x >= 0 && x <= I32 && x === Math.floor(x)
}
