import { expect } from 'chai'
import { ByteBudget } from '../../src/edge/byte-budget.js'

describe('ByteBudget (bytes per second, with a burst)', () => {
  it('starts full, goes into debt on a large spend, and refills at the rate up to the burst', () => {
    const b = new ByteBudget(1000, 4000, 0)
    expect(b.available(0)).to.equal(4000)
    b.spend(5000) // one message larger than what is left still goes
    expect(b.available(0)).to.equal(-1000)
    expect(b.available(500)).to.equal(-500)
    expect(b.available(1000)).to.equal(0)
    expect(b.available(1001)).to.be.above(0)
    expect(b.available(60_000)).to.equal(4000)
  })

  it('does not refill when the clock does not move (tests inject the clock)', () => {
    const b = new ByteBudget(1000, 100, 5)
    b.spend(100)
    expect(b.available(5)).to.equal(0)
    expect(b.available(4)).to.equal(0)
  })
})
