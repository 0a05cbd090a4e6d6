/**
 * Candles at the edge (issue #22 §1): the candle store's bounds, GET /v1/tokens/{chain}/{token}/candles,
 * the WebSocket candle subscription, and TradingView's UDF endpoints checked against the shapes
 * their documentation gives (config, symbols, search, history with s:"ok" / "no_data" + nextTime
 * / "error", time). Candles are made by the processor's own CandleBook from swaps, so what the
 * edge serves is compared with what the engine side computed.
 */
import { expect } from 'chai'
import type { Agent } from 'undici'
import type { EdgeServer } from '../../src/edge/edge-server.js'
import { createMemoryStatsFeed, type MemoryStatsFeed } from '../../src/edge/stats-feed.js'
import { createLogCandleFeed, createMemoryCandleFeed, type MemoryCandleFeed } from '../../src/edge/candle-feed.js'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { CandleStore, parseCandleKey } from '../../src/edge/candle-store.js'
import { createMemoryTokenFeed } from '../../src/edge/token-feed.js'
import { CandleBook, type Candle } from '../../src/engine/candles.js'
import { parseCandleIntervals } from '../../src/engine/candle-intervals.js'
import { makeSwap } from '../helpers/swap-factory.js'
import { makeStats, newAgent, rng, waitFor } from './fixtures.js'
import { get, quiet, startServer } from './helpers.js'
import { TestClient } from './ws-client.js'
import { validate } from './json-schema.js'

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0)
const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'

/** candles of 1m/5m/1h/1d for 90 minutes of swaps of one token, published as the processor would */
function tradeCandles (book: CandleBook, feed: MemoryCandleFeed, fromMin: number, toMin: number, seed = 1): void {
  const r = rng(seed)
  for (let m = fromMin; m < toMin; m++) {
    for (let k = 0; k < 3; k++) {
      book.add(makeSwap({
        id: `s${m}-${k}`, chain: 'ethereum', token: WETH, trader: 't' + k, side: k === 1 ? 'SELL' : 'BUY',
        amount: (1 + Math.floor(r() * 1000) / 1000).toString(), amountUsd: (2500 + Math.floor(r() * 100000) / 1000).toString(),
        blockTime: T0 + m * 60_000 + k * 7000, blockNumber: 100 + m, logIndex: k
      }))
    }
  }
  book.drain((key, c) => feed.publish(key, c))
}

