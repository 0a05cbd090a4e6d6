/**
 * 64-bit string fingerprints as two independent 32-bit hashes, and an open-addressing table
 * keyed by them. Swap ids and trader addresses are stored as fingerprints, not strings, which
 * keeps a dedup entry at 16 bytes instead of a ~100-byte string plus a Map entry.
 *
 * Two distinct strings sharing a fingerprint would make the engine treat two swaps as one (or
 * two traders as one). For n ids alive in one token's horizon the chance is about n²/2⁶⁵: for a
 * token with 10 million swaps a day, 3·10⁻⁶ a day. docs/engine.md states this bound.
 */

/** Result lanes of the last `hashString` call (module-level to avoid allocating a pair). */
export let hashHi = 0
export let hashLo = 0

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
  hashHi = h1
  hashLo = h2
}

/**
 * Linear-probing table from a 64-bit fingerprint to `stride` doubles.
 *
 *   keys:   [hi0 lo0 | hi1 lo1 | ...]   Int32Array, (0,0) = empty
 *   values: [v0.0 .. v0.stride-1 | ...] Float64Array
 *
 * No deletion: expired entries are skipped by `rebuild`, which the owner calls when the table
 * fills up; that keeps probing branch-free of tombstones.
 */
export class Hash64Table {
  keys: Int32Array
  values: Float64Array
  size = 0
  readonly stride: number

  constructor (stride: number, capacity = 4) {
    this.stride = stride
    this.keys = new Int32Array(capacity * 2)
    this.values = new Float64Array(capacity * stride)
  }

  get capacity (): number { return this.keys.length >> 1 }

  /** Slot of the key, or -1. */
  find (hi: number, lo: number): number {
    const keys = this.keys
    const mask = (keys.length >> 1) - 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const khi = keys[i << 1]
      const klo = keys[(i << 1) + 1]
      if (khi === hi && klo === lo) return i
      if (khi === 0 && klo === 0) return -1
      i = (i + 1) & mask
    }
  }

  /** Inserts a key known to be absent; returns its slot. The caller keeps load ≤ 1/2. */
  insert (hi: number, lo: number): number {
    const keys = this.keys
    const mask = (keys.length >> 1) - 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    while (keys[i << 1] !== 0 || keys[(i << 1) + 1] !== 0) i = (i + 1) & mask
    keys[i << 1] = hi
    keys[(i << 1) + 1] = lo
    this.size++
    return i
  }

  get full (): boolean { return this.size * 2 >= this.capacity }

  /**
   * Re-inserts live entries into a table sized for them; `isLive(values, base)` decides, from
   * an entry's values, whether it is kept.
   */
  rebuild (isLive: (values: Float64Array, base: number) => boolean): void {
    const oldKeys = this.keys
    const oldValues = this.values
    const stride = this.stride
    let live = 0
    const oldCap = oldKeys.length >> 1
    for (let i = 0; i < oldCap; i++) {
      if ((oldKeys[i << 1] !== 0 || oldKeys[(i << 1) + 1] !== 0) && isLive(oldValues, i * stride)) live++
    }
    let cap = 4
    while (cap < live * 4) cap <<= 1
    this.keys = new Int32Array(cap * 2)
    this.values = new Float64Array(cap * stride)
    this.size = 0
    for (let i = 0; i < oldCap; i++) {
      const hi = oldKeys[i << 1]
      const lo = oldKeys[(i << 1) + 1]
      if ((hi !== 0 || lo !== 0) && isLive(oldValues, i * stride)) {
        const j = this.insert(hi, lo)
        for (let k = 0; k < stride; k++) this.values[j * stride + k] = oldValues[i * stride + k]
      }
    }
  }
}
