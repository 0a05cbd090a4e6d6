import { grown } from './grow.js'

/**
 * Dedup state sliced by time (SPEC 3 since 12-07: a duplicate repeats the id AND the blockTime
 * of a counted swap, so the swaps of one blockTime can be looked up among those of its time
 * slice only). Per token, one small open-addressing set of 64-bit keys per hour of blockTime
 * (`sliceMs`, default `DEFAULT_SLICE_MS`); a key is the id's fingerprint mixed with the blockTime (hash64.ts mixTime).
 *
 * Why: the per-token table this replaces kept a blockTime beside every key (16 bytes) to
 * expire entries one by one, and was rebuilt into room for 8× its live entries; with ×1.5
 * array growth and freed blocks of other sizes, 96 bytes of dedup state per swap held (bench:day,
 * 1 h, 1,000 tokens). Here an entry is its 8-byte key and nothing else: a slice's set is freed
 * whole once the slice has left the horizon, so no entry needs a time of its own, and a set
 * only grows (no expired entries to skip), at load 3/8–3/4.
 *
 * A false duplicate needs two different (id, blockTime) pairs of one token and one slice with
 * equal 64-bit keys: with `n` swaps in a token's slice, probability ≈ n²/2⁶⁵ (a token with 1 M
 * swaps in an hour: 3·10⁻⁸ per hour).
 *
 * Sealed slices (12-07, issue #19): a set at load 3/8–3/4 takes 10.7–21.3 bytes per key
 * (~15 on average), and an hour's set is read again only for a swap of that hour arriving
 * late. So once a token opens a slice two hours newer, its older sets are *sealed*: their keys
 * sorted (as signed 64-bit values) and appended to one array per hour shared by all tokens
 * (`#sealed`), 8 bytes per key and no empty slots, searched by bisection. An hour's array is
 * freed whole once the hour has left the horizon, and trimmed to its length once a newer
 * hour's array is started. A new key for a sealed slice (a swap that late) unseals it into a
 * set again (its sorted copy stays in the hour's array, unused, until the hour leaves). Only
 * the newest two slices of a token are sets (a full day's figures: `npm run bench:day-dedup`,
 * docs/engine.md "A full day").
 *
 * Layout, all in typed arrays (no object per token or slice, see hash64.ts on why):
 * - `keys`: set blocks of 2^k slots, a slot is two int32s (hi, lo), (0, 0) empty; offsets are
 *   slot numbers; free blocks per k, linked through their first int.
 * - `h`: a token's *handle*, a block of 2^hk int32s: [n, hk, then n × (slice, off, k, size)],
 *   slices in ascending order. k = SEALED: off is the first key in the hour's sealed array.
 *   The token's TI_ID_OFF is its handle's offset (-1: none).
 * - a sealed array: keys as int64s (int32 halves in the platform's order), each token's run
 *   sorted.
 */
export const DEFAULT_SLICE_MS = 3_600_000

const H_N = 0
const H_K = 1
const H_FIRST = 2
const E_SLICE = 0
const E_OFF = 1
const E_K = 2
const E_SIZE = 3
const E_W = 4
const MIN_HK = 3 // 8 ints: the header and one slice
const MIN_K = 1 // 2 slots
/** E_K of a sealed slice */
const SEALED = -1
/** a slice is sealed once the token has one this many slices newer */
const SEAL_AFTER = 2

/** where an int64's low and high int32 halves sit in a typed array's buffer */
const LO = new Int32Array(new BigInt64Array([1n]).buffer)[0] === 1 ? 0 : 1
const HI = 1 - LO

/**
 * One hour's sealed keys, all tokens: int32 pairs, `top` of them in use. `trimmed`: cut to its
 * length once a newer hour's array started; it then grows by 1/8 only (below).
 */
interface SealedHour { a: Int32Array, top: number, trimmed: boolean }

export class SlicedDedup {
  /** the slice length, ms */
  readonly sliceMs: number
  keys = new Int32Array(1 << 17)
  h = new Int32Array(1 << 12)
  #top = 0
  #htop = 0
  readonly #free: number[] = []
  readonly #hfree: number[] = []
  /** sealed keys by slice index */
  readonly #sealed = new Map<number, SealedHour>()
  /** the latest horizon start seen: sealed hours ending at or before it are freed */
  #horizon = -Infinity
  /** sorting scratch: a set's keys as int64s (the Int32Array view writes them) */
  #sortBuf = new BigInt64Array(1024)
  #sortInts = new Int32Array(this.#sortBuf.buffer)

  constructor (sliceMs = DEFAULT_SLICE_MS) { this.sliceMs = sliceMs }

  // ───────── blocks ─────────

