import { Hash64Table } from './hash64.js'

/** Per trader: the latest *settled* swap time overall, as a buyer and as a seller. */
export const TR_ANY = 0
export const TR_SIDE = 1 // + side
export const TR_STRIDE = 3

/**
 * State of one token (chain, token). Swaps themselves are not kept: they are folded into
 * buckets (bucket-pool.ts), their ids into `ids` (dedup) and their traders into `traders`.
 *
 * A swap is *settled* once the clock has reached its blockTime. Only settled swaps move a
 * trader's latest time (and with it the bucket trader counts); swaps ahead of the clock (within
 * the allowed skew) wait in `pending` so that a trader's latest time never lies beyond the
 * window end of a level, which would hide the trader's earlier swaps from that level's windows.
 */
export class Token {
  readonly chain: string
  readonly token: string
  readonly key: string
  slot = -1
  /** first and last bucket per level (ascending start), NIL when empty */
  readonly heads: Int32Array
  readonly tails: Int32Array
  ids: Hash64Table | null = null
  traders: Hash64Table | null = null
  /** flat [blockTime, traderHi, traderLo, side, ...] of accepted swaps ahead of the clock */
  pending: number[] | null = null
  firstSeen = Infinity
  lastT = -Infinity
  lastB = 0
  lastL = 0
  lastPrice = NaN
  /** time of this token's live entry in the timer heap (Infinity: none) */
  timerAt = Infinity
  dirty = false
  /** fingerprint of the numbers the last drain reported */
  reported = false
  repHi = 0
  repLo = 0

  constructor (chain: string, token: string, levels: number) {
    this.chain = chain
    this.token = token
    this.key = chain + ':' + token
    this.heads = new Int32Array(levels).fill(-1)
    this.tails = new Int32Array(levels).fill(-1)
  }
}
