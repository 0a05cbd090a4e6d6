/**
 * Property tests: random operation sequences (test/helpers/engine-ops.ts) run on src/engine and
 * on the brute-force oracle side by side (test/helpers/engine-harness.ts), comparing after every
 * operation every statistic of every token, every ingest outcome and counter, and every drain's
 * change set; whole-engine snapshot/restore and per-token snapshot/restore happen mid-sequence.
 *
 * Seeded and bounded to stay well under a minute on a 2-core machine. To explore further:
 *   VOLUMER_FC_SEED=123 VOLUMER_FC_RUNS_SCALE=10 VOLUMER_FC_TIME_LIMIT_MS=900000 npx mocha test/engine/engine.property.test.ts
 */
import { expect } from 'chai'
import fc from 'fast-check'
import * as engineModule from '../../src/engine/index.js'
import { parseWindows, ORACLE_DEFAULT_WINDOWS, DEFAULT_WINDOW_LIST, type WindowSpec } from '../helpers/windows.js'
import { ops as opsArb, longOps, ingestOp, type Op } from '../helpers/engine-ops.js'
import { assertProperty, apply, checkAll, drainBoth, newRun, newTally, type EngineApi } from '../helpers/engine-harness.js'

const { parseWindowList, DEFAULT_WINDOWS, COUNTED, DUPLICATE, LATE, FUTURE } = engineModule
const api = engineModule as unknown as EngineApi

const T_BASE = Date.UTC(2021, 5, 16, 1, 51, 54)

/** Small windows cross step boundaries every few operations; the defaults exercise coarse steps. */
// (unsorted lists and a step equal to the length included on purpose)
const SMALL_LISTS = ['3s:1s,10s:2s,1m:5s', '2s:1s,5s:1s', '1m,10s:5s,30s:10s', '6s:3s,2s:1s,1m:30s', '1s:1s,4s:2s']
const WINDOW_LISTS = [...SMALL_LISTS, DEFAULT_WINDOW_LIST]
const SKEWS = [1000, 5000, 60_000]
const t0Arb = fc.integer({ min: 0, max: 3_600_000 }).map((d) => T_BASE + d)

describe('engine vs oracle (property)', function () {
  this.timeout(180_000)

  it('parses window lists and default steps like the contract', () => {
    const strip = (ws: readonly WindowSpec[]): WindowSpec[] => ws.map((w) => ({ name: w.name, lengthMs: w.lengthMs, stepMs: w.stepMs }))
    expect(strip(DEFAULT_WINDOWS)).to.deep.equal(ORACLE_DEFAULT_WINDOWS)
    for (const list of WINDOW_LISTS) expect(strip(parseWindowList(list))).to.deep.equal(parseWindows(list))
    expect([COUNTED, DUPLICATE, LATE, FUTURE]).to.deep.equal([0, 1, 2, 3])
  })

  it('decays step by step with no new swaps (small windows, every half step drained)', () => {
    const r = newRun(api, '3s:1s,10s:2s,1m:5s', 5000, T_BASE + 123)
    const t = r.oracle.now
    const ops: Op[] = []
    for (let k = 0; k < 12; k++) {
      ops.push({ op: 'ingest', chain: 0, token: k % 3, trader: k % 4, side: k % 2 === 0 ? 'BUY' : 'SELL', amount: String(k + 1) + '.5', amountUsd: String(10 * (k + 1)), blockNumber: 100 + (k % 2), time: { kind: 'nearNow', backMs: (k * 4567) % 55_000 }, id: { kind: 'fresh' } })
    }
    ops.forEach((o, i) => { apply(r, o, i) })
    drainBoth(r, 'after ingest')
    const before = r.tally.drainsReported
    for (let T = t; T <= t + 70_000; T += 500) {
      r.oracle.advance(T)
      r.engine.advance(T)
      checkAll(r, 'decay at ' + new Date(T).toISOString())
      drainBoth(r, 'decay at ' + new Date(T).toISOString())
    }
    expect(r.engine.allStats()).to.deep.equal([])
    expect(r.tally.drainsReported - before, 'decay produced updates').to.be.greaterThan(10)
  })

  const tally = newTally()
  after(() => { console.log('      [fast-check] tally:', JSON.stringify(tally)) })

  it('matches the oracle on random sequences (small windows)', () => {
    assertProperty(api, 'small windows', fc.tuple(
      fc.constantFrom(...SMALL_LISTS), fc.constantFrom(...SKEWS), t0Arb, opsArb,
    ), 250, tally)
  })

  it('matches the oracle on random sequences (default windows)', () => {
    assertProperty(api, 'default windows', fc.tuple(
      fc.constant(DEFAULT_WINDOW_LIST), fc.constantFrom(...SKEWS), t0Arb, opsArb,
    ), 80, tally)
  })

  it('matches the oracle on long sequences (small windows)', () => {
    assertProperty(api, 'long sequences', fc.tuple(
      fc.constantFrom(...SMALL_LISTS), fc.constantFrom(...SKEWS), t0Arb, longOps,
    ), 20, tally)
  })

  it('matches the oracle when swaps arrive and then only time moves', () => {
    const advanceOnly = fc.array(fc.oneof(
      fc.record({ op: fc.constant('advance' as const), to: fc.record({ kind: fc.constant('toEdge' as const), window: fc.nat(10), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) }),
      fc.record({ op: fc.constant('advance' as const), to: fc.record({ kind: fc.constant('steps' as const), window: fc.nat(10), n: fc.integer({ min: 1, max: 5 }) }) }),
      fc.constant({ op: 'drain' as const }),
    ), { maxLength: 60 })
    assertProperty(api, 'decay', fc.tuple(
      fc.constantFrom(...WINDOW_LISTS), fc.constantFrom(...SKEWS), t0Arb,
      fc.tuple(fc.array(ingestOp, { minLength: 1, maxLength: 40 }), advanceOnly).map(([a, b]): Op[] => [...a, { op: 'drain' }, ...b]),
    ), 80, tally)
  })
})
