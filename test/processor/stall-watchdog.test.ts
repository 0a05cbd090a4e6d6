import { expect } from 'chai'
import { createStallWatchdog, type StallReport } from '../../src/processor/stall-watchdog.js'

/**
 * A processor alive but not processing (issue #23's chaos runs: two processors ready for 4–5
 * minutes while reading nothing) must be reported: the loop stuck in one stage, or records
 * waiting that are never read. Time is a fake clock; check() is what the watchdog's timer runs.
 */
describe('stall watchdog', () => {
  function setup (stallAfterMs = 60_000): { t: { now: number }, w: ReturnType<typeof createStallWatchdog>, stalls: StallReport[], recovered: StallReport[] } {
    const t = { now: 1_000_000 }
    const stalls: StallReport[] = []
    const recovered: StallReport[] = []
    const w = createStallWatchdog({ now: () => t.now, stallAfterMs, checkEveryMs: 0, onStall: (r) => stalls.push(r), onRecover: (r) => recovered.push(r) })
    return { t, w, stalls, recovered }
  }

  it('a loop that keeps coming round with nothing waiting is never stalled', () => {
    const { t, w, stalls } = setup()
    for (let i = 0; i < 100; i++) { t.now += 5000; w.enter('poll'); w.progress(); w.lag(0); w.check() }
    expect(stalls).to.deep.equal([])
    expect(w.stalled()).to.equal(undefined)
  })

  it('a loop stuck in one stage past the stall time is reported with that stage, again each stall time, and its end once', () => {
    const { t, w, stalls, recovered } = setup()
    w.progress()
    t.now += 1000
    w.enter('send offsets')
    t.now += 59_000
    w.check()
    expect(stalls).to.deep.equal([])
    t.now += 1001
    w.check()
    expect(stalls).to.have.length(1)
    expect(stalls[0]).to.include({ kind: 'loop', stage: 'send offsets', ms: 61_001, stageMs: 60_001 })
    t.now += 30_000; w.check()
    expect(stalls).to.have.length(1)
    t.now += 30_000; w.check()
    expect(stalls).to.have.length(2)
    w.progress(); w.check()
    expect(recovered).to.have.length(1)
    expect(w.stalled()).to.equal(undefined)
  })

  it('records waiting and none read for the stall time is a stall, though the loop comes round; reading ends it', () => {
    const { t, w, stalls, recovered } = setup()
    // nothing read for a long while, nothing waiting: fine
    t.now += 600_000
    w.progress(); w.lag(0); w.check()
    expect(stalls).to.deep.equal([])
    // 47,000 records start waiting: the clock starts now, not at the last read
    w.lag(47_000)
    for (let i = 0; i < 11; i++) { t.now += 5000; w.enter('poll'); w.progress(); w.check() }
    expect(stalls).to.deep.equal([])
    t.now += 5001; w.progress(); w.check()
    expect(stalls).to.have.length(1)
    expect(stalls[0]).to.include({ kind: 'reading', lag: 47_000 })
    w.read(); w.check()
    expect(recovered).to.have.length(1)
    expect(w.stalled()).to.equal(undefined)
  })
})
