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
    cache.invalidate()
    const b = cache.answer(name => q.get(name))
    expect(b).to.not.equal(a)
    expect(JSON.parse(b.body.toString()).items[0].token).to.equal('t0')
    expect(b.body.toString()).to.equal(getTop(ctx, q).body)
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
