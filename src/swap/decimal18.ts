/**
 * Exact fixed-point decimals with 18 fractional digits, held in four base-10⁹ limbs of plain
 * doubles so the engine adds them without BigInt (BigInt values are heap objects; measured in
 * bench/engine.bench.ts the limb form keeps ingest allocation-free).
 *
 *   value = (l3·10²⁷ + l2·10¹⁸ + l1·10⁹ + l0) · 10⁻¹⁸
 *
 *   l3: integer digits 10..18   l2: integer digits 1..9
 *   l1: fraction digits 1..9    l0: fraction digits 10..18
 *
 * A parsed amount has every limb in [0, 10⁹). Sums may leave limbs un-normalised (above 10⁹,
 * or negative after a subtraction): a double holds integers exactly up to 2⁵³ ≈ 9·10¹⁵, so a
 * limb absorbs about nine million additions before `normalize` must carry. Formatting always
 * normalises first.
 */
export interface Decimal18 {
  readonly l0: number
  readonly l1: number
  readonly l2: number
  readonly l3: number
}

export const LIMB = 1e9
/** most integer digits a single amount may have (10¹⁸ units of anything is not a real trade) */
export const MAX_INTEGER_DIGITS = 18
export const FRACTION_DIGITS = 18

export const ZERO: Decimal18 = Object.freeze({ l0: 0, l1: 0, l2: 0, l3: 0 })

export type DecimalParseFailure = 'syntax' | 'zero' | 'too-large' | 'too-precise'

const D0 = 48 // '0'
const D9 = 57 // '9'
const DOT = 46

/**
 * Parses a plain decimal string: digits, optionally a dot and more digits (no sign, exponent,
 * spaces or leading dot). Returns the failure reason instead of throwing, because the parser
 * calls it once per swap and rejects are ordinary input, not exceptional.
 *
 * One pass over the character codes, no regex, no substrings: measured on the bench:peers
 * stats file (600,000 amounts), the regex-and-slices version was 8 % of `volumer stats`' CPU
 * (docs/processor.md has the before/after). test/swap/decimal18.property.test.ts checks it
 * against that version on generated and mutated texts.
 */
export function parseDecimal18 (text: string): Decimal18 | DecimalParseFailure {
  const n = text.length
  if (n === 0 || n > 128) return n === 0 ? 'syntax' : 'too-large'
  let i = 0
  let c = 0
  while (i < n && (c = text.charCodeAt(i)) >= D0 && c <= D9) i++
  const intEnd = i
  if (intEnd === 0) return 'syntax'
  let fracEnd = intEnd
  if (i < n) {
    if (c !== DOT) return 'syntax'
    i++
    while (i < n && (c = text.charCodeAt(i)) >= D0 && c <= D9) i++
    if (i < n || i === intEnd + 1) return 'syntax'
    fracEnd = i
  }
  // leading zeros of the integer part carry no value
  let intStart = 0
  while (intStart < intEnd - 1 && text.charCodeAt(intStart) === D0) intStart++
  if (intEnd - intStart > MAX_INTEGER_DIGITS) return 'too-large'
  const fracStart = intEnd + 1
  // trailing zeros past 18 digits are harmless; any other digit there would be lost
  for (let k = fracStart + FRACTION_DIGITS; k < fracEnd; k++) if (text.charCodeAt(k) !== D0) return 'too-precise'
  const loStart = intEnd - 9 > intStart ? intEnd - 9 : intStart
  const l3 = digitsValue(text, intStart, loStart)
  const l2 = digitsValue(text, loStart, intEnd)
  const l1 = fractionLimb(text, fracStart, fracEnd)
  const l0 = fractionLimb(text, fracStart + 9, fracEnd)
  if (l0 === 0 && l1 === 0 && l2 === 0 && l3 === 0) return 'zero'
  return { l0, l1, l2, l3 }
}

/** the integer the digits [from, to) spell (at most 9 of them) */
function digitsValue (text: string, from: number, to: number): number {
  let v = 0
  for (let k = from; k < to; k++) v = v * 10 + (text.charCodeAt(k) - D0)
  return v
}

/** the nine fraction digits from `from` as an integer, zeros past `end` */
function fractionLimb (text: string, from: number, end: number): number {
  let v = 0
  for (let k = from; k < from + 9; k++) v = v * 10 + (k < end ? text.charCodeAt(k) - D0 : 0)
  return v
}

/** Mutable accumulator form used by the engine and the oracle tests. */
export function limbsToString (a0: number, a1: number, a2: number, a3: number): string {
  // carry upwards so every lower limb ends in [0, 10⁹)
  let c = Math.floor(a0 / LIMB); a0 -= c * LIMB; a1 += c
  c = Math.floor(a1 / LIMB); a1 -= c * LIMB; a2 += c
  c = Math.floor(a2 / LIMB); a2 -= c * LIMB; a3 += c
  if (a3 < 0) throw new RangeError('negative decimal sum')
  let int: string
  if (a3 > 0) int = String(a3) + pad9(a2)
  else int = String(a2)
  if (a1 === 0 && a0 === 0) return int
  let frac = pad9(a1) + pad9(a0)
  let end = frac.length
  while (frac.charCodeAt(end - 1) === 48) end--
  frac = frac.slice(0, end)
  return int + '.' + frac
}

export function decimalToString (d: Decimal18): string {
  return limbsToString(d.l0, d.l1, d.l2, d.l3)
}

/** The correctly rounded double of the exact value. */
export function decimalToNumber (d: Decimal18): number {
  return Number(decimalToString(d))
}

function pad9 (n: number): string {
  const s = String(n)
  return s.length >= 9 ? s : '000000000'.slice(s.length) + s
}
