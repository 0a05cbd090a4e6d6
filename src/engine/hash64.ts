import { grown } from './grow.js'

/**
 * 64-bit string fingerprints as two independent 32-bit hashes, and open-addressing tables
 * keyed by them (TableArena, the traders' tables). Swap ids and trader addresses are stored as
 * fingerprints, not strings: a dedup key takes 8 bytes (dedup-slices.ts) instead of a ~100-byte
 * string plus a Map entry.
 *
 * Two distinct traders sharing a fingerprint would be counted as one: for n traders alive in
 * one token's horizon the chance is about n²/2⁶⁵. Dedup keys: see dedup-slices.ts. docs/engine.md
 * states both bounds.
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
  // (0, 0) marks an empty slot in a TableArena table
  if (h1 === 0 && h2 === 0) h2 = 1
  hashOut[0] = h1
  hashOut[1] = h2
}

function fmix32 (h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16
  return h
}

/**
 * The dedup key of a swap: its id's fingerprint (hi, lo) mixed with its blockTime, into
 * `hashOut`. SPEC 3 (since 12-07): a duplicate repeats both the id and the blockTime, so a
 * same-id swap with another blockTime needs a key of its own. For one blockTime the mix is a
 * bijection of the id fingerprint (each half goes through an invertible finaliser), so two ids
 * at the same time share a key only when their fingerprints do; across times the keys are
 * spread as independent 64-bit values. A function of (fingerprint, blockTime) rather than a
 * hash of the id's characters and the time, so that the dedup entries of a version-3 snapshot
 * (id fingerprint → blockTime) can be re-keyed on restore. `t` is an integer number of ms.
 */
export function mixTime (hi: number, lo: number, t: number): void {
  const tHi = Math.floor(t / 4294967296) | 0
  const tLo = (t - tHi * 4294967296) | 0
  const a = fmix32(tLo ^ Math.imul(tHi, 0x27d4eb2f) ^ 0x165667b1)
  const b = fmix32(tHi ^ Math.imul(tLo, 0xcc9e2d51) ^ 0x61c88647)
  let h1 = fmix32(hi ^ a)
  let h2 = fmix32(lo ^ b) ^ h1
  if (h1 === 0 && h2 === 0) h2 = 1
  hashOut[0] = h1
  hashOut[1] = h2
}

/**
 * Many small linear-probing hash tables of one entry shape in one buffer: table blocks of
 * `width·2^k` doubles, with a free list per size k. Each table maps a 64-bit fingerprint to
 * `stride` doubles; an entry is `width = 1 + stride` doubles, the fingerprint packed as two
 * int32s into the first (read through `keys`, an Int32Array over the same buffer), so a lookup
 * touches one cache line and a trader entry takes 24 bytes:
 *
 *   block: [hi0 lo0 | v0.0 ..][hi1 lo1 | v1.0 ..] ...   (hi, lo) = (0, 0): empty
 *
 * A table is its block's offset and k, kept by its owner (a token's TI_* row and trK):
 * no object per table. Per-token tables used to be a JS array each; with 100k tokens their
 * growth and survival made scavenges cost about a quarter of ingest time. Blocks in one typed
 * array are invisible to the garbage collector, and a freed block is reused by the next table
 * of its size.
 *
 * No deletion: expired entries are skipped by `rebuild`, which the owner calls when the table
 * is half full; that keeps probing free of tombstones. `find` and `insert` return the index of
 * an entry's first value in `data`.
 */
export class TableArena {
  data: Float64Array
  /** the same buffer as int32s: entry o's key is keys[2o], keys[2o + 1] */
  keys: Int32Array
  /** doubles per entry */
  readonly width: number
  /** values per entry */
  readonly stride: number
  #top = 0
  /** per size class k: offset of the first free block, linked through its first double (-1: none) */
  readonly #free: number[] = []
  /** k of the block the last `create` or `rebuild` returned */
  k = 0
  /** live entries `rebuild` kept */
  live = 0

  constructor (stride: number, initialDoubles = 1 << 16) {
    this.stride = stride
    this.width = 1 + stride
    this.data = new Float64Array(initialDoubles)
    this.keys = new Int32Array(this.data.buffer)
  }

  /** A zeroed block of 2^k entries. `data` may be replaced: callers re-read it afterwards. */
  alloc (k: number): number {
    const n = this.width << k
    const head = this.#free[k]
    if (head !== undefined && head >= 0) {
      const d = this.data
      this.#free[k] = d[head]
      // small blocks (most of them) are zeroed inline: cheaper than the fill() builtin's call
      if (n <= 64) for (let o = head; o < head + n; o++) d[o] = 0
      else d.fill(0, head, head + n)
      return head
    }
    const off = this.#top
    if (off + n > this.data.length) {
      this.data = grown(this.data, off, off + n)
      this.keys = new Int32Array(this.data.buffer)
    }
    this.#top = off + n
    return off
  }

