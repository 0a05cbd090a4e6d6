/**
 * A token's lone swap is kept raw (src/engine/raw-swap.ts) until a second one comes. Its numbers
 * must be those of the bucketed form at every step: checked against the oracle as the swap ages
 * out of every window, through whole-engine and per-token snapshots taken while raw, a duplicate
 * of the lone swap, the second swap that turns the token into buckets, and the drop.
 * (The property tests cover the same paths at random; this one names them.)
 */
import { expect } from 'chai'
import { createEngine, restoreEngine, parseWindowList, type Engine } from '../../src/engine/index.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { Oracle, expectedDrain } from './oracle.js'
import { makeSwap, type SwapFields } from '../helpers/swap-factory.js'

const LIST = '1m,5m,15m,1h,24h'
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const SKEW = 60_000

function swap (over: Partial<SwapFields>): ReturnType<typeof makeSwap> {
  return makeSwap({
    id: 'a:1', chain: 'ethereum', blockNumber: 100, logIndex: 1, blockTime: T0 - 20_000,
    token: '0xaa', quoteToken: undefined, pool: undefined, trader: '0xt1', side: 'BUY',
    amount: '1.5', amountUsd: '3000.123456', ...over
  })
}

/** The engine's drain against what the oracle says must be reported. */
function drainMatches (e: Engine, o: Oracle, reported: Map<string, StatsObject>, where: string): number {
  const got = new Map<string, StatsObject | null>()
  e.drain((key, s) => { got.set(key, s) })
  const want = expectedDrain(reported, o.statsAll())
  expect([...got.keys()].sort(), where + ': drained keys').to.deep.equal([...want.keys()].sort())
  for (const [k, v] of want) expect(JSON.parse(JSON.stringify(got.get(k))), where + ': ' + k).to.deep.equal(JSON.parse(JSON.stringify(v)))
  return got.size
}

