import { Hash64Table } from './hash64.js'

/** Per trader: the latest *settled* swap time overall, as a buyer and as a seller. */
export const TR_ANY = 0
export const TR_SIDE = 1 // + side
export const TR_STRIDE = 3

/** A level's deque: [head, count, bucket ids...]; the ids live at [head, head + count). */
export const DQ_H = 0
export const DQ_N = 1
const DQ_FIRST = 2

/**
 * State of one token (chain, token). Swaps themselves are not kept: they are folded into
 * buckets (bucket-pool.ts), their ids into `ids` (dedup) and their traders into `traders`.
 *
 * A swap is *settled* once the clock has reached its blockTime. Only settled swaps move a
 * trader's latest time (and with it the bucket trader counts); swaps ahead of the clock (within
 * the allowed skew) wait in `pending` so that a trader's latest time never lies beyond the
 * window end of a level, which would hide the trader's earlier swaps from that level's windows.
 *
 * Tiered levels (engine.ts): the levels of the *chain* (the finest level and each following
 * level whose step is a multiple of the previous one) hold disjoint time ranges. Level k holds
 * what happened in [folded[k], folded[k-1]); a bucket older than folded[k] has been merged into
 * level k+1 (or freed, at the last chain level). `folded` is null until the first fold.
 */
export class Token {
  readonly chain: string
  readonly token: string
  readonly key: string
  slot = -1
  /**
   * Per level, the token's bucket ids sorted by start, as a deque with its head and count in
   * its first two slots (no per-token head/count arrays). Sorted arrays rather than linked lists
   * so that finding the bucket of a trader's previous swap is a binary search, not a walk.
   */
  readonly lists: Array<Int32Array | null>
  /** per chain level: everything before this time has moved to a coarser level */
  folded: number[] | null = null
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
  }
}

/** Number of buckets of level l. */
export function countOf (tok: Token, l: number): number {
  const arr = tok.lists[l]
  return arr === null ? 0 : arr[DQ_N]
}

/** Last bucket of level l, or -1. */
export function tailOf (tok: Token, l: number): number {
  const arr = tok.lists[l]
  return arr === null || arr[DQ_N] === 0 ? -1 : arr[arr[DQ_H] + arr[DQ_N] - 1]
}

/** First bucket of level l, or -1. */
export function headOf (tok: Token, l: number): number {
  const arr = tok.lists[l]
  return arr === null || arr[DQ_N] === 0 ? -1 : arr[arr[DQ_H]]
}

/** Removes the first bucket of level l (which must exist); frees the deque when empty. */
export function shift (tok: Token, l: number): void {
  const arr = tok.lists[l]!
  const n = arr[DQ_N] - 1
  if (n === 0) { tok.lists[l] = null; return }
  arr[DQ_N] = n
  arr[DQ_H]++
}

/** Inserts bucket `b` at absolute position `pos` of level l's deque (pos in [head, head+count]). */
export function insertAt (tok: Token, l: number, pos: number, b: number): void {
  let arr = tok.lists[l]
  if (arr === null) {
    arr = new Int32Array(DQ_FIRST + 2)
    arr[DQ_H] = DQ_FIRST
    arr[DQ_FIRST] = b
    arr[DQ_N] = 1
    tok.lists[l] = arr
    return
  }
  let h = arr[DQ_H]
  const n = arr[DQ_N]
  if (h + n === arr.length) {
    if (h - DQ_FIRST > n) {
      // plenty of room freed at the front by evictions: slide down
      arr.copyWithin(DQ_FIRST, h, h + n)
    } else {
      const grown = new Int32Array(DQ_FIRST + (arr.length - DQ_FIRST) * 2)
      grown.set(arr.subarray(h, h + n), DQ_FIRST)
      arr = grown
      tok.lists[l] = arr
    }
    pos -= h - DQ_FIRST
    h = DQ_FIRST
  }
  if (pos < h + n) arr.copyWithin(pos + 1, pos, h + n)
  arr[pos] = b
  arr[DQ_H] = h
  arr[DQ_N] = n + 1
}

/** Gives a quiet token's deque back the room its busy hours needed. */
export function shrink (tok: Token, l: number): void {
  const arr = tok.lists[l]
  if (arr === null) return
  const n = arr[DQ_N]
  if (arr.length <= 18 || n * 4 >= arr.length) return
  const h = arr[DQ_H]
  const small = new Int32Array(DQ_FIRST + Math.max(2, n * 2))
  small.set(arr.subarray(h, h + n), DQ_FIRST)
  small[DQ_H] = DQ_FIRST
  small[DQ_N] = n
  tok.lists[l] = small
}

/** Appends bucket `b` (a start later than every bucket of the level). */
export function appendTo (tok: Token, l: number, b: number): void {
  const arr = tok.lists[l]
  insertAt(tok, l, arr === null ? DQ_FIRST : arr[DQ_H] + arr[DQ_N], b)
}
