import { expect } from 'chai'
import { VolumerError } from '../../src/errors.js'
import { createPacer } from '../../src/generator/index.js'

describe('pacer', () => {
  it('releases rate × elapsed records in total, whatever the tick lengths', () => {
    const p = createPacer({ rate: 1000, startAt: 0 })
    let t = 0
    for (const step of [1, 3, 7, 2, 50, 0, 13, 24]) {
      t += step
      p.record(p.due(t))
      expect(p.sent).to.equal(Math.floor(t * 1000 / 1000))
    }
    expect(p.due(t)).to.equal(0)
  })

  it('handles fractional rates: 2.5/s is 5 records in 2 s', () => {
    const p = createPacer({ rate: 2.5, startAt: 1000 })
    expect(p.due(1000)).to.equal(0)
    expect(p.waitMs(1000)).to.equal(400)
    p.record(p.due(1400))
    expect(p.sent).to.equal(1)
    p.record(p.due(2200))
    expect(p.sent).to.equal(3)
    p.record(p.due(3000))
    expect(p.sent).to.equal(5)
    expect(p.skipped).to.equal(0)
  })

  it('forgives more than maxBacklogMs of backlog instead of bursting it', () => {
    const p = createPacer({ rate: 1000, startAt: 0, maxBacklogMs: 1000 })
    expect(p.due(10_000)).to.equal(1000)
    expect(p.skipped).to.equal(9000)
    p.record(1000)
    // back on schedule from here
    expect(p.due(10_010)).to.equal(10)
    expect(p.waitMs(10_000)).to.equal(1)
  })

  it('releases at most maxBatch a call and keeps the rest due: a backlog is caught up over several calls', () => {
    const p = createPacer({ rate: 1000, startAt: 0, maxBatch: 100 })
    // 250 ms behind: 250 due, released 100 + 100 + 50 + the new ones
    expect(p.due(250)).to.equal(100); p.record(100)
    expect(p.due(250)).to.equal(100); p.record(100)
    expect(p.due(270)).to.equal(70); p.record(70)
    expect(p.skipped).to.equal(0)
    expect(p.sent).to.equal(270)
    expect(() => createPacer({ rate: 1, startAt: 0, maxBatch: 0 })).to.throw(VolumerError, /maxBatch/)
  })

  it('refuses a rate that is not positive', () => {
    expect(() => createPacer({ rate: 0, startAt: 0 })).to.throw(VolumerError, /rate/)
  })
})
