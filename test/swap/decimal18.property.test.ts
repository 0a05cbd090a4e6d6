import { expect } from 'chai'
import fc from 'fast-check'
import {
  parseDecimal18, decimalToString, decimalToNumber, limbsToString, type Decimal18, LIMB,
} from '../../src/swap/decimal18.js'

/** BigInt reference: the value in units of 10⁻¹⁸. */
function toUnits (text: string): bigint {
  const [int, frac = ''] = text.split('.')
  return BigInt(int) * 10n ** 18n + BigInt((frac + '0'.repeat(18)).slice(0, 18))
}

function unitsToString (u: bigint): string {
  const int = u / 10n ** 18n
  const frac = (u % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '')
  return frac.length === 0 ? int.toString() : `${int}.${frac}`
}

function limbsOf (d: Decimal18): bigint {
  return ((BigInt(d.l3) * 10n ** 9n + BigInt(d.l2)) * 10n ** 9n + BigInt(d.l1)) * 10n ** 9n + BigInt(d.l0)
}

const digit = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
const intPart = fc.string({ unit: digit, minLength: 1, maxLength: 18 })
const fracPart = fc.string({ unit: digit, minLength: 0, maxLength: 18 })
/** random plain decimals: up to 18 integer and 18 fraction digits, leading/trailing zeros included */
const decimalText = fc.tuple(intPart, fracPart).map(([i, f]) => f.length > 0 ? `${i}.${f}` : i)
const positiveDecimal = decimalText.filter(t => toUnits(t) > 0n)

describe('decimal18 (property, against BigInt)', () => {
  it('parse then format is the canonical form of the same value', () => {
    fc.assert(fc.property(positiveDecimal, text => {
      const d = parseDecimal18(text)
      if (typeof d === 'string') expect.fail(`${text}: ${d}`)
      for (const limb of [d.l0, d.l1, d.l2, d.l3]) expect(limb).to.be.within(0, LIMB - 1)
      expect(limbsOf(d)).to.equal(toUnits(text))
      expect(decimalToString(d)).to.equal(unitsToString(toUnits(text)))
    }), { numRuns: 5000 })
  })

  it('formatted output parses back to the same limbs', () => {
    fc.assert(fc.property(positiveDecimal, text => {
      const d = parseDecimal18(text) as Decimal18
      expect(parseDecimal18(decimalToString(d))).to.deep.equal(d)
    }), { numRuns: 2000 })
  })

  it('decimalToNumber is the correctly rounded double (same as Number of the text)', () => {
    fc.assert(fc.property(positiveDecimal, text => {
      expect(decimalToNumber(parseDecimal18(text) as Decimal18)).to.equal(Number(text))
    }), { numRuns: 2000 })
  })

  it('zero in any spelling is "zero"', () => {
    fc.assert(fc.property(fc.nat({ max: 20 }), fc.nat({ max: 20 }), (i, f) => {
      const text = '0'.repeat(i + 1) + (f > 0 ? '.' + '0'.repeat(f) : '')
      expect(parseDecimal18(text)).to.equal('zero')
    }))
  })

  it('19 significant integer digits are too large, a 19th non-zero decimal too precise', () => {
    fc.assert(fc.property(fc.string({ unit: digit, minLength: 18, maxLength: 18 }), fc.constantFrom('1', '5', '9'), (digits, d) => {
      expect(parseDecimal18(d + digits)).to.equal('too-large')
      expect(parseDecimal18('0.' + digits + d)).to.equal('too-precise')
      expect(parseDecimal18('1.' + digits + '000')).to.not.be.a('string')
    }))
  })

  it('sums of many amounts, formatted with limbsToString, equal the BigInt sum', () => {
    fc.assert(fc.property(fc.array(positiveDecimal, { minLength: 1, maxLength: 300 }), texts => {
      let a0 = 0; let a1 = 0; let a2 = 0; let a3 = 0
      let ref = 0n
      for (const t of texts) {
        const d = parseDecimal18(t) as Decimal18
        a0 += d.l0; a1 += d.l1; a2 += d.l2; a3 += d.l3
        ref += toUnits(t)
      }
      expect(limbsToString(a0, a1, a2, a3)).to.equal(unitsToString(ref))
    }), { numRuns: 300 })
  })

  it('sums with subtractions (swaps leaving a window) stay exact while non-negative', () => {
    fc.assert(fc.property(fc.array(fc.tuple(positiveDecimal, fc.boolean()), { minLength: 1, maxLength: 200 }), ops => {
      let a0 = 0; let a1 = 0; let a2 = 0; let a3 = 0
      let ref = 0n
      const added: Decimal18[] = []
      for (const [t, remove] of ops) {
        const d = parseDecimal18(t) as Decimal18
        a0 += d.l0; a1 += d.l1; a2 += d.l2; a3 += d.l3; ref += toUnits(t); added.push(d)
        if (remove && added.length > 1) {
          // un-normalised limbs go negative here; formatting must still carry correctly
          const r = added.shift() as Decimal18
          a0 -= r.l0; a1 -= r.l1; a2 -= r.l2; a3 -= r.l3; ref -= limbsOf(r)
        }
      }
      expect(limbsToString(a0, a1, a2, a3)).to.equal(unitsToString(ref))
    }), { numRuns: 300 })
  })

  it('limbs near 2^53 after millions of additions still format exactly', () => {
    // the largest per-limb values a long-lived accumulator can reach before it must normalise
    const k = 9_000_000
    const max = parseDecimal18('999999999999999999.999999999999999999') as Decimal18
    const ref = toUnits('999999999999999999.999999999999999999') * BigInt(k)
    expect(limbsToString(max.l0 * k, max.l1 * k, max.l2 * k, max.l3 * k)).to.equal(unitsToString(ref))
  })

  it('a negative total is an error, not a wrong string', () => {
    expect(() => limbsToString(-1, 0, 0, 0)).to.throw(RangeError)
  })
})

