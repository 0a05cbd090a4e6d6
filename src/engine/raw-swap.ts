/**
 * A token's only swap, kept as it came (RAW_STRIDE doubles in a BucketPool of that stride)
 * instead of in buckets and tables. Most tokens of a chain trade rarely: one swap in a day is
 * common, and in the bucketed form it costs a 256-byte bucket, a dedup table, a trader table
 * and a deque. A token's second swap turns it into the bucketed form (engine.ts #densify);
 * the windows of a lone swap are computed directly from it (#scanRaw).
 *
 *   [T SIDE | usd l0..l3 | amt l0..l3 | PRICE BN LI | trader hi,lo | id hi,lo | -]
 *
 * The two fingerprints are int32 pairs packed into one double each, read through the pool's
 * `ints` view (as TableArena keys are).
 */
export const R_T = 0
export const R_SIDE = 1
export const R_USD = 2
export const R_AMT = 6
export const R_PRICE = 10
export const R_BN = 11
export const R_LI = 12
/** int32 pair at ints[2·(o + R_TRADER)], ints[2·(o + R_TRADER) + 1] */
export const R_TRADER = 13
export const R_ID = 14
export const RAW_STRIDE = 16
