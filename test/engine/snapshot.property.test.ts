/**
 * Damaged snapshots: truncations of a whole-engine or per-token snapshot, and snapshots of
 * another version or window set, must be refused with VolumerError BAD_SNAPSHOT (never another
 * exception, never a half-restored engine); a refused restoreToken leaves the engine as it was.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import * as engineModule from '../../src/engine/index.js'
import { isVolumerError } from '../../src/errors.js'
import { ops as opsArb } from '../helpers/engine-ops.js'
import { newRun, apply, SEED, type EngineApi } from '../helpers/engine-harness.js'

const { createEngine, restoreEngine, parseWindowList } = engineModule
const api = engineModule as unknown as EngineApi
const LIST = '3s:1s,10s:2s,1m:5s'
const T0 = Date.UTC(2021, 5, 16, 1, 51, 54)

function expectBadSnapshot (f: () => unknown, what: string): void {
  try {
    f()
  } catch (err) {
    if (isVolumerError(err) && err.code === 'BAD_SNAPSHOT') return
    throw new Error(what + ': expected VolumerError BAD_SNAPSHOT, got ' + String(err))
  }
  throw new Error(what + ': accepted')
}

describe('engine snapshots, damaged', function () {
  this.timeout(120_000)

  it('refuses truncations (about 100 cut points each), and a refused restoreToken changes nothing', () => {
    console.log(`      [fast-check] seed=${SEED}`)
    fc.assert(fc.property(opsArb, (ops) => {
      const r = newRun(api, LIST, 5000, T0)
      ops.forEach((o, i) => { apply(r, o, i) })
      const whole = r.engine.snapshot()
      for (let n = 0; n < whole.length; n += Math.max(1, Math.floor(whole.length / 97))) {
        expectBadSnapshot(() => restoreEngine(whole.subarray(0, n)), `restoreEngine of ${n}/${whole.length} bytes`)
      }
      for (const key of r.oracle.tokenKeys()) {
        const [chain, token] = key.split(':')
        const bytes = r.engine.snapshotToken(chain, token) as Uint8Array
        // restore into a copy of the engine that already holds this token and others
        const target = restoreEngine(whole)
        const before = JSON.stringify(target.allStats())
        for (let n = 0; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 31))) {
          expectBadSnapshot(() => { target.restoreToken(bytes.subarray(0, n)) }, `restoreToken of ${n}/${bytes.length} bytes of ${key}`)
          expect(JSON.stringify(target.allStats()), `engine after a refused restoreToken(${key}, ${n} bytes)`).to.equal(before)
        }
      }
    }), { seed: SEED, numRuns: 40, includeErrorInReport: true })
  })

  it('refuses another version, another kind, and token snapshots written with other windows', () => {
    const e = createEngine({ windows: parseWindowList(LIST), skewMs: 5000, now: T0 })
    e.ingest({ id: 'a', chain: 'c', token: 't', blockNumber: 1, logIndex: 1, blockTime: T0, quoteToken: undefined, pool: undefined, trader: 'x', side: 0, amount: { l0: 0, l1: 0, l2: 1, l3: 0 }, amountUsd: { l0: 0, l1: 0, l2: 2, l3: 0 }, price: 2 })
    const whole = e.snapshot()
    const token = e.snapshotToken('c', 't') as Uint8Array
    const bumped = whole.slice(); bumped[4] = 99
    expectBadSnapshot(() => restoreEngine(bumped), 'version 99')
    expectBadSnapshot(() => restoreEngine(token), 'a token snapshot given to restoreEngine')
    expectBadSnapshot(() => { e.restoreToken(whole) }, 'an engine snapshot given to restoreToken')
    const other = createEngine({ windows: parseWindowList('3s:1s,10s:5s'), skewMs: 5000, now: T0 })
    expectBadSnapshot(() => { other.restoreToken(token) }, 'token snapshot into an engine with other windows')
    expect(other.allStats()).to.deep.equal([])
    expectBadSnapshot(() => restoreEngine(new Uint8Array([...whole, 0])), 'trailing byte')
  })
})
