import { expect } from 'chai'
import { VolumerError } from '../../src/errors.js'
import { createZipfSampler, Random } from '../../src/generator/index.js'

describe('zipf sampler (rejection-inversion)', () => {
  for (const [n, s] of [[20, 1.1], [20, 0.6], [7, 1], [1000, 2]] as const) {
    it(`matches P(k) ∝ k^-${s} over ${n} ranks (χ² test)`, () => {
      const z = createZipfSampler(n, s)
      const random = new Random(7)
      const draws = 200_000
      const counts = new Array<number>(n + 1).fill(0)
      let outside = 0
      for (let i = 0; i < draws; i++) {
        const k = z.sample(random)
        if (k >= 1 && k <= n) counts[k]++
        else outside++
      }
      expect(outside).to.equal(0)
      // χ² over cells with expected ≥ 5; tail cells lumped together
      let chi = 0
      let cells = 0
      let tailObs = 0
      let tailExp = 0
      for (let k = 1; k <= n; k++) {
        const e = draws * z.probability(k)
        if (e >= 5) { chi += (counts[k] - e) ** 2 / e; cells++ } else { tailObs += counts[k]; tailExp += e }
      }
      if (tailExp >= 5) { chi += (tailObs - tailExp) ** 2 / tailExp; cells++ }
      // mean cells−1, sd √(2(cells−1)): 5 sd is far beyond chance for a correct sampler
      const df = cells - 1
      expect(chi).to.be.below(df + 5 * Math.sqrt(2 * df))
    })
  }

  it('handles n = 1 and refuses bad parameters', () => {
    const z = createZipfSampler(1, 1.5)
    const random = new Random(1)
    for (let i = 0; i < 100; i++) expect(z.sample(random)).to.equal(1)
    expect(() => createZipfSampler(0, 1)).to.throw(VolumerError)
    expect(() => createZipfSampler(10, 0)).to.throw(VolumerError)
  })
})
