import { expect } from 'chai'
import fc from 'fast-check'
import { SortedList } from '../../src/edge/sorted-list.js'
import { RANK_STATS, compareDecimal } from '../../src/edge/rank-value.js'
import { EncodedStats, createInProcessSchemaRegistry, createStatsEncoder, createStatsRecordDecoder } from '../../src/codec/index.js'
import { createStatsStore, entryJson } from '../../src/edge/stats-store.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { bruteTop, decimalUnits } from './brute.js'
import { WINDOWS, makeStats, rng } from './fixtures.js'

describe('edge/rank-value compareDecimal', () => {
  const dec = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 18 }))
    .map(([n, scale]) => {
      const s = n.toString().padStart(scale + 1, '0')
      const int = s.slice(0, s.length - scale)
      const frac = s.slice(s.length - scale).replace(/0+$/, '')
      return frac.length > 0 ? int + '.' + frac : int
    })

  it('orders decimal strings exactly like BigInt arithmetic', () => {
    fc.assert(fc.property(dec, dec, (a, b) => {
      const want = Math.sign(Number(decimalUnits(a) - decimalUnits(b)))
      expect(compareDecimal(a, b)).to.equal(want)
    }), { numRuns: 2000 })
  })

  it('tells apart values that round to the same double', () => {
    const a = '9007199254740992.000000000000000001'
    const b = '9007199254740992'
    expect(Number(a)).to.equal(Number(b))
    expect(compareDecimal(a, b)).to.equal(1)
    expect(compareDecimal(b, a)).to.equal(-1)
    expect(compareDecimal('007.50', '7.5')).to.equal(0)
  })
})

describe('edge/sorted-list', () => {
  it('matches a sorted array under random inserts and removes (crossing chunk splits)', () => {
    const r = rng(7)
    const list = new SortedList<number>((a, b) => a - b)
    const ref: number[] = []
    for (let i = 0; i < 5000; i++) {
      if (ref.length > 0 && r() < 0.4) {
        const v = ref[Math.floor(r() * ref.length)]
        expect(list.remove(v)).to.equal(true)
        ref.splice(ref.indexOf(v), 1)
      } else {
        const v = Math.floor(r() * 1e9)
        if (ref.includes(v)) continue
        list.insert(v)
        ref.push(v)
      }
    }
    ref.sort((a, b) => a - b)
    expect([...list]).to.deep.equal(ref)
    expect(list.size).to.equal(ref.length)
    expect(list.take(10, true)).to.deep.equal(ref.slice(-10).reverse())
    expect(list.at(0, true)).to.equal(ref[ref.length - 1])
    expect(list.remove(-1)).to.equal(false)
  })
})

