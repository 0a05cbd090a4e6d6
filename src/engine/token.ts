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
  /**
   * Per level, the token's bucket ids sorted by start, as a deque: `lists[l]` holds them at
   * [lh[l], lh[l] + ln[l]). Sorted arrays rather than linked lists so that finding the bucket of
   * a trader's previous swap is a binary search, not a walk (measured: the walk was 22% of
   * ingest with 50k traders over 800 tokens).
   */
  readonly lists: Array<Int32Array | null>
  readonly lh: Int32Array
  readonly ln: Int32Array
  ids: Hash64Table | null = null
  traders: Hash64Table | null = null
  /** flat [blockTime, traderHi, traderLo, side, ...] of accepted swaps ahead of the clock */
  pending: number[] | null = null
  /** earliest blockTime in `pending` (Infinity: none) */
  pendingMin = Infinity
  firstSeen = Infinity
  lastT = -Infinity
  lastB = 0
  lastL = 0
  lastPrice = NaN
  /** time of this token's live entry in the timer heap (Infinity: none) */
  timerAt = Infinity
  dirty = false
  /** took swaps since the last drain: its persisted state (changelog) must be rewritten */
  stateDirty = false
  /** fingerprint of the numbers the last drain reported */
  reported = false
  repHi = 0
  repLo = 0

  constructor (chain: string, token: string, levels: number) {
    this.chain = chain
    this.token = token
    this.key = chain + ':' + token
    this.lists = new Array<Int32Array | null>(levels).fill(null)
    this.lh = new Int32Array(levels)
    this.ln = new Int32Array(levels)
  }
}

/** Last bucket of level l, or -1. */
export function tailOf (tok: Token, l: number): number {
  const n = tok.ln[l]
  return n === 0 ? -1 : tok.lists[l]![tok.lh[l] + n - 1]
}

/** Inserts bucket `b` at absolute position `pos` of level l's deque (pos in [lh, lh+ln]). */
export function insertAt (tok: Token, l: number, pos: number, b: number): void {
  let arr = tok.lists[l]
  let h = tok.lh[l]
  const n = tok.ln[l]
  if (arr === null) {
    arr = new Int32Array(4)
    tok.lists[l] = arr
    h = 0
    pos = 0
  } else if (h + n === arr.length) {
    if (h > n) {
      // plenty of room freed at the front by evictions: slide down
      arr.copyWithin(0, h, h + n)
    } else {
      const grown = new Int32Array(arr.length * 2)
      grown.set(arr.subarray(h, h + n))
      arr = grown
      tok.lists[l] = arr
    }
    pos -= h
    h = 0
  }
  if (pos < h + n) arr.copyWithin(pos + 1, pos, h + n)
  arr[pos] = b
  tok.lh[l] = h
  tok.ln[l] = n + 1
}

/** Appends bucket `b` (a start later than every bucket of the level). */
export function appendTo (tok: Token, l: number, b: number): void {
  insertAt(tok, l, tok.lh[l] + tok.ln[l], b)
}
