/**
 * Seeded randomness for the generator: sfc32 (Chris Doty-Humphrey's small fast counting RNG,
 * 128 bits of state, passes PractRand to 2^42 bytes) — fast in plain 32-bit integer JS, and the
 * same stream on every platform, so a seed reproduces a run exactly.
 */
export class Random {
  #a: number
  #b: number
  #c: number
  #d: number
  // Box–Muller makes normals in pairs; the second one waits here
  #spare = NaN

  constructor (seed: number, stream = 0) {
    this.#a = 0x9e3779b9
    this.#b = mix32(seed >>> 0)
    this.#c = mix32((seed / 4294967296) >>> 0 ^ 0x85ebca6b)
    this.#d = mix32(stream >>> 0 ^ 0xc2b2ae35)
    // the first outputs of sfc32 still show the seed; discard them
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** uniform integer in [0, 2^32) */
  u32 (): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** uniform double in [0, 1) */
  float (): number {
    return this.u32() / 4294967296
  }

  /** uniform integer in [0, n) for n ≤ 2^32 */
  int (n: number): number {
    return Math.floor(this.float() * n)
  }

  /** true with probability p */
  chance (p: number): boolean {
    return this.float() < p
  }

  /** standard normal (Box–Muller, polar form) */
  normal (): number {
    const s = this.#spare
    if (s === s) { this.#spare = NaN; return s }
    let u: number, v: number, q: number
    do {
      u = 2 * this.float() - 1
      v = 2 * this.float() - 1
      q = u * u + v * v
    } while (q >= 1 || q === 0)
    const f = Math.sqrt(-2 * Math.log(q) / q)
    this.#spare = v * f
    return u * f
  }

  /** exponential with the given mean */
  exponential (mean: number): number {
    return -Math.log(1 - this.float()) * mean
  }

  /** log-normal: median · e^(sigma·N(0,1)) */
  logNormal (median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal())
  }
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output */
export function mix32 (x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** A 32-bit seed derived from a seed and a few integers (e.g. seed + token rank). */
export function deriveSeed (seed: number, a: number, b = 0): number {
  return mix32(mix32(mix32(seed >>> 0) ^ (a >>> 0)) + Math.imul(b >>> 0, 0x9e3779b1))
}
