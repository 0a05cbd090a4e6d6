import { grown, grownFilled } from './grow.js'

/**
 * Per trader: the latest *settled* swap time as a buyer and as a seller. The latest time
 * overall is the larger of the two (every swap is a buy or a sell), so it is not stored.
 */
export const TR_SIDE = 0 // + side
export const TR_STRIDE = 2

/** The trader's latest settled swap on either side, from its entry's values at `base`. */
export function latestAny (v: Float64Array, base: number): number {
  const buy = v[base + TR_SIDE]
  const sell = v[base + TR_SIDE + 1]
  return buy > sell ? buy : sell
}

/**
 * A level's deque, a block of 2^k int32s in a DequeArena: [head, count, k, bucket ids...];
 * `head` is an absolute index into the arena's array, the ids live at [head, head + count).
 */
export const DQ_H = 0
export const DQ_N = 1
export const DQ_K = 2
const DQ_FIRST = 3
// a new deque holds one bucket (16 bytes): most levels of most tokens never hold a second one
const DQ_MIN_K = 2

/**
 * Every token's per-level deques in one Int32Array, blocks of 2^k ints with a free list per
 * k. Per-(token, level) Int32Arrays were an off-heap allocation each, and their growth was
 * most of the external-memory pressure that started full GCs during ingest (measured with
 * --trace-gc: 34 Mark-Compacts in four 1M-swap runs, 10 with the arenas sized up front).
 */
export class DequeArena {
  data = new Int32Array(1 << 16)
  /**
   * Per (token row, level), at row·levels + level: the offset of the level's deque (-1:
   * none), its bucket ids sorted by start. Sorted arrays rather than linked lists so that
   * finding the bucket of a trader's previous swap is a search, not a walk. Kept here rather
   * than in an array per token: a JS array of four numbers cost an idle token 80 bytes and
   * the garbage collector an object to mark.
   */
  roots: Int32Array
  readonly levels: number
  #top = 0
  readonly #free: number[] = []

  constructor (levels: number) {
    this.levels = levels
    this.roots = new Int32Array(levels * 1024).fill(-1)
  }

  /** Makes room for a row's roots and marks its levels empty. */
  clearRoots (row: number): void {
    const from = row * this.levels
    const to = from + this.levels
    if (to > this.roots.length) this.roots = grownFilled(this.roots, to, -1)
    this.roots.fill(-1, from, to)
  }

  /** A block of 2^k ints with an empty deque. `data` may be replaced. */
  alloc (k: number): number {
    let off: number
    const head = this.#free[k]
    if (head !== undefined && head >= 0) {
      off = head
      this.#free[k] = this.data[head]
    } else {
      off = this.#top
      const n = 1 << k
      if (off + n > this.data.length) this.data = grown(this.data, off, off + n)
      this.#top = off + n
    }
    const q = this.data
    q[off + DQ_H] = off + DQ_FIRST
    q[off + DQ_N] = 0
    q[off + DQ_K] = k
    return off
  }

  free (off: number): void {
    const k = this.data[off + DQ_K]
    const head = this.#free[k]
    this.data[off] = head === undefined ? -1 : head
    this.#free[k] = off
  }

  get capacityBytes (): number { return this.data.byteLength }
}

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
 * level k+1 (or freed, at the last chain level). folded[k] is the token's TV_FOLDED + k value.
 */
// Token bits: a table's k is below 32 (2³¹ entries would not fit a typed array anyway)
const K_MASK = 31
const TR_K_SHIFT = 5
const DIRTY = 1 << 10
const STATE_DIRTY = 1 << 11
const REPORTED = 1 << 12