describe('edge/stats-store', () => {
  it('top equals a brute-force sort for every stat, window, order and chain, with indexes built at different times', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
      const r = rng(seed)
      const store = createStatsStore({ maxIndexes: 1000 })
      const live = new Map<string, StatsObject>()
      const chains = ['ethereum', 'solana', 'base']
      const step = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const chain = chains[Math.floor(r() * 3)]
          const token = 't' + Math.floor(r() * 150)
          const key = chain + ':' + token
          if (r() < 0.1) { store.apply(key, null); live.delete(key) } else {
            const s = makeStats(chain, token, r)
            store.apply(key, s)
            live.set(key, s)
          }
        }
      }
      step(200)
      // some indexes exist before the rest of the updates (incremental path), others after (build path)
      for (const stat of RANK_STATS.slice(0, 10)) store.top({ stat, window: '5m', chain: null, limit: 1, descending: true })
      store.top({ stat: 'volumeUsd', window: '1h', chain: 'solana', limit: 1, descending: true })
      step(300)
      const all = [...live.values()]
      for (const stat of RANK_STATS) {
        for (const window of WINDOWS) {
          for (const chain of [null, 'solana']) {
            for (const descending of [true, false]) {
              const limit = 1 + Math.floor(r() * 200)
              const got = store.top({ stat, window, chain, limit, descending }).map(row => row.entry.key)
              const want = bruteTop(all, stat, stat === 'lastPrice' ? null : window, chain, limit, descending)
              expect(got, `${stat} ${window} ${String(chain)} ${descending ? 'desc' : 'asc'} ${limit}`).to.deep.equal(want)
            }
          }
        }
      }
      expect(store.size).to.equal(live.size)
    }), { numRuns: 3 })
  })

  it('caps indexes with LRU eviction and never evicts a pinned one', () => {
    const store = createStatsStore({ maxIndexes: 3 })
    const r = rng(1)
    for (let i = 0; i < 50; i++) store.apply('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
    const pinned = store.pin({ stat: 'txns', window: '5m', chain: null })
    for (const stat of ['volumeUsd', 'buys', 'sells', 'traders', 'high'] as const) store.top({ stat, window: '5m', chain: null, limit: 5, descending: true })
    expect(store.indexCount).to.equal(3)
    const pinned2 = store.pin({ stat: 'low', window: '1h', chain: null })
    store.pin({ stat: 'open', window: '1h', chain: null })
    expect(store.indexCount).to.equal(3)
    expect(store.canCreateIndex({ stat: 'vwap', window: '1h', chain: null })).to.equal(false)
    expect(store.canCreateIndex({ stat: 'txns', window: '5m', chain: null })).to.equal(true)
    // the pinned index stayed and is still exact after more updates
    for (let i = 0; i < 50; i++) store.apply('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
    const all = [...store.entries()].map(e => e.stats)
    expect(pinned.top(50, true).map(x => x.entry.key)).to.deep.equal(bruteTop(all, 'txns', '5m', null, 50, true))
    store.unpin(pinned2)
    expect(store.canCreateIndex({ stat: 'vwap', window: '1h', chain: null })).to.equal(true)
  })

  it('lastPrice ignores the window and shares one index', () => {
    const store = createStatsStore({ maxIndexes: 4 })
    const r = rng(3)
    for (let i = 0; i < 20; i++) store.apply('base:t' + i, makeStats('base', 't' + i, r))
    const a = store.top({ stat: 'lastPrice', window: '5m', chain: null, limit: 20, descending: true }).map(x => x.entry.key)
    const b = store.top({ stat: 'lastPrice', window: '24h', chain: null, limit: 20, descending: true }).map(x => x.entry.key)
    expect(a).to.deep.equal(b)
    expect(store.indexCount).to.equal(1)
  })

  it('keeps JSON text unparsed until the numbers are needed, and warm() parses the rest', () => {
    const store = createStatsStore()
    const r = rng(8)
    const a = makeStats('solana', 'So1:x', r)
    store.apply('solana:So1:x', JSON.stringify(a))
    store.apply('base:t', JSON.stringify(makeStats('base', 't', r)))
    const e = store.get('solana:So1:x')!
    expect(e.parsed).to.equal(false)
    expect(e.chain).to.equal('solana')
    expect(e.token).to.equal('So1:x')
    expect(e.json).to.equal(JSON.stringify(a))
    expect(e.stats).to.deep.equal(a)
    expect(e.parsed).to.equal(true)
    expect(store.warm(10)).to.equal(0)
    expect(store.get('base:t')!.parsed).to.equal(true)
    // an update as text keeps indexes exact (the old value comes from the parsed old text)
    store.top({ stat: 'txns', window: '5m', chain: null, limit: 2, descending: true })
    const b = makeStats('solana', 'So1:x', r)
    b.windows['5m'].txns = 1e6
    store.apply('solana:So1:x', JSON.stringify(b))
    expect(store.top({ stat: 'txns', window: '5m', chain: null, limit: 1, descending: true })[0].entry.key).to.equal('solana:So1:x')
    expect(store.get('solana:So1:x')!.rev).to.equal(2)
  })

  it('serves a record whose text does not parse as an empty token instead of failing', () => {
    const store = createStatsStore()
    store.apply('base:bad', '{not json')
    store.apply('base:good', JSON.stringify(makeStats('base', 'good', rng(2))))
    const rows = store.top({ stat: 'volumeUsd', window: '5m', chain: null, limit: 5, descending: true })
    expect(rows.map(x => x.entry.key)).to.include('base:bad')
    expect(store.get('base:bad')!.stats.windows).to.deep.equal({})
  })
})