describe('edge candles', function () {
  this.timeout(20_000)
  const intervals = parseCandleIntervals('1m,5m,1h,1d')
  let stats: MemoryStatsFeed
  let candles: MemoryCandleFeed
  let book: CandleBook
  let server: EdgeServer
  let agent: Agent
  let clock = T0 + 90 * 60_000

  before(async () => {
    stats = createMemoryStatsFeed()
    stats.publish('ethereum:' + WETH, makeStats('ethereum', WETH, rng(3)))
    stats.publish('solana:So111', makeStats('solana', 'So111', rng(4)))
    candles = createMemoryCandleFeed()
    book = new CandleBook(intervals)
    tradeCandles(book, candles, 0, 90)
    const tokens = createMemoryTokenFeed()
    tokens.publish('ethereum:' + WETH, { chain: 'ethereum', token: WETH, symbol: 'WETH', name: 'Wrapped Ether', decimals: 18 })
    server = await startServer(stats, { candles, candleIntervals: intervals, tokens, now: () => clock })
    await server.caughtUp
    agent = newAgent()
  })

  after(async () => {
    await server.close()
    await agent.close()
  })

  const byStart = (interval: string): Map<string, Candle> =>
    new Map(book.all().filter((c) => c.interval === interval).map((c) => [c.start, c]))

  describe('GET /v1/tokens/{chain}/{token}/candles', () => {
    it('serves every candle of the interval in order, each equal to the processor\'s', async () => {
      const r = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1m&limit=5000`)
      expect(r.status).to.equal(200)
      expect(r.json.chain).to.equal('ethereum')
      expect(r.json.interval).to.equal('1m')
      expect(r.json.candles).to.have.length(90)
      const want = byStart('1m')
      for (const c of r.json.candles) {
        const w = want.get(c.start)!
        const { chain, token, interval, openSwap, closeSwap, ...served } = w
        expect(c).to.deep.equal(served)
      }
      const starts = r.json.candles.map((c: { start: string }) => Date.parse(c.start))
      expect(starts).to.deep.equal([...starts].sort((a: number, b: number) => a - b))
    })

    it('from (inclusive), to (exclusive) and limit (the newest of the range), in ms or ISO', async () => {
      const from = T0 + 10 * 60_000
      const to = new Date(T0 + 20 * 60_000).toISOString()
      const r = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1m&from=${from}&to=${to}`)
      expect(r.json.candles.map((c: { start: string }) => (Date.parse(c.start) - T0) / 60_000)).to.deep.equal([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
      const lim = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1m&from=${from}&to=${to}&limit=3`)
      expect(lim.json.candles.map((c: { start: string }) => (Date.parse(c.start) - T0) / 60_000)).to.deep.equal([17, 18, 19])
      const h = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1h`)
      expect(h.json.candles).to.have.length(2)
      expect(h.json.candles[0].txns).to.equal(180)
    })

    it('an unknown token has no candles; bad parameters are 400 BAD_PARAM', async () => {
      const none = await get(agent, server.port, '/v1/tokens/ethereum/0xdead/candles?interval=5m')
      expect(none.status).to.equal(200)
      expect(none.json.candles).to.deep.equal([])
      for (const q of ['interval=2m', 'interval=1m&from=yesterday', 'interval=1m&limit=0', 'interval=1m&from=10&to=5']) {
        const r = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?${q}`)
        expect(r.status, q).to.equal(400)
        expect(r.json.error.code, q).to.equal('BAD_PARAM')
      }
    })

    it('answers what the OpenAPI document says (200 and 400 validated against its schemas)', async () => {
      const doc = (await get(agent, server.port, '/openapi.json')).json
      for (const p of ['/v1/tokens/{chain}/{token}/candles', '/udf/config', '/udf/symbols', '/udf/search', '/udf/history', '/udf/time']) expect(doc.paths, p).to.have.property(p)
      const op = doc.paths['/v1/tokens/{chain}/{token}/candles'].get
      const ok = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=5m`)
      expect(validate(doc, op.responses['200'].content['application/json'].schema, ok.json)).to.deep.equal([])
      expect(ok.json.candles.length).to.be.greaterThan(0)
      const bad = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=9m`)
      expect(validate(doc, op.responses['400'].content['application/json'].schema, bad.json)).to.deep.equal([])
    })
  })

  describe('WebSocket candle subscription', () => {
    it('snapshot of the newest candle, then updates with the open candle as it moves and a late-corrected older one', async () => {
      const c = await TestClient.open(server.port)
      c.send({ op: 'subscribe', candles: { token: 'ethereum:' + WETH, interval: '1m' }, id: 1 })
      expect(await c.next((m) => m.type === 'subscribed')).to.deep.equal({ type: 'subscribed', id: 1, subs: ['candles:ethereum:' + WETH + ':1m'] })
      const snap = await c.next((m) => m.type === 'snapshot')
      expect(snap.seq).to.equal(1)
      expect(snap.data).to.have.length(1)
      expect(snap.data[0].start).to.equal(new Date(T0 + 89 * 60_000).toISOString())
      // a swap in the open candle
      book.add(makeSwap({ id: 'open1', chain: 'ethereum', token: WETH, trader: 'x', side: 'BUY', amount: '1', amountUsd: '9999', blockTime: T0 + 89 * 60_000 + 59_000, blockNumber: 500, logIndex: 0 }))
      book.drain((key, cd) => candles.publish(key, cd))
      const u1 = await c.next((m) => m.type === 'update')
      expect(u1.seq).to.equal(2)
      expect(u1.data).to.have.length(1)
      expect(u1.data[0].close).to.equal(9999)
      expect(u1.data[0].high).to.equal(9999)
      // a late swap in a candle 30 minutes back: that candle is published again and pushed
      book.add(makeSwap({ id: 'late1', chain: 'ethereum', token: WETH, trader: 'y', side: 'SELL', amount: '2', amountUsd: '1', blockTime: T0 + 59 * 60_000 + 30_000, blockNumber: 159, logIndex: 9 }))
      book.drain((key, cd) => candles.publish(key, cd))
      const u2 = await c.next((m) => m.type === 'update')
      expect(u2.seq).to.equal(3)
      expect(u2.data.map((x: Candle) => x.start)).to.deep.equal([new Date(T0 + 59 * 60_000).toISOString()])
      expect(u2.data[0].low).to.equal(0.5)
      expect(u2.data[0].txns).to.equal(4)
      // and HTTP serves the corrected candle
      const r = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1m&from=${T0 + 59 * 60_000}&to=${T0 + 60 * 60_000}`)
      expect(r.json.candles[0]).to.deep.equal(u2.data[0])
      c.send({ op: 'unsubscribe', candles: { token: 'ethereum:' + WETH, interval: '1m' }, id: 2 })
      expect((await c.next((m) => m.type === 'unsubscribed')).subs).to.deep.equal(['candles:ethereum:' + WETH + ':1m'])
      c.send({ op: 'subscribe', candles: { token: 'ethereum:' + WETH, interval: '7m' }, id: 3 })
      const err = await c.next((m) => m.type === 'error')
      expect(err.code).to.equal('BAD_MESSAGE')
      c.close()
    })
  })

  describe('TradingView UDF', () => {
    it('/udf/config has the documented fields', async () => {
      const r = await get(agent, server.port, '/udf/config')
      expect(r.status).to.equal(200)
      expect(r.json.supported_resolutions).to.deep.equal(['1', '5', '60', '1D'])
      expect(r.json.supports_search).to.equal(true)
      expect(r.json.supports_group_request).to.equal(false)
      expect(r.json.supports_marks).to.equal(false)
      expect(r.json.supports_timescale_marks).to.equal(false)
      expect(r.json.supports_time).to.equal(true)
      for (const e of r.json.exchanges) expect(Object.keys(e).sort()).to.deep.equal(['desc', 'name', 'value'])
      expect(r.json.exchanges.map((e: { value: string }) => e.value)).to.include('ethereum')
      for (const t of r.json.symbols_types) expect(Object.keys(t).sort()).to.deep.equal(['name', 'value'])
    })

    it('/udf/symbols: a SymbolInfo for a known symbol, {s:"error"} for an unknown one', async () => {
      const r = await get(agent, server.port, `/udf/symbols?symbol=ethereum:${WETH}`)
      const s = r.json
      expect(s.name).to.equal('WETH')
      expect(s.ticker).to.equal('ethereum:' + WETH)
      expect(s.description).to.equal('Wrapped Ether')
      expect(s.type).to.equal('crypto')
      expect(s.session).to.equal('24x7')
      expect(s.exchange).to.equal('ethereum')
      expect(s.listed_exchange).to.equal('ethereum')
      expect(s.timezone).to.equal('Etc/UTC')
      expect(s.minmov).to.equal(1)
      expect(Number.isInteger(Math.log10(s.pricescale))).to.equal(true)
      expect(s.has_intraday).to.equal(true)
      expect(s.has_daily).to.equal(true)
      expect(s.supported_resolutions).to.deep.equal(['1', '5', '60', '1D'])
      expect(s.intraday_multipliers).to.deep.equal(['1', '5', '60'])
      const bad = await get(agent, server.port, '/udf/symbols?symbol=ethereum:0xnothing')
      expect(bad.json.s).to.equal('error')
      expect(bad.json.errmsg).to.be.a('string')
    })

    it('/udf/search: an array of {symbol, full_name, description, exchange, ticker, type}', async () => {
      const r = await get(agent, server.port, '/udf/search?query=weth&type=&exchange=&limit=10')
      expect(r.json).to.be.an('array').with.length(1)
      expect(r.json[0]).to.deep.equal({ symbol: 'WETH', full_name: 'ethereum:' + WETH, description: 'Wrapped Ether', exchange: 'ethereum', ticker: 'ethereum:' + WETH, type: 'crypto' })
      expect((await get(agent, server.port, '/udf/search?query=weth&exchange=solana')).json).to.deep.equal([])
    })

    it('/udf/history: s:"ok" with parallel t/o/h/l/c/v arrays, from inclusive, to exclusive, seconds', async () => {
      const from = (T0 + 10 * 60_000) / 1000
      const to = (T0 + 15 * 60_000) / 1000
      const r = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=1&from=${from}&to=${to}`)
      expect(r.json.s).to.equal('ok')
      expect(r.json.t).to.deep.equal([0, 1, 2, 3, 4].map((i) => from + i * 60))
      const want = byStart('1m')
      for (const [i, t] of r.json.t.entries()) {
        const c = want.get(new Date(t * 1000).toISOString())!
        expect([r.json.o[i], r.json.h[i], r.json.l[i], r.json.c[i], r.json.v[i]]).to.deep.equal([c.open, c.high, c.low, c.close, Number(c.volumeUsd)])
      }
      const d = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=1D&from=${T0 / 1000 - 86400}&to=${T0 / 1000 + 86400}`)
      expect(d.json.t).to.have.length(1)
      const dd = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=D&from=${T0 / 1000 - 86400}&to=${T0 / 1000 + 86400}`)
      expect(dd.json).to.deep.equal(d.json)
    })

    it('/udf/history: countback takes the bars before to, whatever from says', async () => {
      const to = (T0 + 30 * 60_000) / 1000
      const r = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=5&from=${to - 60}&to=${to}&countback=3`)
      expect(r.json.s).to.equal('ok')
      expect(r.json.t).to.deep.equal([to - 900, to - 600, to - 300])
    })

    it('/udf/history: no_data with nextTime (the newest bar before from), no_data alone when there is none, error for a resolution it lacks', async () => {
      const after = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=1&from=${T0 / 1000 + 7200}&to=${T0 / 1000 + 9000}`)
      expect(after.json).to.deep.equal({ s: 'no_data', nextTime: T0 / 1000 + 89 * 60 })
      const before = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=1&from=${T0 / 1000 - 7200}&to=${T0 / 1000 - 3600}`)
      expect(before.json).to.deep.equal({ s: 'no_data' })
      const bad = await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=3&from=0&to=1`)
      expect(bad.json.s).to.equal('error')
      expect(bad.json.errmsg).to.match(/resolution/)
    })

    it('/udf/time: the server clock in Unix seconds', async () => {
      const r = await get(agent, server.port, '/udf/time')
      expect(r.text).to.equal(String(Math.floor(clock / 1000)))
    })
  })
})

describe('candle store', () => {
  const mk = (interval: string, startMs: number, ms: number): Candle => ({
    chain: 'c', token: 't', interval, start: new Date(startMs).toISOString(), end: new Date(startMs + ms).toISOString(),
    open: 1, high: 1, low: 1, close: 1, volumeUsd: '1', buyVolumeUsd: '1', sellVolumeUsd: '0', volume: '1', txns: 1, buys: 1, sells: 0,
    openSwap: [startMs, 1, 0], closeSwap: [startMs, 1, 0]
  })

  it('keeps at most history/interval + 1 candles a series (+ a tenth before trimming) and sweeps those past the history', () => {
    const store = new CandleStore({ intervals: parseCandleIntervals('1m') })
    for (let i = 0; i < 2000; i++) store.apply(`c:t:1m:${T0 + i * 60_000}`, mk('1m', T0 + i * 60_000, 60_000))
    expect(store.size).to.be.within(1441, 1441 + 145)
    const held = store.size
    // an older candle than a full series keeps is not stored
    store.apply(`c:t:1m:${T0}`, mk('1m', T0, 60_000))
    expect(store.size).to.equal(held)
    // every candle still held is served as it was put
    const last = T0 + 1999 * 60_000
    expect(JSON.parse(store.get('c:t:1m', last)!)).to.deep.equal({ start: new Date(last).toISOString(), end: new Date(last + 60_000).toISOString(), open: 1, high: 1, low: 1, close: 1, volumeUsd: '1', buyVolumeUsd: '1', sellVolumeUsd: '0', volume: '1', txns: 1, buys: 1, sells: 0 })
    expect(store.sweep(last + 60_000 + 86_400_000 - 10 * 60_000)).to.equal(held - 10)
    expect(store.sweep(last + 60_000 + 86_400_000)).to.equal(10)
    expect(store.size).to.equal(0)
    expect(store.seriesCount).to.equal(0)
  })

  it('reads keys whose token holds a colon; late candles are inserted in order; a bad decimal is not stored', () => {
    expect(parseCandleKey('solana:abc:def:1m:60000')).to.deep.equal({ token: 'solana:abc:def', interval: '1m', start: 60000 })
    expect(parseCandleKey('nochain')).to.equal(null)
    const store = new CandleStore({ intervals: parseCandleIntervals('1m') })
    for (const m of [5, 1, 3, 2, 4, 0]) store.apply(`c:t:1m:${T0 + m * 60_000}`, mk('1m', T0 + m * 60_000, 60_000))
    const r = store.range('c:t:1m', 0, Infinity, 100)!
    expect(Array.from(r.series.start.subarray(r.lo, r.hi))).to.deep.equal([0, 1, 2, 3, 4, 5].map((m) => T0 + m * 60_000))
    store.apply(`c:t:1m:${T0 + 9 * 60_000}`, { ...mk('1m', T0 + 9 * 60_000, 60_000), volume: '-1' })
    expect(store.size).to.equal(6)
    expect(store.get('c:t:1m', T0 + 9 * 60_000)).to.equal(undefined)
  })
})

describe('candle feed on the Log port', () => {
  it('reads candles-history once to its end, then follows only the candles topic', async () => {
    const log = createMemoryLog()
    const admin = await log.createAdmin()
    await admin.createTopics(['candles', 'candles-history'].map((name) => ({ name, partitions: 2, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } })))
    await admin.close()
    const producer = await log.createProducer()
    const put = (topic: string, key: string): void => producer.send({ topic, partition: 0, key: Buffer.from(key), value: Buffer.from(JSON.stringify({ start: 'x', end: 'y', open: 1, high: 1, low: 1, close: 1, volumeUsd: '1', buyVolumeUsd: '1', sellVolumeUsd: '0', volume: '1', txns: 1, buys: 1, sells: 0 })) })
    put('candles-history', 'c:t:1d:0')
    put('candles', 'c:t:1m:0')
    producer.send({ topic: 'candles', partition: 1, key: Buffer.from('c:t:1m:60000'), value: Buffer.from('{not a candle') })
    await producer.flush()
    const feed = createLogCandleFeed({ log, topic: 'candles', historyTopic: 'candles-history', logger: quiet, pollMs: 20 })
    const seen: string[] = []
    let rejected = 0
    let caughtUp = false
    await feed.start((key) => { seen.push(key) }, () => { caughtUp = true }, () => { rejected++ })
    await waitFor(() => caughtUp, 'caught up with both topics')
    expect(seen.sort()).to.deep.equal(['c:t:1d:0', 'c:t:1m:0'])
    expect(rejected).to.equal(1)
    put('candles-history', 'c:t:1d:86400000')
    put('candles', 'c:t:1m:120000')
    await producer.flush()
    await waitFor(() => seen.includes('c:t:1m:120000'), 'the live candle')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen).to.not.include('c:t:1d:86400000')
    await feed.close()
    await producer.close()
    await log.close()
  })
})
