/**
 * The oracle checked on its own against hand-computed cases, so that a property-test mismatch
 * can be trusted to be the engine's.
 */
import { expect } from 'chai'
import { Oracle, expectedDrain, O_COUNTED, O_DUPLICATE, O_FUTURE, O_LATE } from './oracle.js'
import { parseWindows, ORACLE_DEFAULT_WINDOWS } from '../helpers/windows.js'
import { makeSwap, type SwapFields } from '../helpers/swap-factory.js'
import { formatExact, parseExact } from '../helpers/exact-decimal.js'
import type { StatsObject } from '../../src/engine/stats.js'
import fc from 'fast-check'
import { ops as opsArb } from '../helpers/engine-ops.js'
import { assertProperty, newTally } from '../helpers/engine-harness.js'
import { oracleEngineApi } from '../helpers/oracle-engine.js'

const W = parseWindows('3s:1s,10s:2s')
const iso = (ms: number): string => new Date(ms).toISOString()

let n = 0
function swap (over: Partial<SwapFields>): ReturnType<typeof makeSwap> {
  n++
  return makeSwap({ id: 'id' + n, chain: 'eth', token: 'A', trader: 't1', side: 'BUY', amount: '1', amountUsd: '1', blockTime: 0, blockNumber: 1, logIndex: n, ...over })
}