  free (off: number, k: number): void {
    const head = this.#free[k]
    this.data[off] = head === undefined ? -1 : head
    this.#free[k] = off
  }

  /**
   * Must a table of 2^k slots holding `size` entries be rebuilt before its next insert? Load
   * stays ≤ 3/4 (≤ 1/2 until 12-07, see `rebuild`), and one slot is always empty.
   */
  full (size: number, k: number): boolean { return (size + 1) * 4 > (3 << k) }

  /** An empty table for at least `entries` entries at load ≤ 1/2; its k is in `this.k`. */
  create (entries: number): number {
    let k = 1
    while ((1 << k) < entries * 2) k++
    this.k = k
    return this.alloc(k)
  }

  /** Index of the key's first value in `data`, or -1. `hi`, `lo`: int32s, not both 0. */
  find (off: number, k: number, hi: number, lo: number): number {
    const keys = this.keys
    const w = this.width
    const mask = (1 << k) - 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const o = off + i * w
      const khi = keys[2 * o]
      const klo = keys[2 * o + 1]
      if (khi === hi && klo === lo) return o + 1
      if (khi === 0 && klo === 0) return -1
      i = (i + 1) & mask
    }
  }

  /** Inserts a key known to be absent; returns its first value's index. The owner keeps load ≤ 1/2. */
  insert (off: number, k: number, hi: number, lo: number): number {
    const keys = this.keys
    const w = this.width
    const mask = (1 << k) - 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    while (keys[2 * (off + i * w)] !== 0 || keys[2 * (off + i * w) + 1] !== 0) i = (i + 1) & mask
    const o = off + i * w
    keys[2 * o] = hi
    keys[2 * o + 1] = lo
    return o + 1
  }

  /** Calls fn for every entry of the table: its key and its first value's index. */
  forEach (off: number, k: number, fn: (hi: number, lo: number, base: number) => void): void {
    const keys = this.keys
    const w = this.width
    const end = off + (w << k)
    for (let o = off; o < end; o += w) {
      if (keys[2 * o] !== 0 || keys[2 * o + 1] !== 0) fn(keys[2 * o], keys[2 * o + 1], o + 1)
    }
  }

  /**
   * Moves the table's live entries into a new block sized for them (load ≤ 1/2), frees the old
   * one and returns the new offset; its k is in `this.k`, its entry count in `this.live`. An
   * entry is live while one of its values (times) is at least `liveFrom` (see `isLive`).
   */
  rebuild (oldOff: number, oldK: number, liveFrom: number): number {
    const w = this.width
    const oldEnd = oldOff + (w << oldK)
    let live = 0
    let keys = this.keys
    for (let o = oldOff; o < oldEnd; o += w) {
      if ((keys[2 * o] !== 0 || keys[2 * o + 1] !== 0) && this.isLive(o + 1, liveFrom)) live++
    }
    // room for 2× the live entries, rebuilt at 3/4: until 12-07 room for 8× (rebuilt at 1/2),
    // which moved an entry a third as often (+5–10 % ingest then) but left a table with a few
    // traders 8–16 slots per trader; bench:day, 1,000 tokens, 15 min: traders 14.9 B per swap
    // held against 33.6 B (issue #19)
    let k = 2
    while ((1 << k) < live * 2) k++
    const off = this.alloc(k)
    const mask = (1 << k) - 1
    const d = this.data
    keys = this.keys
    for (let o = oldOff; o < oldEnd; o += w) {
      const hi = keys[2 * o]
      const lo = keys[2 * o + 1]
      if ((hi === 0 && lo === 0) || !this.isLive(o + 1, liveFrom)) continue
      let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
      while (keys[2 * (off + i * w)] !== 0 || keys[2 * (off + i * w) + 1] !== 0) i = (i + 1) & mask
      const n = off + i * w
      // the key as int32s: read as a double it could be a NaN, which a store may canonicalise
      keys[2 * n] = hi
      keys[2 * n + 1] = lo
      for (let j = 1; j < w; j++) d[n + j] = d[o + j]
    }
    this.free(oldOff, oldK)
    this.k = k
    this.live = live
    return off
  }

  /**
   * Is the entry whose first value is at `base` live at `liveFrom`? The values of both tables
   * the engine keeps are times (a dedup entry's blockTime; a trader's latest buy and sell), and
   * an entry expires when all of them lie before the horizon.
   */
  isLive (base: number, liveFrom: number): boolean {
    const d = this.data
    for (let j = base; j < base + this.stride; j++) if (d[j] >= liveFrom) return true
    return false
  }

  get capacityBytes (): number { return this.data.byteLength }
}
