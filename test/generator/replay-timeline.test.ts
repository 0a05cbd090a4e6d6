import { expect } from 'chai'
import { VolumerError } from '../../src/errors.js'
import { createReplayTimeline } from '../../src/generator/index.js'

describe('replay timeline', () => {
  const first = Date.parse('2021-06-16T01:51:54.000Z')
  const last = first + 3_600_000
  const start = Date.parse('2026-01-01T12:00:00.000Z')

  it('without a speed: everything due at start, shifted so the last swap lands at start', () => {
    const tl = createReplayTimeline({ firstTime: first, lastTime: last, startAt: start })
    expect(tl.shift(last)).to.equal(start)
    expect(tl.shift(first)).to.equal(start - 3_600_000)
    expect(tl.shift(first + 1234)).to.equal(start - 3_600_000 + 1234)
    expect(tl.dueAt(first)).to.equal(start)
    expect(tl.endsAt).to.equal(start)
  })

  it('with speed F: sent at start + (t − first)/F, blockTime = send time, last lands when sent', () => {
    const tl = createReplayTimeline({ firstTime: first, lastTime: last, startAt: start, speed: 60 })
    expect(tl.dueAt(first)).to.equal(start)
    expect(tl.dueAt(last)).to.equal(start + 60_000)
    expect(tl.endsAt).to.equal(start + 60_000)
    expect(tl.shift(last)).to.equal(tl.endsAt)
    expect(tl.shift(first + 30_000)).to.equal(start + 500)
    // spacing is kept (scaled) and order never changes
    expect(tl.shift(first + 61)).to.be.at.least(tl.shift(first + 60))
  })

  it('refuses a non-positive speed and an inverted range', () => {
    expect(() => createReplayTimeline({ firstTime: first, lastTime: last, startAt: start, speed: 0 })).to.throw(VolumerError, /speed/)
    expect(() => createReplayTimeline({ firstTime: last, lastTime: first, startAt: start })).to.throw(VolumerError, /firstTime/)
  })
})