describe('engine: a token with one swap, kept raw', () => {
  it('reads like the oracle while it ages out, after snapshots, and once a second swap comes', () => {
    const windows = parseWindowList(LIST)
    const e = createEngine({ windows, skewMs: SKEW, now: T0 })
    const o = new Oracle(windows, SKEW, T0)
    const reported = new Map<string, StatsObject>()
    const first = swap({})
    e.ingest(first); o.ingest(first)
    expect(e.liveBuckets, 'buckets of a raw token').to.equal(0)
    drainMatches(e, o, reported, 'after the first swap')

    // a duplicate of the lone swap, and a copy restored from a whole-engine snapshot
    expect(e.ingest(swap({ amountUsd: '1' }))).to.equal(1) // DUPLICATE (same id)
    o.ingest(swap({ amountUsd: '1' }))
    const copy = restoreEngine(e.snapshot())
    const tokenOnly = createEngine({ windows, skewMs: SKEW, now: T0 })
    tokenOnly.restoreToken(e.snapshotToken('ethereum', '0xaa') as Uint8Array)
    expect(copy.liveBuckets + tokenOnly.liveBuckets, 'restored raw tokens have no buckets').to.equal(0)

    // age: out of 1m, 5m, 15m; each engine against the oracle
    for (const dt of [45_000, 60_000, 4 * 60_000, 11 * 60_000, 30 * 60_000]) {
      const T = o.now + dt
      for (const x of [e, copy, tokenOnly]) x.advance(T)
      o.advance(T)
      drainMatches(e, o, reported, `at +${(T - T0) / 1000} s`)
      expect(copy.allStats(), 'whole-engine copy').to.deep.equal(o.statsAll())
      expect(tokenOnly.allStats(), 'per-token copy').to.deep.equal(o.statsAll())
    }

    // a second swap: the token is bucketed from then on, the first swap still counted in 1h/24h
    const second = swap({ id: 'b:2', blockTime: o.now - 5_000, blockNumber: 200, side: 'SELL', trader: '0xt2', amountUsd: '10.5', amount: '0.25' })
    for (const x of [e, copy]) expect(x.ingest(second)).to.equal(0)
    o.ingest(second)
    expect(e.liveBuckets, 'buckets once bucketed').to.be.greaterThan(0)
    drainMatches(e, o, reported, 'after the second swap')
    expect(copy.allStats()).to.deep.equal(o.statsAll())
    // the first swap's id is still a duplicate, now through the bucketed dedup table
    expect(e.ingest(first)).to.equal(1)
    o.ingest(first)

    // past the horizon: dropped, reported as null
    const end = o.now + 25 * 3_600_000
    e.advance(end); o.advance(end)
    expect(drainMatches(e, o, reported, 'past the horizon')).to.equal(1)
    expect(e.tokenCount).to.equal(0)
    expect(e.allStats()).to.deep.equal([])
  })

  it('a lone swap ahead of the clock enters its windows when their edge passes it', () => {
    const windows = parseWindowList(LIST)
    const e = createEngine({ windows, skewMs: SKEW, now: T0 })
    const o = new Oracle(windows, SKEW, T0)
    const reported = new Map<string, StatsObject>()
    const ahead = swap({ blockTime: T0 + 30_000 })
    e.ingest(ahead); o.ingest(ahead)
    drainMatches(e, o, reported, 'ahead of the clock')
    for (const dt of [10_000, 20_000, 1_000, 60_000]) {
      const T = o.now + dt
      e.advance(T); o.advance(T)
      drainMatches(e, o, reported, `at +${(T - T0) / 1000} s`)
    }
  })
  it('a first swap whose logIndex does not fit an int32 goes to buckets at once, and reads the same', () => {
    const windows = parseWindowList(LIST)
    const e = createEngine({ windows, skewMs: SKEW, now: T0 })
    const o = new Oracle(windows, SKEW, T0)
    const reported = new Map<string, StatsObject>()
    // a safe integer the NDJSON parser accepts, beyond an Avro int
    const big = swap({ logIndex: 2 ** 40 })
    expect(e.ingest(big)).to.equal(0)
    o.ingest(big)
    expect(e.liveBuckets, 'no raw form for it').to.be.greaterThan(0)
    drainMatches(e, o, reported, 'after the swap')
    expect(e.ingest(big), 'its duplicate').to.equal(1)
    const copy = restoreEngine(e.snapshot())
    expect(copy.allStats()).to.deep.equal(o.statsAll())
    // a token kept raw beside it
    const small = swap({ id: 'c:3', token: '0xbb', logIndex: 2 ** 31 - 1 })
    e.ingest(small); o.ingest(small)
    drainMatches(e, o, reported, 'after a raw token with the largest int32 logIndex')
    expect(restoreEngine(e.snapshot()).allStats()).to.deep.equal(o.statsAll())
  })

  it('a token snapshot whose raw swap has a limb out of range is refused as BAD_SNAPSHOT', () => {
    const windows = parseWindowList(LIST)
    const e = createEngine({ windows, skewMs: SKEW, now: T0 })
    e.ingest(swap({ amountUsd: '7', amount: '1' }))
    const snap = e.snapshotToken('ethereum', '0xaa') as Uint8Array
    // the usd limbs are written as u32, u32, u32, f64 right after blockTime and side: find the
    // integer limb 7 (7·10¹⁸ units → l2 = 7) and make it 2³²−1
    const view = new DataView(snap.buffer, snap.byteOffset, snap.byteLength)
    let at = -1
    for (let i = 0; i + 12 <= snap.length; i++) {
      if (view.getUint32(i, true) === 0 && view.getUint32(i + 4, true) === 0 && view.getUint32(i + 8, true) === 7) { at = i + 8; break }
    }
    expect(at, 'limb found in the snapshot').to.be.greaterThan(0)
    view.setUint32(at, 0xffffffff, true)
    const other = createEngine({ windows, skewMs: SKEW, now: T0 })
    expect(() => other.restoreToken(snap)).to.throw(/limb out of range/).with.property('code', 'BAD_SNAPSHOT')
    expect(other.tokenCount, 'nothing restored').to.equal(0)
  })
})
