/**
 * The shipped real-swap sample (samples/) (846 tokens, 9,842 swaps, ~55 minutes) replayed through the engine
 * as a live feed: the clock moves second by second, swaps arrive up to 20 s late or up to 30 s
 * early (so in disorder, some inside the skew), 10% arrive twice, and the engine is snapshotted
 * and restored midway. Every few minutes of feed time the engine's stats of every token and its
 * drain are compared with the brute-force oracle; then the clock runs on until every token decays.
 */
import { expect } from 'chai'
import { createEngine, restoreEngine, parseWindowList } from '../../src/engine/index.js'
import type { StatsObject } from '../../src/engine/stats.js'
import type { Swap } from '../../src/swap/swap.js'
import { Oracle, expectedDrain } from './oracle.js'
import { parseWindows, DEFAULT_WINDOW_LIST } from '../helpers/windows.js'
import { swapFromRecord } from '../helpers/swap-factory.js'
import { createRandom } from '../helpers/seeded-random.js'
import { readSampleLines } from '../helpers/sample-data.js'
import { assertSame } from '../helpers/diff.js'

const OUTCOME = ['COUNTED', 'DUPLICATE', 'LATE', 'FUTURE']

describe('engine vs oracle on the shipped sample, replayed live', function () {
  this.timeout(180_000)

  for (const list of [DEFAULT_WINDOW_LIST, '1m,5m:10s,15m:1m']) {
    it(`matches at every checkpoint (windows ${list})`, function () {
      const random = createRandom(list.length)
      const swaps = readSampleLines().map((l) => swapFromRecord(JSON.parse(l) as Record<string, unknown>))
      // arrival time: blockTime + a delay in [−30 s, +20 s]; 10% of swaps arrive a second time later on
      const arrivals: Array<{ at: number, swap: Swap }> = []
      for (const s of swaps) {
        const at = s.blockTime + Math.floor(random() * 50_000) - 30_000
        arrivals.push({ at, swap: s })
        if (random() < 0.1) arrivals.push({ at: at + Math.floor(random() * 600_000), swap: s })
      }
      arrivals.sort((a, b) => a.at - b.at)
      const skewMs = 20_000 // early arrivals up to 30 s ahead: some are FUTURE, some inside the skew
      const start = arrivals[0].at - 1
      const oracle = new Oracle(parseWindows(list), skewMs, start)
      let engine = createEngine({ windows: parseWindowList(list), skewMs, now: start })
      const reported = new Map<string, StatsObject>()
      const outcomes = [0, 0, 0, 0]

      const compare = (where: string): void => {
        const want = oracle.statsAll()
        assertSame(engine.allStats(), want, where + ': allStats()')
        const got = new Map<string, StatsObject | null>()
        engine.drain((k, s) => { got.set(k, s) })
        const expected = expectedDrain(reported, want)
        expect([...got.keys()].sort(), where + ': drained keys').to.deep.equal([...expected.keys()].sort())
        for (const [k, v] of expected) assertSame(got.get(k), v, where + ': drained ' + k)
      }

      let i = 0
      let restored = false
      const end = arrivals[arrivals.length - 1].at
      for (let T = start; T <= end + 1000; T += 1000) {
        oracle.advance(T)
        engine.advance(T)
        while (i < arrivals.length && arrivals[i].at <= T) {
          const s = arrivals[i++].swap
          const want = oracle.ingest(s)
          const got = engine.ingest(s)
          outcomes[want]++
          if (got !== want) expect.fail(`ingest of ${s.id} (${s.token}) at ${new Date(T).toISOString()}: ${OUTCOME[got]}, oracle ${OUTCOME[want]}`)
        }
        if ((T - start) % 300_000 === 0) compare('at ' + new Date(T).toISOString())
        if (!restored && T - start >= 1_800_000) {
          engine = restoreEngine(engine.snapshot())
          restored = true
          compare('after restore at ' + new Date(T).toISOString())
        }
      }
      compare('after the feed')
      for (const later of [1_800_000, 4 * 3_600_000, 25 * 3_600_000]) {
        oracle.advance(end + later)
        engine.advance(end + later)
        compare(`feed end + ${later / 60_000} min`)
      }
      expect(engine.allStats(), 'all tokens decayed and dropped').to.deep.equal([])
      expect(outcomes[0], 'counted').to.be.greaterThan(7000)
      expect(outcomes[1], 'duplicates').to.be.greaterThan(500)
      expect(outcomes[3], 'future').to.be.greaterThan(0)
    })
  }
})
