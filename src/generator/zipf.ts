import { VolumerError } from '../errors.js'
import type { Random } from './random.js'

/**
 * Zipf-distributed ranks 1..n: P(k) ∝ 1/k^s. Rejection-inversion (W. Hörmann and G. Derflinger,
 * "Rejection-inversion to generate variates from monotone discrete distributions", 1996; the
 * form follows Apache Commons RNG's RejectionInversionZipfSampler): O(1) memory and expected
 * O(1) time for any n, so a million tokens cost no table. Every accepted rank is exact, not an
 * approximation of the distribution.
 *
 *   h(x) = x^-s            hIntegral(x) = ∫ h = (x^(1-s) - 1) / (1 - s)   (log x when s = 1)
 *   draw u uniformly in [hIntegral(n + ½), hIntegral(1.5) - 1], x = hIntegral⁻¹(u), k = round(x);
 *   accept when k - x ≤ squeeze or u ≥ hIntegral(k + ½) - h(k).
 */
export interface ZipfSampler {
  readonly n: number
  readonly exponent: number
  sample (random: Random): number
  /** P(rank k), computed exactly by summation (tests; O(n) once, then cached) */
  probability (k: number): number
}

export function createZipfSampler (n: number, exponent: number): ZipfSampler {
  if (!Number.isInteger(n) || n < 1) throw new VolumerError('BAD_CONFIG', `zipf: n must be an integer ≥ 1, got ${n}`)
  if (!(exponent > 0) || !Number.isFinite(exponent)) throw new VolumerError('BAD_CONFIG', `zipf: exponent must be > 0, got ${exponent}`)
  const s = exponent
  const h = (x: number): number => Math.exp(-s * Math.log(x))
  const hIntegral = (x: number): number => {
    const logX = Math.log(x)
    return helper2((1 - s) * logX) * logX
  }
  const hIntegralInverse = (x: number): number => {
    let t = x * (1 - s)
    if (t < -1) t = -1 // numerical guard: the true value is never below -1
    return Math.exp(helper1(t) * x)
  }
  const hIntegralX1 = hIntegral(1.5) - 1
  const hIntegralN = hIntegral(n + 0.5)
  const squeeze = 2 - hIntegralInverse(hIntegral(2.5) - h(2))
  let norm = 0

  return {
    n,
    exponent,
    sample (random: Random): number {
      for (;;) {
        const u = hIntegralN + random.float() * (hIntegralX1 - hIntegralN)
        const x = hIntegralInverse(u)
        let k = Math.floor(x + 0.5)
        if (k < 1) k = 1
        else if (k > n) k = n
        if (k - x <= squeeze || u >= hIntegral(k + 0.5) - h(k)) return k
      }
    },
    probability (k: number): number {
      if (norm === 0) for (let i = 1; i <= n; i++) norm += h(i)
      return k >= 1 && k <= n ? h(k) / norm : 0
    },
  }
}

/** log1p(x)/x, accurate near 0 */
function helper1 (x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x))
}

/** expm1(x)/x, accurate near 0 */
function helper2 (x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x))
}
