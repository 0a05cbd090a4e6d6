/**
 * All buckets of all tokens live in one Float64Array, `STRIDE` doubles each, linked per
 * (token, level) in ascending start order. One pool instead of per-token arrays: an idle token
 * then costs its few buckets and no typed-array headers, and freeing is a push on a free list.
 *
 *   [START NEXT PREV | buyUsd×4 sellUsd×4 buyAmt×4 sellAmt×4 | BUYS SELLS | T_ANY T_BUY T_SELL |
 *    HIGH LOW | OPEN_P OPEN_T OPEN_B OPEN_L | CLOSE_P CLOSE_T CLOSE_B CLOSE_L]
 *
 * T_* count the traders whose latest settled swap (see token.ts) lies in this bucket, so the
 * distinct traders of a window are the sum of T_* over its buckets.
 */
export const B_START = 0
export const B_NEXT = 1
export const B_PREV = 2
export const B_USD = 3 // + side*4: buy 3..6, sell 7..10
export const B_AMT = 11 // + side*4: buy 11..14, sell 15..18
export const B_COUNT = 19 // + side: buys 19, sells 20
export const B_T_ANY = 21
export const B_T_SIDE = 22 // + side: buyers 22, sellers 23
export const B_HIGH = 24
export const B_LOW = 25
export const B_OPEN_P = 26
export const B_OPEN_T = 27
export const B_OPEN_B = 28
export const B_OPEN_L = 29
export const B_CLOSE_P = 30
export const B_CLOSE_T = 31
export const B_CLOSE_B = 32
export const B_CLOSE_L = 33
export const STRIDE = 34

export const NIL = -1

export class BucketPool {
  data: Float64Array
  #free = NIL
  #top = 0
  live = 0

  constructor (initialBuckets = 1024) {
    this.data = new Float64Array(initialBuckets * STRIDE)
  }

  /** A zeroed bucket. `data` may be replaced: callers re-read it after alloc. */
  alloc (): number {
    let b: number
    if (this.#free !== NIL) {
      b = this.#free
      this.#free = this.data[b * STRIDE + B_NEXT]
      this.data.fill(0, b * STRIDE, b * STRIDE + STRIDE)
    } else {
      if ((this.#top + 1) * STRIDE > this.data.length) {
        const grown = new Float64Array(this.data.length * 2)
        grown.set(this.data)
        this.data = grown
      }
      b = this.#top++
    }
    this.live++
    return b
  }

  release (b: number): void {
    this.data[b * STRIDE + B_NEXT] = this.#free
    this.#free = b
    this.live--
  }

  get capacityBytes (): number { return this.data.byteLength }
}
