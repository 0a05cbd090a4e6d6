/**
 * 64-bit string fingerprints as two independent 32-bit hashes, and an open-addressing table
 * keyed by them. Swap ids and trader addresses are stored as fingerprints, not strings, which
 * keeps a dedup entry at 16 bytes instead of a ~100-byte string plus a Map entry.
 *
 * Two distinct strings sharing a fingerprint would make the engine treat two swaps as one (or
 * two traders as one). For n ids alive in one token's horizon the chance is about n²/2⁶⁵: for a
 * token with 10 million swaps a day, 3·10⁻⁶ a day. docs/engine.md states this bound.
 */

/**
 * Result of the last `hashString` call: [hi, lo]. A typed array, not two module variables:
 * an int32 outside the small-integer range stored in a variable is a heap number allocated
 * per call (measured: boxing was most of the engine's ~400 bytes of garbage per swap).
 */
export const hashOut = new Int32Array(2)

export function hashString (s: string): void {
  let h1 = 0x811c9dc5 | 0
  let h2 = 0x9747b28c | 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 13
  }
  h1 ^= n
  h2 ^= n
  // murmur3 finalisers spread the last characters over all bits
  h1 ^= h1 >>> 16; h1 = Math.imul(h1, 0x85ebca6b); h1 ^= h1 >>> 13; h1 = Math.imul(h1, 0xc2b2ae35); h1 ^= h1 >>> 16
  h2 ^= h2 >>> 16; h2 = Math.imul(h2, 0x7feb352d); h2 ^= h2 >>> 15; h2 = Math.imul(h2, 0x846ca68b); h2 ^= h2 >>> 16
  // (0, 0) marks an empty slot in Hash64Table
  if (h1 === 0 && h2 === 0) h2 = 1
  hashOut[0] = h1
  hashOut[1] = h2
}

/**
 * Linear-probing table from a 64-bit fingerprint to `stride` doubles, keys and values side by
 * side in one array so a lookup touches one cache line, not two (measured: the table is a
 * cache miss per swap at 100k tokens).
 *
 *   data: [hi0 lo0 v0.0 .. v0.stride-1 | hi1 lo1 v1.0 .. | ...]   (hi, lo) = (0, 0): empty
 *
 * `find` and `insert` return the index of an entry's first value in `data`.
 * No deletion: expired entries are skipped by `rebuild`, which the owner calls when the table
 * fills up; that keeps probing free of tombstones.
 */
export class Hash64Table {
  data: Doubles
  size = 0
  readonly stride: number
  readonly width: number
  #mask: number

  constructor (stride: number, capacity = 4) {
    this.stride = stride
    this.width = stride + 2
    this.data = doubles(capacity * this.width)
    this.#mask = capacity - 1
  }

  get capacity (): number { return this.#mask + 1 }

  /** Index of the key's first value in `data`, or -1. */
  find (hi: number, lo: number): number {
    const data = this.data
    const w = this.width
    const mask = this.#mask
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const o = i * w
      const khi = data[o]
      const klo = data[o + 1]
      if (khi === hi && klo === lo) return o + 2
      if (khi === 0 && klo === 0) return -1
      i = (i + 1) & mask
    }
  }

  /** Inserts a key known to be absent; returns its first value's index. The caller keeps load ≤ 1/2. */
  insert (hi: number, lo: number): number {
    const data = this.data
    const w = this.width
    const mask = this.#mask
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    while (data[i * w] !== 0 || data[i * w + 1] !== 0) i = (i + 1) & mask
    data[i * w] = hi
    data[i * w + 1] = lo
    this.size++
    return i * w + 2
  }

  get full (): boolean { return this.size * 2 >= this.capacity }

  /** Calls fn for every entry: its key and its first value's index. */
  forEach (fn: (hi: number, lo: number, base: number) => void): void {
    const data = this.data
    const w = this.width
    for (let o = 0; o < data.length; o += w) {
      if (data[o] !== 0 || data[o + 1] !== 0) fn(data[o], data[o + 1], o + 2)
    }
  }

  /**
   * Re-inserts live entries into a table sized for them; `isLive(data, base)` decides, from
   * an entry's values, whether it is kept.
   */
  rebuild (isLive: (data: Doubles, base: number) => boolean): void {
    const old = this.data
    const w = this.width
    let live = 0
    for (let o = 0; o < old.length; o += w) {
      if ((old[o] !== 0 || old[o + 1] !== 0) && isLive(old, o + 2)) live++
    }
    let cap = 4
    while (cap < live * 4) cap <<= 1
    this.data = doubles(cap * w)
    this.#mask = cap - 1
    this.size = 0
    for (let o = 0; o < old.length; o += w) {
      if ((old[o] !== 0 || old[o + 1] !== 0) && isLive(old, o + 2)) {
        const b = this.insert(old[o], old[o + 1])
        for (let k = 0; k < this.stride; k++) this.data[b + k] = old[o + 2 + k]
      }
    }
  }
}

/** A table's storage: a JS array of doubles while small, a Float64Array when large (see `doubles`). */
export type Doubles = number[] | Float64Array

/**
 * Zeroed storage for n doubles. Small tables are JS arrays of doubles on the V8 heap: a
 * Float64Array of a few entries per token is an off-heap backing store each, whose allocation
 * and tracking were about a third of ingest time with 100k tokens (measured: 180k → 250k
 * swaps/s). Large ones stay typed arrays, which have no 2²⁷-element limit.
 */
function doubles (n: number): Doubles {
  if (n > SMALL_TABLE) return new Float64Array(n)
  const a = new Array<number>(n).fill(0.5)
  a.fill(0)
  return a
}
const SMALL_TABLE = 1 << 16