describe('edge/stats-store with encoded records (the Kafka feed\'s Avro, decoded on demand)', () => {
  async function encoding (): Promise<(s: StatsObject) => EncodedStats> {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createStatsEncoder(registry)
    const dec = createStatsRecordDecoder(registry)
    await dec.prepare([enc.encode(makeStats('x', 'y', rng(1)))])
    return (s) => {
      const d = dec.decodeDeferred(enc.encode(s))
      if (!(d instanceof EncodedStats)) throw new Error('not deferred')
      return d
    }
  }

  it('ranks encoded entries exactly without decoding them, through updates, tombstones and mixed representations', async () => {
    const encode = await encoding()
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
      const r = rng(seed)
      const store = createStatsStore({ maxIndexes: 1000 })
      const live = new Map<string, StatsObject>()
      const chains = ['ethereum', 'solana']
      const step = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const chain = chains[Math.floor(r() * 2)]
          const token = 't' + Math.floor(r() * 80)
          const key = chain + ':' + token
          if (r() < 0.1) { store.apply(key, null); live.delete(key); continue }
          const s = makeStats(chain, token, r)
          const how = r()
          store.apply(key, how < 0.7 ? encode(s) : how < 0.85 ? JSON.stringify(s) : s)
          live.set(key, s)
        }
      }
      step(150)
      for (const stat of ['volumeUsd', 'txns', 'high', 'lastPrice'] as const) store.top({ stat, window: '5m', chain: null, limit: 1, descending: true })
      step(200)
      const all = [...live.values()]
      for (const stat of RANK_STATS) {
        for (const descending of [true, false]) {
          const got = store.top({ stat, window: '1h', chain: null, limit: 60, descending }).map(row => row.entry.key)
          expect(got, stat).to.deep.equal(bruteTop(all, stat, stat === 'lastPrice' ? null : '1h', null, 60, descending))
        }
      }
      // the indexes built before the second half were kept exact incrementally (old values read from encoded records)
      for (const stat of ['volumeUsd', 'txns', 'high', 'lastPrice'] as const) {
        const got = store.top({ stat, window: '5m', chain: null, limit: 200, descending: true }).map(row => row.entry.key)
        expect(got, stat + ' 5m').to.deep.equal(bruteTop(all, stat, stat === 'lastPrice' ? null : '5m', null, 200, true))
      }
      // reading ranks decoded nothing; the objects and JSON are those of the records
      let encoded = 0
      for (const e of store.entries()) if (e.encoded !== null) encoded++
      expect(encoded).to.be.greaterThan(0)
      for (const [key, s] of live) {
        const e = store.get(key)!
        expect(JSON.parse(entryJson(e))).to.deep.equal(s)
        expect(e.encoded).to.equal(null)
      }
      expect(store.size).to.equal(live.size)
    }), { numRuns: 4 })
  })

  it('warm() notes the window names of encoded entries and leaves them encoded', async () => {
    const encode = await encoding()
    const store = createStatsStore()
    const s = makeStats('base', 't', rng(4))
    s.windows['3d'] = s.windows['24h']
    store.apply('base:t', encode(s))
    expect(store.windows.has('3d')).to.equal(false)
    expect(store.warm(10)).to.equal(0)
    expect(store.windows.has('3d')).to.equal(true)
    const e = store.get('base:t')!
    expect(e.encoded).to.not.equal(null)
    expect(e.parsed).to.equal(false)
    expect(e.chain).to.equal('base')
    expect(e.stats).to.deep.equal(s)
    expect(e.parsed).to.equal(true)
  })
})