describe('oracle', () => {
  describe('window lists', () => {
    it('uses the contract default steps', () => {
      const steps = Object.fromEntries(ORACLE_DEFAULT_WINDOWS.map((w) => [w.name, w.stepMs / 1000]))
      expect(steps).to.deep.equal({ '1m': 1, '5m': 1, '15m': 1, '30m': 5, '1h': 5, '2h': 30, '4h': 30, '6h': 30, '8h': 120, '12h': 120, '24h': 120 })
      expect(parseWindows('5m:10s,3s')).to.deep.equal([{ name: '5m', lengthMs: 300_000, stepMs: 10_000 }, { name: '3s', lengthMs: 3000, stepMs: 1000 }])
    })
  })

  describe('exact decimals', () => {
    it('formats canonically and sums without loss', () => {
      expect(formatExact(parseExact('000.000') + 1n)).to.equal('0.000000000000000001')
      expect(formatExact(parseExact('99999999999999999.999999999999999999') + parseExact('0.000000000000000001'))).to.equal('100000000000000000')
      expect(formatExact(parseExact('12.50'))).to.equal('12.5')
      expect(formatExact(0n)).to.equal('0')
      expect(formatExact(parseExact('0001234'))).to.equal('1234')
    })
  })

  describe('ingest outcomes at T = 10.5 s, skew 1 s', () => {
    // 3s:1s → E = 11 000, [8 000, 11 000); 10s:2s → E = 12 000, [2 000, 12 000); horizon 2 000
    const T = 10_500
    it('computes edges and the horizon', () => {
      const o = new Oracle(W, 1000, T)
      expect(Oracle.edge(W[0], T)).to.equal(11_000)
      expect(Oracle.edge(W[1], T)).to.equal(12_000)
      expect(Oracle.edge(W[1], 12_000)).to.equal(14_000) // at an exact step boundary E moves on
      expect(o.horizonStart()).to.equal(2000)
    })
    it('classifies late, counted, future, duplicates per token', () => {
      const o = new Oracle(W, 1000, T)
      expect(o.ingest(swap({ blockTime: 1999 }))).to.equal(O_LATE)
      const first = swap({ blockTime: 2000 })
      expect(o.ingest(first)).to.equal(O_COUNTED)
      expect(o.ingest(swap({ blockTime: 11_500 }))).to.equal(O_COUNTED) // exactly T + skew
      expect(o.ingest(swap({ blockTime: 11_501 }))).to.equal(O_FUTURE)
      expect(o.ingest({ ...first })).to.equal(O_DUPLICATE)
      expect(o.ingest({ ...first, trader: 'other', logIndex: 99 })).to.equal(O_DUPLICATE) // same id and blockTime, other content
      expect(o.ingest({ ...first, blockTime: 9000 })).to.equal(O_COUNTED) // same id, another blockTime (SPEC 3 since 12-07)
      expect(o.ingest({ ...first, blockTime: 9000 })).to.equal(O_DUPLICATE) // …which is now counted
      expect(o.ingest({ ...first, token: 'B' })).to.equal(O_COUNTED) // same id under another token
      expect(o.counters).to.deep.equal({ counted: 4, duplicates: 3, late: 1, future: 1 })
    })
  })

  describe('statistics', () => {
    function threeSwaps (): Oracle {
      const o = new Oracle(W, 1000, 10_500)
      o.ingest(swap({ blockTime: 9000, side: 'BUY', trader: 't1', amount: '1.5', amountUsd: '3' })) // price 2
      o.ingest(swap({ blockTime: 9500, side: 'SELL', trader: 't2', amount: '0.5', amountUsd: '1.5' })) // price 3
      o.ingest(swap({ blockTime: 4000, side: 'BUY', trader: 't1', amount: '2', amountUsd: '2' })) // price 1
      return o
    }

    it('recomputes every window from the kept swaps', () => {
      const s = threeSwaps().stats('eth', 'A') as StatsObject
      expect(s.asOf).to.equal(iso(10_500))
      expect(s.lastPrice).to.equal(3)
      expect(s.lastTradeAt).to.equal(iso(9500))
      expect(s.firstSeenAt).to.equal(iso(4000))
      expect(Object.keys(s.windows)).to.deep.equal(['3s', '10s'])
      expect(s.windows['3s']).to.deep.equal({
        from: iso(8000), to: iso(11_000),
        volumeUsd: '4.5', buyVolumeUsd: '3', sellVolumeUsd: '1.5',
        volume: '2', buyVolume: '1.5', sellVolume: '0.5',
        txns: 2, buys: 1, sells: 1, traders: 2, buyers: 1, sellers: 1,
        open: 2, close: 3, high: 3, low: 2, priceChangePct: 50, vwap: 2.25,
      })
      expect(s.windows['10s']).to.deep.equal({
        from: iso(2000), to: iso(12_000),
        volumeUsd: '6.5', buyVolumeUsd: '5', sellVolumeUsd: '1.5',
        volume: '4', buyVolume: '3.5', sellVolume: '0.5',
        txns: 3, buys: 2, sells: 1, traders: 2, buyers: 1, sellers: 1,
        open: 1, close: 3, high: 3, low: 1, priceChangePct: 200, vwap: 1.625,
      })
    })

    it('orders open/close by (blockTime, blockNumber, logIndex), not arrival', () => {
      const o = new Oracle(W, 1000, 10_500)
      o.ingest(swap({ blockTime: 9000, blockNumber: 7, logIndex: 1, amountUsd: '5' }))
      o.ingest(swap({ blockTime: 9000, blockNumber: 6, logIndex: 9, amountUsd: '4' }))
      o.ingest(swap({ blockTime: 9000, blockNumber: 7, logIndex: 0, amountUsd: '6' }))
      const w = (o.stats('eth', 'A') as StatsObject).windows['3s']
      expect([w.open, w.close, w.high, w.low]).to.deep.equal([4, 5, 6, 4])
      expect(w.priceChangePct).to.equal((5 - 4) / 4 * 100)
    })

    it('keeps a future swap and counts it once its step is inside the window', () => {
      const o = threeSwaps()
      o.ingest(swap({ blockTime: 11_200, amount: '1', amountUsd: '10' }))
      let s = o.stats('eth', 'A') as StatsObject
      expect(s.windows['3s'].txns).to.equal(2) // 11 200 ≥ E = 11 000
      expect(s.windows['10s'].txns).to.equal(4) // E = 12 000
      expect(s.lastPrice).to.equal(10)
      expect(s.lastTradeAt).to.equal(iso(11_200))
      o.advance(11_000)
      s = o.stats('eth', 'A') as StatsObject
      expect(s.windows['3s'].txns).to.equal(3) // [9 000, 12 000): 9 000, 9 500, 11 200
      expect(s.windows['3s'].volumeUsd).to.equal('14.5')
    })

    it('shows an empty window with zeros and nulls, and drops the token past the horizon', () => {
      const o = threeSwaps()
      o.advance(20_000) // 3s: [18 000, 21 000) empty; 10s: [11 000, 21 000) empty; horizon 11 000
      expect(o.stats('eth', 'A')).to.equal(undefined)
      const o2 = threeSwaps()
      o2.advance(13_000) // 3s [11 000, 14 000) empty; 10s [4 000, 14 000) has all three
      const s = o2.stats('eth', 'A') as StatsObject
      expect(s.windows['3s']).to.deep.include({ volumeUsd: '0', volume: '0', txns: 0, traders: 0, open: null, close: null, high: null, low: null, priceChangePct: null, vwap: null })
      expect(s.windows['10s'].txns).to.equal(3)
      o2.advance(14_000) // 10s [6 000, 16 000): the 4 000 swap leaves, firstSeenAt stays
      const s2 = o2.stats('eth', 'A') as StatsObject
      expect(s2.windows['10s'].txns).to.equal(2)
      expect(s2.firstSeenAt).to.equal(iso(4000))
    })

    it('forgets ids, firstSeenAt and everything else once the token is dropped', () => {
      const o = new Oracle(W, 1000, 10_500)
      const a = swap({ blockTime: 9000 })
      o.ingest(a)
      o.advance(30_000) // horizon 22 000: dropped
      expect(o.tokenKeys()).to.deep.equal([])
      const again = { ...a, blockTime: 29_000 } // the same id, now counted anew
      expect(o.ingest(again)).to.equal(O_COUNTED)
      expect((o.stats('eth', 'A') as StatsObject).firstSeenAt).to.equal(iso(29_000))
    })

    it('accepts a reused id when the earlier copy fell below the horizon but the token lives on', () => {
      const o = new Oracle(W, 1000, 10_500)
      const a = swap({ blockTime: 2500 })
      o.ingest(a)
      o.ingest(swap({ blockTime: 10_000 }))
      o.advance(12_000) // horizon 4 000: a is below it, the token stays
      expect(o.ingest({ ...a, blockTime: 11_000 })).to.equal(O_COUNTED)
      expect(o.ingest({ ...a, blockTime: 11_000 })).to.equal(O_DUPLICATE)
      // the same id with yet another blockTime is another swap (SPEC 3 since 12-07)
      expect(o.ingest({ ...a, blockTime: 11_500 })).to.equal(O_COUNTED)
      const s = o.stats('eth', 'A') as StatsObject
      expect(s.firstSeenAt).to.equal(iso(2500))
      expect(s.windows['10s'].txns).to.equal(3)
    })

    it('sums extreme magnitudes exactly', () => {
      const o = new Oracle(W, 1000, 10_500)
      o.ingest(swap({ blockTime: 9000, amount: '0.000000000000000001', amountUsd: '999999999999999999' }))
      o.ingest(swap({ blockTime: 9001, amount: '999999999999999999.999999999999999999', amountUsd: '0.000000000000000001' }))
      const w = (o.stats('eth', 'A') as StatsObject).windows['3s']
      expect(w.volume).to.equal('1000000000000000000')
      expect(w.volumeUsd).to.equal('999999999999999999.000000000000000001')
      expect(w.high).to.equal(999999999999999999 / 0.000000000000000001)
    })
  })

  describe('expectedDrain', () => {
    it('reports new and changed tokens, nothing for unchanged ones, null for dropped ones', () => {
      const o = new Oracle(W, 1000, 10_500)
      o.ingest(swap({ blockTime: 9000 }))
      o.ingest(swap({ blockTime: 9000, token: 'B' }))
      const reported = new Map<string, StatsObject>()
      expect([...expectedDrain(reported, o.statsAll()).keys()]).to.deep.equal(['eth:A', 'eth:B'])
      expect(expectedDrain(reported, o.statsAll()).size).to.equal(0)
      o.advance(10_900) // same step: asOf moves, numbers do not
      expect(expectedDrain(reported, o.statsAll()).size).to.equal(0)
      o.advance(11_000) // 3s becomes [9 000, 12 000): unchanged numbers, new from/to
      expect(expectedDrain(reported, o.statsAll()).size).to.equal(0)
      o.advance(12_000) // 3s [10 000, 13 000): both swaps leave it
      const d = expectedDrain(reported, o.statsAll())
      expect([...d.keys()]).to.deep.equal(['eth:A', 'eth:B'])
      expect(d.get('eth:A')?.windows['3s'].txns).to.equal(0)
      o.ingest(swap({ blockTime: 12_000, token: 'B' }))
      o.advance(21_000) // horizon 12 000: A dropped, B stays
      const d2 = expectedDrain(reported, o.statsAll())
      expect(d2.get('eth:A')).to.equal(null)
      expect(d2.get('eth:B')?.windows['10s'].txns).to.equal(1)
      expect([...reported.keys()]).to.deep.equal(['eth:B'])
    })
  })
})