/**
 * The regex-and-slices parser that parseDecimal18 replaced (one pass over character codes, for
 * speed): kept here as the reference its answers must equal, failure reasons included.
 */
function regexParse (text: string): Decimal18 | string {
  if (text.length === 0 || text.length > 128) return text.length === 0 ? 'syntax' : 'too-large'
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text)
  if (m === null) return 'syntax'
  let int = m[1]
  let frac = m[2] ?? ''
  let i = 0
  while (i < int.length - 1 && int.charCodeAt(i) === 48) i++
  if (i > 0) int = int.slice(i)
  if (int.length > 18) return 'too-large'
  if (frac.length > 18) {
    for (let k = 18; k < frac.length; k++) if (frac.charCodeAt(k) !== 48) return 'too-precise'
    frac = frac.slice(0, 18)
  }
  frac = frac.padEnd(18, '0')
  const l0 = +frac.slice(9, 18)
  const l1 = +frac.slice(0, 9)
  const l2 = +(int.length > 9 ? int.slice(int.length - 9) : int)
  const l3 = +(int.length > 9 ? int.slice(0, int.length - 9) : '0')
  if (l0 === 0 && l1 === 0 && l2 === 0 && l3 === 0) return 'zero'
  return { l0, l1, l2, l3 }
}

describe('decimal18 parser (property, against the regex parser it replaced)', () => {
  const near = fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', ' ', '\n', 'x', '٣', '\u0000')
  const longDigits = fc.tuple(fc.string({ unit: digit, minLength: 0, maxLength: 40 }), fc.boolean(), fc.string({ unit: digit, minLength: 0, maxLength: 40 }))
    .map(([i, dot, f]) => dot ? `${i}.${f}` : i + f)

  it('gives the same limbs or the same failure on digit-and-dot texts of any length (zeros, > 18 digits, > 128 characters)', () => {
    const padded = fc.tuple(fc.nat({ max: 120 }), longDigits, fc.nat({ max: 30 })).map(([z, t, tz]) => '0'.repeat(z) + t + (t.includes('.') ? '0'.repeat(tz) : ''))
    fc.assert(fc.property(fc.oneof(decimalText, longDigits, padded), text => {
      expect(parseDecimal18(text)).to.deep.equal(regexParse(text))
    }), { numRuns: 20000 })
  })

  it('gives the same answer on texts with signs, exponents, spaces, other digits and controls mixed in', () => {
    fc.assert(fc.property(fc.string({ unit: near, maxLength: 40 }), text => {
      expect(parseDecimal18(text)).to.deep.equal(regexParse(text))
    }), { numRuns: 20000 })
  })
})
