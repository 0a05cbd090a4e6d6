/**
 * Doubles to the canonical decimal strings of SPEC section 2 ("1.5", "0.000321", "42"): plain
 * digits, no exponent, no trailing fraction zeros, no trailing dot — the form decimalToString
 * prints, so a generated record survives parse → encode → decode unchanged.
 */

/** Largest value these helpers accept: toFixed switches to exponent notation at 1e21. */
const MAX_PLAIN = 1e20

/**
 * `x` rounded to at most `significant` significant digits and at most `maxFraction` fraction
 * digits. Returns "" when that rounds to zero (the caller picks a bigger value).
 */
export function decimalText (x: number, significant: number, maxFraction: number): string {
  if (!(x > 0) || x >= MAX_PLAIN) return ''
  // digits before the point (≤ 0 for x < 1: -log10 leading zeros after the point)
  const intDigits = Math.floor(Math.log10(x)) + 1
  let fraction = significant - intDigits
  if (fraction > maxFraction) fraction = maxFraction
  if (fraction < 0) fraction = 0
  return trimZeros(x.toFixed(fraction))
}

/** "1.2300" → "1.23", "5.000" → "5", "0.000" → "" (zero is not an amount) */
export function trimZeros (text: string): string {
  let end = text.length
  if (text.indexOf('.') !== -1) {
    while (text.charCodeAt(end - 1) === 48) end--
    if (text.charCodeAt(end - 1) === 46) end--
  }
  const out = end === text.length ? text : text.slice(0, end)
  return out === '0' ? '' : out
}

/** 10^-d as a canonical string: the smallest unit of a token with d decimals */
export function smallestUnit (decimals: number): string {
  return decimals === 0 ? '1' : '0.' + '0'.repeat(decimals - 1) + '1'
}
