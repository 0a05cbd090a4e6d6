/**
 * Candles (src/engine/candles.ts) against a brute-force oracle: every field of every candle,
 * exact. The book is driven the way the processor drives it: each swap goes to the engine, a
 * COUNTED one also to the book; the clock moves; changed candles are drained into a map that
 * stands for the compacted `candles` topic (last value per key), then candles before the
 * engine's horizon are evicted. Restores rebuild a fresh book from that map, as the processor
 * does from the topic. The oracle recomputes each candle from the counted swaps with BigInt sums.
 *
 *   VOLUMER_FC_SEED=… VOLUMER_FC_RUNS_SCALE=10 npx mocha test/engine/candles.property.test.ts
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { createEngine, COUNTED } from '../../src/engine/index.js'
import { CandleBook, candleKey, type Candle } from '../../src/engine/candles.js'
import { parseCandleIntervals, type CandleInterval } from '../../src/engine/candle-intervals.js'
import { parseWindowList } from '../../src/engine/windows.js'
import type { Swap } from '../../src/swap/swap.js'
import { makeSwap } from '../helpers/swap-factory.js'
import { decimalText } from '../helpers/engine-ops.js'
import { formatExact } from '../helpers/exact-decimal.js'
import { oracleCandles } from '../helpers/candle-oracle.js'

const T0 = Date.UTC(2021, 5, 16, 1, 51, 54)
const RUNS = Math.round(150 * Number(process.env.VOLUMER_FC_RUNS_SCALE ?? 1))
const SEED = process.env.VOLUMER_FC_SEED === undefined ? undefined : Number(process.env.VOLUMER_FC_SEED)

type Step =
  | { op: 'swap', token: number, side: 'BUY' | 'SELL', amount: string, amountUsd: string, backMs: number, block: number, log: number, dup: number }
  | { op: 'advance', ms: number }
  | { op: 'restore' }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    op: fc.constant('swap' as const),
    token: fc.nat(2),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    amount: decimalText,
    amountUsd: decimalText,
    // up to 70 s back with a 60 s horizon: some are late, many land in older candles
    backMs: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 70_000 })),
    block: fc.integer({ min: 1, max: 3 }),
    log: fc.integer({ min: 0, max: 2 }),
    // > 0: repeat an earlier swap (a duplicate delivery)
    dup: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 50 }) })
  }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 40_000 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restore' as const) }) }
)

function run (steps: readonly Step[], intervals: readonly CandleInterval[]): void {
  const windows = parseWindowList('10s,1m')
  const engine = createEngine({ windows, now: T0, skewMs: 5000 })
  let book = new CandleBook(intervals)
  const topic = new Map<string, Candle>()
  const counted: Swap[] = []
  const sent: Swap[] = []
  let now = T0
  let n = 0
  const cycle = (): void => {
    engine.advance(now)
    book.drain((key, c) => { topic.set(key, c) })
    book.evict(engine.horizonStart)
  }
  for (const s of steps) {
    if (s.op === 'advance') { now += s.ms; cycle(); continue }
    if (s.op === 'restore') {
      // a restore follows a committed cycle (the engine, restored too, would be at that point)
      cycle()
      book = new CandleBook(intervals)
      for (const c of topic.values()) if (Date.parse(c.end) > engine.horizonStart) expect(book.load(c)).to.equal(true)
      book.clearDirty()
      continue
    }
    let swap: Swap
    if (s.dup > 0 && sent.length > 0) swap = sent[sent.length - 1 - (s.dup % sent.length)]
    else {
      swap = makeSwap({
        id: 'id' + n++,
        chain: 'ethereum',
        token: ['0xaa', '0xbb', '0xcc'][s.token],
        trader: 't',
        side: s.side,
        amount: s.amount,
        amountUsd: s.amountUsd,
        blockTime: now - s.backMs,
        blockNumber: s.block,
        logIndex: s.log
      })
    }
    sent.push(swap)
    if (engine.ingest(swap) === COUNTED) { counted.push(swap); book.add(swap) }
  }
  cycle()
  const cutoff = engine.horizonStart
  const expected = oracleCandles(counted, intervals, cutoff)
  // the book holds the candles the oracle finds after the horizon, every field equal; evict
  // sweeps at most once per shortest interval, so it may still hold candles that ended less
  // than that before the horizon, never older ones
  const all = book.all()
  for (const c of all) expect(Date.parse(c.end), 'evicted late').to.be.greaterThan(cutoff - intervals[0].ms)
  const held = new Map(all.filter((c) => Date.parse(c.end) > cutoff).map((c) => [candleKey(c.chain, c.token, c.interval, Date.parse(c.start)), c]))
  expect([...held.keys()].sort()).to.deep.equal([...expected.keys()].sort())
  for (const [key, c] of expected) expect(held.get(key), key).to.deep.equal(c)
  // and what was published last for each key (the compacted topic) is that candle too
  for (const [key, c] of expected) expect(topic.get(key), 'published ' + key).to.deep.equal(c)
}

describe('candles (property, against a brute-force oracle)', function () {
  this.timeout(120_000)

  it('every field of every candle after the horizon is exact, with late swaps, duplicates and restores', () => {
    const intervals = parseCandleIntervals('1s,5s,1m,1h,1d')
    fc.assert(fc.property(fc.array(step, { maxLength: 120 }), (steps) => { run(steps, intervals) }), { numRuns: RUNS, seed: SEED })
  })

  it('the default intervals', () => {
    const intervals = parseCandleIntervals('1m,5m,15m,1h,4h,1d')
    fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => { run(steps, intervals) }), { numRuns: Math.max(20, RUNS / 3), seed: SEED })
  })

  it('limbs are carried: 2^20 + 5 swaps of one candle sum exactly', () => {
    const book = new CandleBook(parseCandleIntervals('1h'))
    const s = makeSwap({ id: 'x', chain: 'c', token: 't', trader: 'a', side: 'BUY', amount: '999999999.999999999999999999', amountUsd: '999999999.999999999999999999', blockTime: T0, blockNumber: 1, logIndex: 0 })
    const n = (1 << 20) + 5
    for (let i = 0; i < n; i++) book.add(s)
    const [c] = book.all()
    const one = 999999999999999999999999999n
    expect(c.buyVolumeUsd).to.equal(formatExact(one * BigInt(n)))
    expect(c.volume).to.equal(formatExact(one * BigInt(n)))
    expect(c.txns).to.equal(n)
  })

  it('restores a candle whose sums have more than 18 integer digits (regression: load refused it)', () => {
    const book = new CandleBook(parseCandleIntervals('1h'))
    const big = '999999999999999999.999999999999999999'
    for (let i = 0; i < 11; i++) book.add(makeSwap({ id: 'b' + i, chain: 'c', token: 't', trader: 'a', side: i % 2 === 0 ? 'BUY' : 'SELL', amount: big, amountUsd: big, blockTime: T0 + i, blockNumber: 1, logIndex: i }))
    const [c] = book.all()
    expect(c.volume).to.equal(formatExact(11n * 999999999999999999999999999999999999n))
    const restored = new CandleBook(parseCandleIntervals('1h'))
    expect(restored.load(c)).to.equal(true)
    expect(restored.all()).to.deep.equal([c])
  })

  it('parses intervals and refuses ones that do not tile a day', () => {
    expect(parseCandleIntervals('1d,1m').map((i) => i.name)).to.deep.equal(['1m', '1d'])
    expect(parseCandleIntervals('1m')[0].historyMs).to.equal(86_400_000)
    expect(() => parseCandleIntervals('7m')).to.throw(/divide a day/)
    expect(() => parseCandleIntervals('1m,60s')).to.throw(/twice/)
    expect(() => parseCandleIntervals('')).to.throw(/no candle intervals/)
  })
})
