/**
 * BigInt decimals at scale 10¹⁸ for the oracle. Deliberately naive (strings in, BigInt sums,
 * strings out) and independent of src/swap/decimal18.ts, whose limb arithmetic is what the
 * oracle checks.
 */
import type { Decimal18 } from '../../src/swap/decimal18.js'

export const SCALE = 10n ** 18n
const LIMB = 10n ** 9n

/** '12.5' → 12500000000000000000n. Throws on anything that is not a plain decimal. */
export function parseExact (text: string): bigint {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text)
  if (m === null) throw new Error('not a plain decimal: ' + JSON.stringify(text))
  let frac = m[2] ?? ''
  if (frac.length > 18) {
    if (/[1-9]/.test(frac.slice(18))) throw new Error('more than 18 fraction digits: ' + text)
    frac = frac.slice(0, 18)
  }
  return BigInt(m[1]) * SCALE + BigInt(frac.padEnd(18, '0'))
}

/** The canonical text of src/engine/stats.ts: no leading zeros, no trailing fraction zeros, '0'. */
export function formatExact (v: bigint): string {
  if (v < 0n) throw new RangeError('negative decimal ' + v)
  const int = (v / SCALE).toString()
  const frac = (v % SCALE).toString().padStart(18, '0').replace(/0+$/, '')
  return frac.length === 0 ? int : int + '.' + frac
}

/** Exact value of a (possibly un-normalised) Decimal18. */
export function decimal18ToExact (d: Decimal18): bigint {
  return ((BigInt(d.l3) * LIMB + BigInt(d.l2)) * LIMB + BigInt(d.l1)) * LIMB + BigInt(d.l0)
}
