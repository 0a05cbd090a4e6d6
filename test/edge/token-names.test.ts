import { expect } from 'chai'
import type { Agent } from 'undici'
import type { EdgeServer } from '../../src/edge/edge-server.js'
import { createMemoryStatsFeed, type MemoryStatsFeed } from '../../src/edge/stats-feed.js'
import { createMemoryTokenFeed, type MemoryTokenFeed } from '../../src/edge/token-feed.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { makeStats, newAgent, rng, waitFor } from './fixtures.js'
import { get, startServer } from './helpers.js'
import { validate } from './json-schema.js'
import { TestClient } from './ws-client.js'

/** The edge joins `tokens` with `stats`: fixture stats for 200 tokens, names for some of them. */
describe('edge: token names and /v1/search', function () {
  this.timeout(30_000)
  let feed: MemoryStatsFeed
  let tokens: MemoryTokenFeed
  let server: EdgeServer
  let agent: Agent
  let doc: any
  const stats = new Map<string, StatsObject>()

  function vol24 (key: string, v: string): StatsObject {
    const [chain, token] = key.split(':')
    const s = makeStats(chain, token, rng(key.length))
    s.windows['24h'] = { ...s.windows['24h'], volumeUsd: v }
    return s
  }

  before(async () => {
    feed = createMemoryStatsFeed()
    tokens = createMemoryTokenFeed()
    const r = rng(5)
    for (let i = 0; i < 200; i++) {
      const key = 'ethereum:0x' + i.toString(16).padStart(4, '0')
      const s = makeStats('ethereum', key.slice(9), r)
      stats.set(key, s)
      feed.publish(key, s)
    }
    // named tokens, with known 24 h volumes so the search order is known
    const named: Array<[string, string, string, string]> = [
      ['ethereum:0xweth', 'WETH', 'Wrapped Ether', '900000000'],
      ['ethereum:0xsteth', 'stETH', 'Lido Staked Ether', '800000000'],
      ['ethereum:0xens', 'ENS', 'Ethereum Name Service', '100'],
      ['ethereum:0xusdc', 'USDC', 'USD Coin', '700000000'],
    ]
    for (const [key, symbol, name, v] of named) {
      const s = vol24(key, v)
      stats.set(key, s)
      feed.publish(key, s)
      tokens.publish(key, { chain: 'ethereum', token: key.slice(9), symbol, name, decimals: 18 })
    }
    // metadata without stats: found by search, after every token with a volume
    tokens.publish('ethereum:0xethx', { chain: 'ethereum', token: '0xethx', symbol: 'ETHX', name: 'Stader ETHx', decimals: 18, logoUrl: 'https://example.org/ethx.png' })
    server = await startServer(feed, { tokens })
    await server.caughtUp
    agent = newAgent()
    doc = (await get(agent, server.port, '/openapi.json')).json
  })
  after(async () => { await server.close(); await agent.close() })

  function schemaOf (path: string, status = 200): any {
    return doc.paths[path].get.responses[String(status)].content['application/json'].schema
  }

  it('token objects carry symbol and name when known, and are unchanged otherwise', async () => {
    const named = await get(agent, server.port, '/v1/tokens/ethereum/0xweth')
    expect(named.status).to.equal(200)
    expect(named.json).to.deep.equal({ symbol: 'WETH', name: 'Wrapped Ether', ...stats.get('ethereum:0xweth') })
    expect(validate(doc, schemaOf('/v1/tokens/{chain}/{token}'), named.json)).to.deep.equal([])
    const filtered = await get(agent, server.port, '/v1/tokens/ethereum/0xweth?windows=5m')
    expect(filtered.json.symbol).to.equal('WETH')
    expect(Object.keys(filtered.json.windows)).to.deep.equal(['5m'])
    const plain = await get(agent, server.port, '/v1/tokens/ethereum/0x0001')
    expect(plain.json).to.deep.equal(stats.get('ethereum:0x0001'))
    const many = await get(agent, server.port, '/v1/tokens?ids=ethereum:0xusdc,ethereum:0x0002')
    expect(many.json.tokens.map((t: any) => t.symbol)).to.deep.equal(['USDC', undefined])
    expect(validate(doc, schemaOf('/v1/tokens'), many.json)).to.deep.equal([])
  })

  it('ranked rows carry symbol and name; a rename drops the cached answer at once', async () => {
    const top = await get(agent, server.port, '/v1/top?stat=volumeUsd&window=24h&limit=3')
    expect(top.json.items.map((i: any) => [i.symbol, i.name])).to.deep.equal([['WETH', 'Wrapped Ether'], ['stETH', 'Lido Staked Ether'], ['USDC', 'USD Coin']])
    expect(validate(doc, schemaOf('/v1/top'), top.json)).to.deep.equal([])
    // the same query again is the cached answer; the rename must not leave it stale
    tokens.publish('ethereum:0xusdc', { chain: 'ethereum', token: '0xusdc', symbol: 'USDC.e', name: 'Bridged USD Coin', decimals: 6 })
    const again = await get(agent, server.port, '/v1/top?stat=volumeUsd&window=24h&limit=3')
    expect(again.json.items[2].symbol).to.equal('USDC.e')
    expect(again.json.items[2].name).to.equal('Bridged USD Coin')
    tokens.publish('ethereum:0xusdc', { chain: 'ethereum', token: '0xusdc', symbol: 'USDC', name: 'USD Coin', decimals: 6 })
  })

  it('WebSocket token and ranked updates carry the names, and a rename is pushed', async () => {
    const c = await TestClient.open(server.port)
    try {
      c.send({ op: 'subscribe', tokens: ['ethereum:0xsteth'] })
      const snap = await c.next(m => m.type === 'snapshot')
      expect(snap.data.symbol).to.equal('stETH')
      expect(snap.data.name).to.equal('Lido Staked Ether')
      tokens.publish('ethereum:0xsteth', { chain: 'ethereum', token: '0xsteth', symbol: 'stETH', name: 'Lido Staked Ether v2', decimals: 18 })
      const upd = await c.next(m => m.type === 'update')
      expect(upd.data.name).to.equal('Lido Staked Ether v2')
      c.send({ op: 'subscribe', top: { stat: 'volumeUsd', window: '24h', limit: 2 } })
      const ranked = await c.next(m => m.type === 'snapshot' && String(m.sub).startsWith('top:'))
      expect(ranked.data.items.map((i: any) => i.symbol)).to.deep.equal(['WETH', 'stETH'])
    } finally {
      await c.close()
    }
  })

  it('GET /v1/search finds by symbol, name word or address prefix, case-insensitive, by 24 h volume', async () => {
    const eth = await get(agent, server.port, '/v1/search?q=ETH')
    expect(eth.status).to.equal(200)
    expect(validate(doc, schemaOf('/v1/search'), eth.json)).to.deep.equal([])
    // "ether" words and the ETH- symbols; the one without stats comes last
    expect(eth.json.items.map((i: any) => i.token)).to.deep.equal(['0xweth', '0xsteth', '0xens', '0xethx'])
    expect(eth.json.items[0]).to.deep.include({ symbol: 'WETH', name: 'Wrapped Ether', decimals: 18, logoUrl: null, volumeUsd: '900000000' })
    expect(eth.json.items[3]).to.deep.include({ symbol: 'ETHX', volumeUsd: null, lastPrice: null, logoUrl: 'https://example.org/ethx.png' })
    expect(eth.json).to.deep.include({ q: 'eth', window: '24h', limit: 20 })
    const coin = await get(agent, server.port, '/v1/search?q=%20coin%20')
    expect(coin.json.items.map((i: any) => i.symbol)).to.deep.equal(['USDC'])
    const addr = await get(agent, server.port, '/v1/search?q=0x00&limit=5')
    expect(addr.json.items).to.have.length(5)
    // address matches ranked by their 24 h volume, like the brute-force order
    const want = [...stats.values()].filter(s => s.token.startsWith('0x00'))
      .sort((a, b) => Number(b.windows['24h'].volumeUsd) - Number(a.windows['24h'].volumeUsd) || (a.token < b.token ? -1 : 1))
      .slice(0, 5).map(s => s.token)
    expect(addr.json.items.map((i: any) => i.token)).to.deep.equal(want)
    const none = await get(agent, server.port, '/v1/search?q=zzzz')
    expect(none.json.items).to.deep.equal([])
  })

  it('refuses a missing, empty or long q and a bad limit with BAD_PARAM', async () => {
    for (const url of ['/v1/search', '/v1/search?q=', '/v1/search?q=%20', '/v1/search?q=' + 'a'.repeat(65), '/v1/search?q=a&limit=0', '/v1/search?q=a&limit=101']) {
      const r = await get(agent, server.port, url)
      expect(r.status, url).to.equal(400)
      expect(r.json.error.code, url).to.equal('BAD_PARAM')
      expect(validate(doc, schemaOf('/v1/search', 400), r.json)).to.deep.equal([])
    }
  })

  it('an invalid tokens record is counted by code and changes nothing', async () => {
    tokens.publish('ethereum:0xweth', { chain: 'ethereum', token: '0xweth', symbol: 'WETH', name: 'Wrapped Ether', decimals: 300 })
    tokens.publish('ethereum:0xother', { chain: 'ethereum', token: '0xweth', symbol: 'X', name: 'X', decimals: 1 })
    const m = await get(agent, server.port, '/metrics')
    expect(m.text).to.match(/volumer_edge_token_records_rejected_total\{code="BAD_DECIMALS"\} 1/)
    expect(m.text).to.match(/volumer_edge_token_records_rejected_total\{code="KEY_MISMATCH"\} 1/)
    const w = await get(agent, server.port, '/v1/tokens/ethereum/0xweth')
    expect(w.json.symbol).to.equal('WETH')
  })

  it('a tombstone forgets the name', async () => {
    tokens.publish('ethereum:0xens', null)
    await waitFor(() => true, 'nothing')
    const r = await get(agent, server.port, '/v1/tokens/ethereum/0xens')
    expect(r.json.symbol).to.equal(undefined)
    const s = await get(agent, server.port, '/v1/search?q=ethereum')
    expect(s.json.items).to.deep.equal([])
  })
})
