/**
 * The processor's checkpoint snapshot encoded in slices (issue #20: /healthz p99 < 20 ms while
 * checkpoints are written in `volumer run`): the same bytes as the one-go snapshot, restorable,
 * and other work on the event loop runs while it is being encoded.
 */
import { expect } from 'chai'
import { createEngine, restoreEngine, snapshotEngine } from '../../src/engine/index.js'
import { createSwapGenerator } from '../../src/generator/index.js'
import { validateSwapObject } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import { snapshotInSlices } from '../../src/processor/sliced-snapshot.js'

const START = Date.UTC(2026, 11, 6)

function filledEngine (swaps: number, tokens: number): ReturnType<typeof createEngine> {
  const gen = createSwapGenerator({ seed: 11, tokens, now: START })
  const e = createEngine({ now: START })
  for (let i = 0; i < swaps; i++) {
    const s = validateSwapObject(gen.next(START + i))
    if (isSwapReject(s)) throw new Error(s.message)
    if (i % 100 === 0) e.advance(s.blockTime + 1000)
    e.ingest(s)
  }
  return e
}

describe('processor checkpoint snapshot in slices', () => {
  it('writes the same bytes as snapshotEngine, and they restore to the same statistics', async () => {
    const e = filledEngine(20_000, 300)
    const whole = snapshotEngine(e)
    const sliced = await snapshotInSlices(e, 0)
    expect(Buffer.from(sliced).equals(Buffer.from(whole))).to.equal(true)
    expect(JSON.stringify(restoreEngine(sliced).allStats())).to.equal(JSON.stringify(e.allStats()))
    // an empty engine has no token to slice at
    const empty = createEngine({ now: START })
    expect(Buffer.from(await snapshotInSlices(empty, 0)).equals(Buffer.from(snapshotEngine(empty)))).to.equal(true)
  })

  it('lets the event loop run between slices (a 0 ms slice: a turn after every token)', async () => {
    const e = filledEngine(5_000, 200)
    const tokens = e.allStats().length
    let turns = 0
    let running = true
    const tick = (): void => { if (running) { turns++; setImmediate(tick) } }
    setImmediate(tick)
    await snapshotInSlices(e, 0)
    running = false
    // one turn per token at least: every other callback waited for one token, not the engine
    expect(turns).to.be.at.least(tokens)
    // and with a budget larger than the whole encoding, none
    turns = 0; running = true
    setImmediate(tick)
    const before = turns
    await snapshotInSlices(e, 60_000)
    expect(turns - before).to.equal(0)
    running = false
  })
})
