/**
 * Property tests aimed at the tiered levels (engine.ts #maintain): a swap is written to one
 * chain bucket, and buckets older than their level's horizon are folded into the next level.
 * Sequences here move the clock past the finest level's horizon again and again, put swaps
 * around the fold boundary (T − the finest level's longest window) and into ranges already
 * folded, reuse a handful of traders so that a trader's latest time moves from folded to
 * unfolded buckets, and snapshot/restore between folds. Window lists include steps that are
 * not multiples of the previous one (levels outside the chain) and a finest level whose horizon
 * is longer than the next level's.
 *
 *   VOLUMER_FC_SEED=… VOLUMER_FC_RUNS_SCALE=10 npx mocha test/engine/fold.property.test.ts
 */
import fc from 'fast-check'
import * as engineModule from '../../src/engine/index.js'
import { parseWindows } from '../helpers/windows.js'
import { decimalText, type Op, type TimeRecipe, type AdvanceRecipe } from '../helpers/engine-ops.js'
import { assertProperty, newTally, type EngineApi } from '../helpers/engine-harness.js'

const api = engineModule as unknown as EngineApi
const T_BASE = Date.UTC(2021, 5, 16, 1, 51, 54)

const LISTS = [
  '1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h',
  '3s:1s,10s:2s,30s:10s,1m:30s', // a chain of four levels
  '5s:1s,20s:5s,1m:5s,2m:30s',
  '1m:1s,10s:5s,2m:10s', // the finest horizon is longer than the next level's
  '4s:2s,9s:3s,30s:6s,1m:30s', // 3 s is no multiple of 2 s: levels outside the chain
  '2s:1s,6s:3s,12s:6s', // the shortest horizons: folds every few seconds
]

/** The finest level's longest window over the longest window: the fold boundary as a `recent` fraction. */
function foldFrac (list: string): number {
  const ws = parseWindows(list)
  const fine = Math.min(...ws.map((w) => w.stepMs))
  const fineMax = Math.max(...ws.filter((w) => w.stepMs === fine).map((w) => w.lengthMs))
  return fineMax / Math.max(...ws.map((w) => w.lengthMs))
}

function opsFor (list: string): fc.Arbitrary<Op[]> {
  const ws = parseWindows(list)
  const boundary = foldFrac(list)
  const near = fc.double({ min: -0.02, max: 0.02, noNaN: true }).map((x) => Math.min(1, Math.max(0, boundary + x * boundary)))
  const time: fc.Arbitrary<TimeRecipe> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('recent' as const), frac: near }) }, // around the fold boundary
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('recent' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) }, // often in folded ranges
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('nearNow' as const), backMs: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('horizon' as const), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('futureIn' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('stepEdge' as const), window: fc.nat(ws.length - 1), delta: fc.constantFrom(-1 as const, 0 as const) }) },
  )
  const ingest = fc.record({
    op: fc.constant('ingest' as const),
    chain: fc.nat(1),
    token: fc.nat(2),
    trader: fc.oneof({ weight: 6, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.nat(299) }),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    amount: decimalText,
    amountUsd: decimalText,
    blockNumber: fc.integer({ min: 100, max: 102 }),
    time,
    id: fc.oneof(
      { weight: 10, arbitrary: fc.constant({ kind: 'fresh' as const }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('exactDuplicate' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuseId' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuseIdAndTime' as const), pick: fc.nat() }) },
    ),
  })
  const advance: fc.Arbitrary<AdvanceRecipe> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('steps' as const), window: fc.nat(ws.length - 1), n: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('toEdge' as const), window: fc.nat(ws.length - 1), delta: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('far' as const), frac: fc.double({ min: 0, max: 2 * boundary, noNaN: true }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sub' as const), ms: fc.integer({ min: 0, max: 999 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('far' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  )
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 12, arbitrary: ingest },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('advance' as const), to: advance }) },
    { weight: 3, arbitrary: fc.constant({ op: 'drain' as const }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('snapshot' as const), drainFirst: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('tokenCopy' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ op: 'rebuild' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'checkpoint' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'recover' as const }) },
  )
  return fc.array(op, { minLength: 20, maxLength: 150, size: 'max' })
}

describe('engine vs oracle around folds (property)', function () {
  this.timeout(180_000)
  const tally = newTally()
  after(() => { console.log('      [fast-check] tally:', JSON.stringify(tally)) })

  for (const list of LISTS) {
    it(`matches the oracle with the clock crossing fold boundaries (${list})`, () => {
      assertProperty(api, 'folds ' + list, fc.tuple(
        fc.constant(list), fc.constantFrom(1000, 5000, 60_000), fc.integer({ min: 0, max: 3_600_000 }).map((d) => T_BASE + d), opsFor(list),
      ), list.startsWith('1m,5m') ? 25 : 40, tally)
    })
  }
})
