import { expect } from 'chai'
import { gunzipSync } from 'node:zlib'
import { getTop } from '../../src/edge/http-api.js'
import { createMemoryStatsFeed } from '../../src/edge/stats-feed.js'
import { createStatsStore } from '../../src/edge/stats-store.js'
import { createTopCache } from '../../src/edge/top-cache.js'
import { makeStats, newAgent, rng } from './fixtures.js'
import { get, startServer } from './helpers.js'

function storeOf (n: number): ReturnType<typeof createStatsStore> {
  const store = createStatsStore()
  const r = rng(3)
  for (let i = 0; i < n; i++) store.apply('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
  return store
}

describe('top-cache (encoded /v1/top answers until the next change)', () => {
  it('answers exactly what getTop renders, and the same bytes again until the store changes', () => {
    const store = storeOf(300)
    const ctx = { store, windows: new Set(['1m', '5m', '1h', '24h']) }
    const cache = createTopCache(ctx, 1 << 20)
    const q = new Map([['window', '24h'], ['limit', '100']])
    const a = cache.answer(name => q.get(name))
    expect(a.body.toString()).to.equal(getTop(ctx, q).body)
    // the same list spelled differently (defaults written out) is the same entry
    const q2 = new Map([['stat', 'volumeUsd'], ['window', '24h'], ['limit', '100'], ['order', 'desc']])
    expect(cache.answer(name => q2.get(name))).to.equal(a)
    expect(gunzipSync(cache.compressed(a, 'gzip')).toString()).to.equal(a.body.toString())
    expect(cache.compressed(a, 'gzip')).to.equal(cache.compressed(a, 'gzip'))
    // a change: the next answer is rendered again and shows it
    store.apply('ethereum:t0', { ...makeStats('ethereum', 't0', rng(9)), windows: { ...makeStats('ethereum', 't0', rng(9)).windows, '24h': { ...makeStats('ethereum', 't0', rng(9)).windows['24h'], volumeUsd: '999999999' } } })
    cache.invalidate('ethereum:t0', store.get('ethereum:t0') ?? null)
    const b = cache.answer(name => q.get(name))
    expect(b).to.not.equal(a)
    expect(JSON.parse(b.body.toString()).items[0].token).to.equal('t0')
    expect(b.body.toString()).to.equal(getTop(ctx, q).body)
  })

  it('keeps an answer a record cannot change (a token ranking below its last row), drops it for a row, a newcomer, or a removal', () => {
    const store = storeOf(300)
    const ctx = { store, windows: new Set(['1m', '5m', '1h', '24h']) }
    const cache = createTopCache(ctx, 1 << 20)
    const q = new Map([['window', '1h'], ['limit', '10']])
    const ask = (): ReturnType<typeof cache.answer> => cache.answer(name => q.get(name))
    const a = ask()
    const rows = JSON.parse(a.body.toString()).items as Array<{ token: string }>
    const outsider = [...store.entries()].find(e => !rows.some(r => 'ethereum:' + r.token === e.key))!
    const low = makeStats('ethereum', outsider.key.slice(9), rng(1))
    low.windows['1h'] = { ...low.windows['1h'], volumeUsd: '0' }
    store.apply(outsider.key, low)
    cache.invalidate(outsider.key, store.get(outsider.key) ?? null)
    expect(ask()).to.equal(a)
    const high = makeStats('ethereum', outsider.key.slice(9), rng(1))
    high.windows['1h'] = { ...high.windows['1h'], volumeUsd: '99999999999' }
    store.apply(outsider.key, high)
    cache.invalidate(outsider.key, store.get(outsider.key) ?? null)
    const b = ask()
    expect(b).to.not.equal(a)
    store.apply('ethereum:' + rows[3].token, null)
    cache.invalidate('ethereum:' + rows[3].token, null)
    expect(ask()).to.not.equal(b)
  })

  it('never serves an answer that differs from a fresh rendering (random records, brute-force oracle)', () => {
    const store = storeOf(200)
    const ctx = { store, windows: new Set(['1m', '5m', '1h', '24h']) }
    const cache = createTopCache(ctx, 1 << 22)
    store.onChange(cache.invalidate)
    const r = rng(11)
    const queries = [
      new Map([['window', '1h'], ['limit', '10']]),
      new Map([['window', '5m'], ['limit', '25'], ['order', 'asc']]),
      new Map([['stat', 'txns'], ['window', '24h'], ['limit', '5']]),
      new Map([['stat', 'lastPrice'], ['limit', '20']]),
      new Map([['stat', 'priceChangePct'], ['window', '1m'], ['limit', '300']]), // longer than the store: never full
      new Map([['window', '1h'], ['limit', '10'], ['chain', 'solana']])
    ]
    let hits = 0
    for (let step = 0; step < 500; step++) {
      const i = Math.floor(r() * 260) // some keys new, some removed
      const chain = i % 13 === 0 ? 'solana' : 'ethereum'
      const key = chain + ':t' + i
      if (r() < 0.05) store.apply(key, null)
      else store.apply(key, makeStats(chain, 't' + i, r))
      for (const q of queries) {
        const before = cache.size
        const got = cache.answer(name => q.get(name)).body.toString()
        if (cache.size === before) hits++
        expect(got, `step ${step} ${JSON.stringify([...q])}`).to.equal(getTop(ctx, q).body)
      }
    }
    // most records leave most lists alone
    expect(hits).to.be.above(500 * queries.length / 4)
  })

  it('holds at most maxBytes: distinct queries evict the oldest', () => {
    const store = storeOf(300)
    const cache = createTopCache({ store, windows: new Set(['1m', '5m', '1h', '24h']) }, 64 * 1024)
    for (let limit = 10; limit < 50; limit++) {
      const q = new Map([['window', '1h'], ['limit', String(limit)]])
      cache.answer(name => q.get(name))
      expect(cache.bytes).to.be.at.most(64 * 1024)
    }
    expect(cache.size).to.be.above(0)
  })

  it('the edge serves a changed ranked list at once after a record arrives (the cache is emptied by the store)', async () => {
    const feed = createMemoryStatsFeed()
    const r = rng(4)
    for (let i = 0; i < 50; i++) feed.publish('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
    const server = await startServer(feed)
    const agent = newAgent()
    try {
      await server.caughtUp
      const first = await get(agent, server.port, '/v1/top?window=1h&limit=3')
      const again = await get(agent, server.port, '/v1/top?window=1h&limit=3')
      expect(again.text).to.equal(first.text)
      expect(again.headers.etag).to.equal(first.headers.etag)
      const s = makeStats('ethereum', 't49', rng(5))
      s.windows['1h'] = { ...s.windows['1h'], volumeUsd: '123456789012' }
      feed.publish('ethereum:t49', s)
      const after = await get(agent, server.port, '/v1/top?window=1h&limit=3')
      expect(after.json.items[0].token).to.equal('t49')
      expect(after.headers.etag).to.not.equal(first.headers.etag)
    } finally {
      await agent.close()
      await server.close()
    }
  })
})