export class Token {
  readonly chain: string
  readonly token: string
  /**
   * The token's number in the engine (its entry in the slot table and its timer). Fixed for
   * the token's life; -1 once it is dropped.
   */
  slot: number
  /**
   * Index of the token's row of doubles (TV_* in the engine's value array), of its table
   * handles (TI_*) and of its deque roots (DequeArena.roots); -1 while its one swap is kept
   * raw. A raw token needs none of them: its first-seen, last trade and price are its raw
   * swap's, and it has no tables or buckets. Rows are numbered apart from slots so that the
   * commonest token, one swap a day, does not pay ~110 bytes for them.
   */
  row = -1
  /**
   * The token's one swap kept raw (an entry of the engine's raw pool, raw-swap.ts), -1 once it
   * has buckets and tables instead. A raw token has no buckets, tables or pending swaps.
   */
  raw = -1
  /** flat [blockTime, traderHi, traderLo, side, ...] of accepted swaps ahead of the clock */
  pending: number[] | null = null
  /**
   * trK and three flags in one small integer (see the accessors): every field of an object
   * is 8 bytes on Node's default build, and these (with the dedup table's k, gone with
   * dedup-slices.ts) were 40 of an idle token's 168.
   */
  #bits = 0
  /** fingerprint of the numbers the last drain reported (valid when `reported`) */
  repHi = 0
  repLo = 0