describe('property harness self-check (the oracle as its own engine)', function () {
  this.timeout(60_000)
  const lists = ['3s:1s,10s:2s,1m:5s', '1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h']
  const arb = fc.tuple(fc.constantFrom(...lists), fc.constantFrom(1000, 60_000), fc.integer({ min: 0, max: 3_600_000 }).map((d) => Date.UTC(2021, 5, 16) + d), opsArb)

  it('finds no difference between the oracle and itself, and the generator hits every case', () => {
    const tally = newTally()
    assertProperty(oracleEngineApi(), 'harness self-check', arb, 60, tally)
    const [counted, duplicates, late, future] = tally.outcomes
    const ingests = counted + duplicates + late + future
    expect(tally.exactDuplicates / ingests, 'share of exact duplicates offered').to.be.greaterThan(0.1)
    expect(duplicates / ingests, 'share of DUPLICATE outcomes').to.be.greaterThan(0.05)
    expect(late, 'late swaps').to.be.greaterThan(0)
    expect(future, 'future swaps').to.be.greaterThan(0)
    expect(tally.drops, 'tokens dropped').to.be.greaterThan(0)
    expect(tally.drainsReported, 'drain reports').to.be.greaterThan(0)
  })

  it('notices a wrong statistic', () => {
    // an engine that gets buyers wrong whenever its longest window has two or more buyers
    const broken = oracleEngineApi((s) => {
      const name = Object.keys(s.windows).at(-1) as string
      const w = s.windows[name]
      return w.buyers < 2 ? s : { ...s, windows: { ...s.windows, [name]: { ...w, buyers: w.buyers - 1 } } }
    })
    expect(() => { assertProperty(broken, 'harness must fail', arb, 60, undefined, false) }).to.throw(/Property failed[\s\S]*buyers/)
  })
})
