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

// Plain decimal: digits, optional fraction. No sign, no exponent, no leading dot.
const DECIMAL_RE = /^([0-9]+)(?:\.([0-9]+))?$/

export type DecimalParseFailure = 'syntax' | 'zero' | 'too-large' | 'too-precise'

/**
 * Parses a decimal string. Returns the failure reason instead of throwing, because the parser
 * calls it once per swap and rejects are ordinary input, not exceptional.
 */
export function parseDecimal18 (text: string): Decimal18 | DecimalParseFailure {
  if (text.length === 0 || text.length > 128) return text.length === 0 ? 'syntax' : 'too-large'
  const m = DECIMAL_RE.exec(text)
  if (m === null) return 'syntax'
  let int = m[1]
  let frac = m[2] ?? ''
  if (text.endsWith('.')) return 'syntax'
  // leading zeros of the integer part carry no value
  let i = 0
  while (i < int.length - 1 && int.charCodeAt(i) === 48) i++
  if (i > 0) int = int.slice(i)
  if (int.length > MAX_INTEGER_DIGITS) return 'too-large'
  if (frac.length > FRACTION_DIGITS) {
    // trailing zeros past 18 digits are harmless; any other digit there would be lost
    for (let k = FRACTION_DIGITS; k < frac.length; k++) if (frac.charCodeAt(k) !== 48) return 'too-precise'
    frac = frac.slice(0, FRACTION_DIGITS)
  }
  frac = frac.padEnd(FRACTION_DIGITS, '0')
  const l0 = +frac.slice(9, 18)
  const l1 = +frac.slice(0, 9)
  const intLo = int.length > 9 ? int.slice(int.length - 9) : int
  const intHi = int.length > 9 ? int.slice(0, int.length - 9) : '0'
  const l2 = +intLo
  const l3 = +intHi
  if (l0 === 0 && l1 === 0 && l2 === 0 && l3 === 0) return 'zero'
  return { l0, l1, l2, l3 }
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