  get trK (): number { return (this.#bits >> TR_K_SHIFT) & K_MASK }
  set trK (k: number) { this.#bits = (this.#bits & ~(K_MASK << TR_K_SHIFT)) | (k << TR_K_SHIFT) }
  /** in the engine's list of tokens to report at the next drain */
  get dirty (): boolean { return (this.#bits & DIRTY) !== 0 }
  set dirty (v: boolean) { this.#bits = v ? this.#bits | DIRTY : this.#bits & ~DIRTY }
  /** took swaps since the last drain: its persisted state (changelog) must be rewritten */
  get stateDirty (): boolean { return (this.#bits & STATE_DIRTY) !== 0 }
  set stateDirty (v: boolean) { this.#bits = v ? this.#bits | STATE_DIRTY : this.#bits & ~STATE_DIRTY }
  get reported (): boolean { return (this.#bits & REPORTED) !== 0 }
  set reported (v: boolean) { this.#bits = v ? this.#bits | REPORTED : this.#bits & ~REPORTED }

  constructor (chain: string, token: string, slot: number) {
    this.chain = chain
    this.token = token
    this.slot = slot
  }

  /** `chain:token`, made when asked: kept on every token it was 70 bytes of an idle one */
  get key (): string { return this.chain + ':' + this.token }
}

/**
 * A bucketed token's doubles, a row per `row` in one Float64Array of the engine (`rowWidth` doubles). As
 * object fields each was a heap number of its own (V8 no longer stores doubles unboxed in
 * objects), and `folded` an array: 24 bytes per double, 80 for the array, and an object each
 * for the garbage collector to mark.
 */
export const TV_FIRST_SEEN = 0
export const TV_LAST_T = 1
export const TV_LAST_PRICE = 2
/** earliest blockTime in `pending` (Infinity: none) */
export const TV_PENDING_MIN = 3
/** block number and log index of the token's last trade (with TV_LAST_T, the order key) */
export const TV_LAST_B = 4
export const TV_LAST_L = 5
/** + chain level k: folded[k], everything before it has moved to a coarser level (-Infinity: nothing yet) */
export const TV_FOLDED = 6

/**
 * A bucketed token's tables, TI_STRIDE int32s per `row` in the engine's Int32Array (`_ti`): the
 * dedup sets' handle in the engine's SlicedDedup (dedup-slices.ts; -1: none) and the number of
 * ids added, and the trader table (fingerprint → TR_* times) in the trader TableArena as its
 * offset (-1: none) and entry count, its k the Token's `trK`. Object fields until 12-06: 32 bytes of every
 * token, raw ones included, which have no tables.
 */
export const TI_ID_OFF = 0
export const TI_ID_SIZE = 1
export const TI_TR_OFF = 2
export const TI_TR_SIZE = 3
export const TI_STRIDE = 4

/** Doubles per token row with `chainLen` chain levels. */
export function rowWidth (chainLen: number): number { return TV_FOLDED + chainLen }

/** Fresh values for the row at `o`: no swap seen, nothing pending, nothing folded. */
export function clearValues (tv: Float64Array, o: number, width: number): void {
  tv[o + TV_FIRST_SEEN] = Infinity
  tv[o + TV_LAST_T] = -Infinity
  tv[o + TV_LAST_PRICE] = NaN
  tv[o + TV_PENDING_MIN] = Infinity
  tv[o + TV_LAST_B] = 0
  tv[o + TV_LAST_L] = 0
  for (let i = TV_FOLDED; i < width; i++) tv[o + i] = -Infinity
}

/** Number of buckets of level l. */
export function countOf (dq: DequeArena, tok: Token, l: number): number {
  const off = dq.roots[tok.row * dq.levels + l]
  return off < 0 ? 0 : dq.data[off + DQ_N]
}

/** Last bucket of level l, or -1. */
export function tailOf (dq: DequeArena, tok: Token, l: number): number {
  const off = dq.roots[tok.row * dq.levels + l]
  if (off < 0) return -1
  const q = dq.data
  return q[off + DQ_N] === 0 ? -1 : q[q[off + DQ_H] + q[off + DQ_N] - 1]
}

/** First bucket of level l, or -1. */
export function headOf (dq: DequeArena, tok: Token, l: number): number {
  const off = dq.roots[tok.row * dq.levels + l]
  if (off < 0) return -1
  const q = dq.data
  return q[off + DQ_N] === 0 ? -1 : q[q[off + DQ_H]]
}

/** Removes the first bucket of level l (which must exist); frees the deque when empty. */
export function shift (dq: DequeArena, tok: Token, l: number): void {
  const off = dq.roots[tok.row * dq.levels + l]
  const q = dq.data
  const n = q[off + DQ_N] - 1
  if (n === 0) { dq.free(off); dq.roots[tok.row * dq.levels + l] = -1; return }
  q[off + DQ_N] = n
  q[off + DQ_H]++
}

/** Inserts bucket `b` at absolute position `pos` of level l's deque (pos in [head, head+count]). */
export function insertAt (dq: DequeArena, tok: Token, l: number, pos: number, b: number): void {
  let off = dq.roots[tok.row * dq.levels + l]
  if (off < 0) {
    off = dq.alloc(DQ_MIN_K)
    const q = dq.data
    q[off + DQ_FIRST] = b
    q[off + DQ_N] = 1
    dq.roots[tok.row * dq.levels + l] = off
    return
  }
  let q = dq.data
  let h = q[off + DQ_H]
  const n = q[off + DQ_N]
  const k = q[off + DQ_K]
  if (h + n === off + (1 << k)) {
    const first = off + DQ_FIRST
    if (h - first > n) {
      // plenty of room freed at the front by evictions: slide down
      q.copyWithin(first, h, h + n)
      pos -= h - first
    } else {
      const grown = dq.alloc(k + 1)
      q = dq.data
      q.copyWithin(grown + DQ_FIRST, h, h + n)
      pos += grown + DQ_FIRST - h
      dq.free(off)
      off = grown
      dq.roots[tok.row * dq.levels + l] = off
    }
    h = off + DQ_FIRST
  }
  if (pos < h + n) q.copyWithin(pos + 1, pos, h + n)
  q[pos] = b
  q[off + DQ_H] = h
  q[off + DQ_N] = n + 1
}

/** Gives a quiet token's deque back the room its busy hours needed. */
export function shrink (dq: DequeArena, tok: Token, l: number): void {
  const off = dq.roots[tok.row * dq.levels + l]
  if (off < 0) return
  let q = dq.data
  const n = q[off + DQ_N]
  const k = q[off + DQ_K]
  if (k <= 5 || (n + DQ_FIRST) * 4 >= (1 << k)) return
  let nk = DQ_MIN_K
  while ((1 << nk) < (n + DQ_FIRST) * 2) nk++
  const small = dq.alloc(nk)
  q = dq.data
  const h = q[off + DQ_H]
  q.copyWithin(small + DQ_FIRST, h, h + n)
  q[small + DQ_N] = n
  dq.free(off)
  dq.roots[tok.row * dq.levels + l] = small
}

/** Appends bucket `b` (a start later than every bucket of the level). */
export function appendTo (dq: DequeArena, tok: Token, l: number, b: number): void {
  const off = dq.roots[tok.row * dq.levels + l]
  insertAt(dq, tok, l, off < 0 ? 0 : dq.data[off + DQ_H] + dq.data[off + DQ_N], b)
}