  #alloc (k: number): number {
    const n = 1 << k
    const head = this.#free[k]
    if (head !== undefined && head >= 0) {
      this.#free[k] = this.keys[2 * head]
      const keys = this.keys
      for (let i = 2 * head, end = 2 * (head + n); i < end; i++) keys[i] = 0
      return head
    }
    const off = this.#top
    if (2 * (off + n) > this.keys.length) this.keys = grown(this.keys, 2 * off, 2 * (off + n))
    this.#top = off + n
    return off
  }

  #release (off: number, k: number): void {
    const head = this.#free[k]
    this.keys[2 * off] = head === undefined ? -1 : head
    this.#free[k] = off
  }

  #halloc (hk: number): number {
    const head = this.#hfree[hk]
    if (head !== undefined && head >= 0) { this.#hfree[hk] = this.h[head]; return head }
    const off = this.#htop
    const n = 1 << hk
    if (off + n > this.h.length) this.h = grown(this.h, off, off + n)
    this.#htop = off + n
    return off
  }

  #hrelease (hd: number): void {
    const hk = this.h[hd + H_K]
    const head = this.#hfree[hk]
    this.h[hd] = head === undefined ? -1 : head
    this.#hfree[hk] = hd
  }

  // ───────── sets ─────────

  /** Is the key in the set of 2^k slots at off? */
  #has (off: number, k: number, hi: number, lo: number): boolean {
    const keys = this.keys
    const mask = (1 << k) - 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const s = 2 * (off + i)
      const khi = keys[s]; const klo = keys[s + 1]
      if (khi === hi && klo === lo) return true
      if (khi === 0 && klo === 0) return false
      i = (i + 1) & mask
    }
  }

  /** Puts a key known to be absent into a set with room for it. */
  #put (off: number, k: number, hi: number, lo: number): void {
    const keys = this.keys
    const mask = (1 << k) - 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    while (keys[2 * (off + i)] !== 0 || keys[2 * (off + i) + 1] !== 0) i = (i + 1) & mask
    keys[2 * (off + i)] = hi
    keys[2 * (off + i) + 1] = lo
  }

  /** The set at off moved into a block twice its size; returns the new offset. */
  #grow (off: number, k: number): number {
    const to = this.#alloc(k + 1)
    const keys = this.keys
    for (let i = off, end = off + (1 << k); i < end; i++) {
      const hi = keys[2 * i]; const lo = keys[2 * i + 1]
      if (hi !== 0 || lo !== 0) this.#put(to, k + 1, hi, lo)
    }
    this.#release(off, k)
    return to
  }

  // ───────── a token's handle ─────────

  /** A token's empty handle. */
  create (): number {
    const hd = this.#halloc(MIN_HK)
    this.h[hd + H_N] = 0
    this.h[hd + H_K] = MIN_HK
    return hd
  }

  /** Frees a token's sets and handle. */
  free (hd: number): void {
    const h = this.h
    const n = h[hd + H_N]
    for (let j = 0; j < n; j++) {
      const e = hd + H_FIRST + j * E_W
      if (h[e + E_K] !== SEALED) this.#release(h[e + E_OFF], h[e + E_K])
    }
    this.#hrelease(hd)
  }

  /**
   * Adds the key of a swap at blockTime t (not LATE) to the token's handle hd. Returns -1 when
   * it was there (a duplicate), else the handle's offset, which may have moved. Slices that
   * have left the horizon are freed whenever a slice is added.
   */
  add (hd: number, t: number, hi: number, lo: number, horizonStart: number): number {
    const slice = Math.floor(t / this.sliceMs)
    let h = this.h
    let n = h[hd + H_N]
    // newest first: most swaps land in the newest slice
    let j = n - 1
    while (j >= 0 && h[hd + H_FIRST + j * E_W + E_SLICE] > slice) j--
    if (j >= 0 && h[hd + H_FIRST + j * E_W + E_SLICE] === slice) {
      const e = hd + H_FIRST + j * E_W
      if (h[e + E_K] === SEALED) {
        if (this.#sealedHas(slice, h[e + E_OFF], h[e + E_SIZE], hi, lo)) return -1
        this.#unseal(e, slice)
      }
      let off = h[e + E_OFF]
      let k = h[e + E_K]
      if (this.#has(off, k, hi, lo)) return -1
      const size = h[e + E_SIZE] + 1
      // load ≤ 3/4: linear probing's misses (most lookups: a new swap) stay short
      if (size * 4 > 3 << k) { off = this.#grow(off, k); k++; h[e + E_OFF] = off; h[e + E_K] = k }
      this.#put(off, k, hi, lo)
      h[e + E_SIZE] = size
      return hd
    }
    // a new slice, after position j: drop the expired ones first
    if (horizonStart > this.#horizon) this.#setHorizon(horizonStart)
    const gone = this.#expiredCount(hd, horizonStart)
    if (gone > 0) { hd = this.#dropFirst(hd, gone); h = this.h; n -= gone; j -= gone }
    if (H_FIRST + (n + 1) * E_W > 1 << h[hd + H_K]) { hd = this.#growHandle(hd); h = this.h }
    const at = hd + H_FIRST + (j + 1) * E_W
    h.copyWithin(at + E_W, at, hd + H_FIRST + n * E_W)
    const off = this.#alloc(MIN_K)
    h = this.h
    this.#put(off, MIN_K, hi, lo)
    h[at + E_SLICE] = slice; h[at + E_OFF] = off; h[at + E_K] = MIN_K; h[at + E_SIZE] = 1
    h[hd + H_N] = n + 1
    // the sets SEAL_AFTER slices older than the newest become sorted runs
    const newest = h[hd + H_FIRST + n * E_W + E_SLICE]
    for (let i = 0; i < n + 1; i++) {
      const e = hd + H_FIRST + i * E_W
      if (h[e + E_SLICE] > newest - SEAL_AFTER) break
      if (h[e + E_K] !== SEALED) this.#seal(e)
    }
    return hd
  }

  // ───────── sealed slices ─────────

  /** The set of handle entry e becomes a sorted run in its hour's array. */
  #seal (e: number): void {
    const h = this.h
    const slice = h[e + E_SLICE]; const off = h[e + E_OFF]; const k = h[e + E_K]; const size = h[e + E_SIZE]
    if (size > this.#sortBuf.length) {
      this.#sortBuf = new BigInt64Array(Math.max(size, this.#sortBuf.length * 2))
      this.#sortInts = new Int32Array(this.#sortBuf.buffer)
    }
    const w = this.#sortInts
    const keys = this.keys
    let m = 0
    for (let i = off, end = off + (1 << k); i < end; i++) {
      const hi = keys[2 * i]; const lo = keys[2 * i + 1]
      if (hi !== 0 || lo !== 0) { w[2 * m + LO] = lo; w[2 * m + HI] = hi; m++ }
    }
    // typed-array sort without a comparator is native and numeric (signed 64-bit here)
    this.#sortBuf.subarray(0, m).sort()
    let s = this.#sealed.get(slice)
    if (s === undefined) {
      // a new hour: the others are complete but for a late swap, so drop their growth room
      for (const o of this.#sealed.values()) {
        if (2 * o.top < o.a.length) o.a = o.a.slice(0, 2 * o.top)
        o.trimmed = true
      }
      s = { a: new Int32Array(Math.max(2 * m, 1 << 16)), top: 0, trimmed: false }
      this.#sealed.set(slice, s)
    }
    if (2 * (s.top + m) > s.a.length) {
      // a sparse token seals its hour late, hours after the array was trimmed: ×1.5 there left
      // a third of every old hour empty (bench:day-dedup, 100,000 tokens: 8.6 B per key sealed at 8 h)
      if (s.trimmed) {
        const next = new Int32Array(Math.max(2 * (s.top + m), Math.ceil(s.a.length * 1.125 / 2) * 2))
        next.set(s.a.subarray(0, 2 * s.top))
        s.a = next
      } else s.a = grown(s.a, 2 * s.top, 2 * (s.top + m))
    }
    s.a.set(w.subarray(0, 2 * m), 2 * s.top)
    h[e + E_OFF] = s.top
    h[e + E_K] = SEALED
    s.top += m
    this.#release(off, k)
  }

  /** Is (hi, lo) in the sorted run of n keys at `at` of the slice's sealed array? */
  #sealedHas (slice: number, at: number, n: number, hi: number, lo: number): boolean {
    const s = this.#sealed.get(slice)
    if (s === undefined) return false
    const a = s.a
    const ulo = lo >>> 0
    let l = at; let r = at + n
    while (l < r) {
      const mid = (l + r) >>> 1
      const mhi = a[2 * mid + HI]
      if (mhi < hi || (mhi === hi && (a[2 * mid + LO] >>> 0) < ulo)) l = mid + 1
      else r = mid
    }
    return l < at + n && a[2 * l + HI] === hi && a[2 * l + LO] === lo
  }

  /** Handle entry e (sealed, of `slice`) becomes a set again, with room for one more key. */
  #unseal (e: number, slice: number): void {
    const size = this.h[e + E_SIZE]
    let k = MIN_K
    while ((size + 1) * 4 > 3 << k) k++
    const off = this.#alloc(k)
    const s = this.#sealed.get(slice)
    if (s !== undefined) {
      const a = s.a
      for (let i = this.h[e + E_OFF], end = i + size; i < end; i++) this.#put(off, k, a[2 * i + HI], a[2 * i + LO])
    }
    this.h[e + E_OFF] = off
    this.h[e + E_K] = k
  }

  /** Frees the sealed arrays of hours that end at or before horizonStart. */
  #setHorizon (horizonStart: number): void {
    this.#horizon = horizonStart
    for (const slice of this.#sealed.keys()) {
      if ((slice + 1) * this.sliceMs <= horizonStart) this.#sealed.delete(slice)
    }
  }

  /** How many of the handle's first slices end at or before horizonStart? */
  #expiredCount (hd: number, horizonStart: number): number {
    const h = this.h
    const n = h[hd + H_N]
    let m = 0
    while (m < n && (h[hd + H_FIRST + m * E_W + E_SLICE] + 1) * this.sliceMs <= horizonStart) m++
    return m
  }

  #dropFirst (hd: number, m: number): number {
    const h = this.h
    const n = h[hd + H_N]
    for (let j = 0; j < m; j++) {
      const e = hd + H_FIRST + j * E_W
      if (h[e + E_K] !== SEALED) this.#release(h[e + E_OFF], h[e + E_K])
    }
    h.copyWithin(hd + H_FIRST, hd + H_FIRST + m * E_W, hd + H_FIRST + n * E_W)
    h[hd + H_N] = n - m
    return hd
  }

  /** Frees the slices that have left the horizon (a snapshot or a memory report calls it). */
  expire (hd: number, horizonStart: number): void {
    if (horizonStart > this.#horizon) this.#setHorizon(horizonStart)
    const m = this.#expiredCount(hd, horizonStart)
    if (m > 0) this.#dropFirst(hd, m)
  }

  #growHandle (hd: number): number {
    const hk = this.h[hd + H_K]
    const to = this.#halloc(hk + 1)
    const h = this.h
    h.copyWithin(to, hd, hd + (1 << hk))
    h[to + H_K] = hk + 1
    this.#hrelease(hd)
    return to
  }

  // ───────── reading (snapshots, memory report) ─────────

  slices (hd: number): number { return this.h[hd + H_N] }
  sliceIndex (hd: number, j: number): number { return this.h[hd + H_FIRST + j * E_W + E_SLICE] }
  sliceSize (hd: number, j: number): number { return this.h[hd + H_FIRST + j * E_W + E_SIZE] }

  /**
   * Calls fn with each key of the handle's j-th slice. A sealed slice that has left the
   * horizon may have no keys left (its hour's array is freed); snapshots skip those slices.
   */
  forEachKey (hd: number, j: number, fn: (hi: number, lo: number) => void): void {
    const e = hd + H_FIRST + j * E_W
    const off = this.h[e + E_OFF]
    if (this.h[e + E_K] === SEALED) {
      const s = this.#sealed.get(this.h[e + E_SLICE])
      if (s === undefined) return
      const a = s.a
      for (let i = off, end = off + this.h[e + E_SIZE]; i < end; i++) fn(a[2 * i + HI], a[2 * i + LO])
      return
    }
    const keys = this.keys
    for (let i = off, end = off + (1 << this.h[e + E_K]); i < end; i++) {
      if (keys[2 * i] !== 0 || keys[2 * i + 1] !== 0) fn(keys[2 * i], keys[2 * i + 1])
    }
  }

  /**
   * Adds a key read from a snapshot to the slice of `t` (no duplicate check: a snapshot holds
   * each key once). Returns the handle's offset, which may have moved.
   */
  restoreKey (hd: number, t: number, hi: number, lo: number): number {
    // `add` with a horizon of -Infinity expires nothing; the restored state is inside the horizon
    const r = this.add(hd, t, hi, lo, -Infinity)
    return r < 0 ? hd : r
  }

  /** Bytes of the handle's sets (slots) and of the handle itself. */
  blockBytes (hd: number): number {
    const h = this.h
    let b = (1 << h[hd + H_K]) * 4
    for (let j = 0; j < h[hd + H_N]; j++) {
      const e = hd + H_FIRST + j * E_W
      b += h[e + E_K] === SEALED ? h[e + E_SIZE] * 8 : (1 << h[e + E_K]) * 8
    }
    return b
  }

  /** Is the handle's j-th slice sealed (a sorted run)? */
  sealed (hd: number, j: number): boolean { return this.h[hd + H_FIRST + j * E_W + E_K] === SEALED }

  /** the sealed hours' arrays as allocated */
  get sealedBytes (): number {
    let b = 0
    for (const s of this.#sealed.values()) b += s.a.byteLength
    return b
  }

  get capacityBytes (): number { return this.keys.byteLength + this.h.byteLength + this.sealedBytes }
}
