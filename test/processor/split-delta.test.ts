import { expect } from 'chai'
import fc from 'fast-check'
import { splitDelta } from '../../src/processor/processor.js'

describe('splitDelta: one token\'s DELTA in records under the state topic\'s limit', () => {
  it('keeps every value, in order, in parts within the limit (a value larger than the limit alone)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 2000 }),
      (sizes, limit) => {
        const values = sizes.map((n, i) => new Uint8Array(n).fill(i % 256))
        const parts = splitDelta(values, limit)
        expect(parts.flat()).to.deep.equal(values)
        for (const part of parts) {
          expect(part.length).to.be.greaterThan(0)
          const bytes = part.reduce((s, v) => s + v.byteLength + 5, 0)
          if (part.length > 1) expect(bytes).to.be.at.most(limit)
        }
      }))
  })

  it('one part when everything fits', () => {
    const values = [new Uint8Array(10), new Uint8Array(20)]
    expect(splitDelta(values, 1000)).to.deep.equal([values])
    expect(splitDelta([], 1000)).to.deep.equal([])
  })
})
