import { expect } from 'chai'
import fc from 'fast-check'
import { statsJson } from '../../src/codec/stats-json.js'
import { createEngine } from '../../src/engine/index.js'
import type { StatsObject, WindowStats } from '../../src/engine/stats.js'
import { parseSwapJson } from '../../src/swap/parse-swap.js'
import type { Swap } from '../../src/swap/swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import { readSampleLines } from '../helpers/sample-data.js'

// what the engine writes in the string fields statsJson copies unescaped
const iso = fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString())
const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.nat({ max: 18 }))
  .map(([u, scale]) => { const s = u.toString().padStart(scale + 1, '0'); const f = s.slice(s.length - scale).replace(/0+$/, ''); return s.slice(0, s.length - scale) + (f === '' ? '' : '.' + f) })
const anyNumber = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e21, 5e-324))
const count = fc.oneof(fc.nat(), fc.constant(2 ** 53 - 1))
const optNumber = fc.option(anyNumber, { nil: null })
const name = fc.oneof(fc.string(), fc.constantFrom('1m', '24h', '0', '10', '__proto__x', 'a"b', 'c\\d', '\u2028', '\u0000'))

const window: fc.Arbitrary<WindowStats> = fc.record({
  from: iso, to: iso, volumeUsd: decimal, buyVolumeUsd: decimal, sellVolumeUsd: decimal,
  volume: decimal, buyVolume: decimal, sellVolume: decimal,
  txns: count, buys: count, sells: count, traders: count, buyers: count, sellers: count,
  open: optNumber, close: optNumber, high: optNumber, low: optNumber, priceChangePct: optNumber, vwap: optNumber
})
const stats: fc.Arbitrary<StatsObject> = fc.record({
  chain: fc.string({ unit: 'binary' }),
  token: fc.string({ unit: 'binary' }),
  asOf: iso,
  lastPrice: optNumber,
  lastTradeAt: fc.option(iso, { nil: null }),
  firstSeenAt: fc.option(iso, { nil: null }),
  windows: fc.dictionary(name, window, { maxKeys: 12 })
})

describe('statsJson: the JSON text of a stats object, as JSON.stringify writes it', () => {
  it('equals JSON.stringify on generated objects (any chain/token text, odd window names, non-finite numbers, nulls)', () => {
    fc.assert(fc.property(stats, (s) => {
      expect(statsJson(s)).to.equal(JSON.stringify(s))
    }), { numRuns: 3000 })
  })

  it('equals JSON.stringify on every object the engine renders for the shared sample', () => {
    const lines = readSampleLines()
    const swaps = lines.map((l) => parseSwapJson(l)).filter((s): s is Swap => !isSwapReject(s))
    const at = Math.max(...swaps.map((s) => s.blockTime))
    const engine = createEngine({ now: at })
    for (const s of swaps) engine.ingest(s)
    const all = engine.allStats()
    expect(all.length).to.be.greaterThan(100)
    for (const s of all) expect(statsJson(s)).to.equal(JSON.stringify(s))
  })
})
