import { grown } from './grow.js'

/**
 * All buckets of all tokens live in one Float64Array, `STRIDE` doubles each; each token keeps
 * its buckets' ids per level in a deque (token.ts). One pool instead of per-token arrays: an
 * idle token then costs its few buckets and no typed-array headers, and freeing is a push on
 * a free list (linked through a free bucket's START slot).
 *
 *   [START | buyUsd×4 sellUsd×4 buyAmt×4 sellAmt×4 | BUYS SELLS | T_ANY T_BUY T_SELL |
 *    HIGH LOW | OPEN_P OPEN_T OPEN_B OPEN_L | CLOSE_P CLOSE_T CLOSE_B CLOSE_L]
 *
 * 32 doubles: 256 bytes, four cache lines. T_* count the traders whose latest settled swap
 * (see token.ts) lies in this bucket, so the distinct traders of a window are the sum of T_*
 * over its buckets.
 */
export const B_START = 0
export const B_USD = 1 // + side*4: buy 1..4, sell 5..8
export const B_AMT = 9 // + side*4: buy 9..12, sell 13..16
export const B_COUNT = 17 // + side: buys 17, sells 18
export const B_T_ANY = 19
export const B_T_SIDE = 20 // + side: buyers 20, sellers 21
export const B_HIGH = 22
export const B_LOW = 23
export const B_OPEN_P = 24
export const B_OPEN_T = 25
export const B_OPEN_B = 26
export const B_OPEN_L = 27
export const B_CLOSE_P = 28
export const B_CLOSE_T = 29
export const B_CLOSE_B = 30
export const B_CLOSE_L = 31
export const STRIDE = 32

export const NIL = -1

export class BucketPool {
  data: Float64Array
  /** the same buffer as int32s (raw swaps keep fingerprints as int32 pairs); replaced with data */
  ints: Int32Array
  /** doubles per entry: STRIDE for buckets, RAW_STRIDE (raw-swap.ts) for raw swaps */
  readonly stride: number
  #free = NIL
  #top = 0
  live = 0

  constructor (initialBuckets = 1024, stride = STRIDE) {
    this.stride = stride
    this.data = new Float64Array(initialBuckets * stride)
    this.ints = new Int32Array(this.data.buffer)
  }

  /** A zeroed entry. `data` may be replaced: callers re-read it after alloc. */
  alloc (): number {
    const stride = this.stride
    let b: number
    if (this.#free !== NIL) {
      b = this.#free
      this.#free = this.data[b * stride + B_START]
      // a loop, not fill(): 32 stores inline cost less than the builtin call
      const d = this.data
      for (let o = b * stride, end = o + stride; o < end; o++) d[o] = 0
    } else {
      if ((this.#top + 1) * stride > this.data.length) {
        this.data = grown(this.data, this.#top * stride, (this.#top + 1) * stride)
        this.ints = new Int32Array(this.data.buffer)
      }
      b = this.#top++
    }
    this.live++
    return b
  }

  release (b: number): void {
    this.data[b * this.stride + B_START] = this.#free
    this.#free = b
    this.live--
  }

  get capacityBytes (): number { return this.data.byteLength }
}
