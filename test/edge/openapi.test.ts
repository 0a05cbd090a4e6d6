import { expect } from 'chai'
import type { Agent } from 'undici'
import type { EdgeServer } from '../../src/edge/edge-server.js'
import { createMemoryStatsFeed } from '../../src/edge/stats-feed.js'
import { makeStats, newAgent, rng } from './fixtures.js'
import { get, startServer } from './helpers.js'
import { validate } from './json-schema.js'

/** the OpenAPI document describes what the server really answers: real responses checked against it */
describe('edge OpenAPI document', () => {
  let server: EdgeServer
  let agent: Agent
  let doc: any

  before(async () => {
    const feed = createMemoryStatsFeed()
    const r = rng(11)
    for (let i = 0; i < 60; i++) feed.publish('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
    server = await startServer(feed)
    await server.caughtUp
    agent = newAgent()
    doc = (await get(agent, server.port, '/openapi.json')).json
  })
  after(async () => { await server.close(); await agent.close() })

  function responseSchema (path: string, status: number): any {
    const op = doc.paths[path].get
    const resp = op.responses[String(status)]
    expect(resp, `${path} documents ${status}`).to.not.equal(undefined)
    return resp.content?.['application/json']?.schema
  }

  async function check (docPath: string, url: string, status: number): Promise<void> {
    const r = await get(agent, server.port, url)
    expect(r.status, url).to.equal(status)
    const schema = responseSchema(docPath, status)
    expect(schema, `${docPath} ${status} has a JSON schema`).to.not.equal(undefined)
    expect(validate(doc, schema, r.json), url).to.deep.equal([])
  }

  it('is an OpenAPI 3.1 document with every served path', () => {
    expect(doc.openapi).to.equal('3.1.0')
    for (const p of ['/v1/tokens/{chain}/{token}', '/v1/tokens', '/v1/top', '/healthz', '/readyz', '/metrics', '/openapi.json', '/v1/ws']) {
      expect(doc.paths, p).to.have.property(p)
    }
  })

  it('validates token, tokens, top, health and error responses against their schemas', async () => {
    await check('/v1/tokens/{chain}/{token}', '/v1/tokens/ethereum/t3', 200)
    await check('/v1/tokens/{chain}/{token}', '/v1/tokens/ethereum/t3?windows=5m', 200)
    await check('/v1/tokens/{chain}/{token}', '/v1/tokens/ethereum/nope', 404)
    await check('/v1/tokens/{chain}/{token}', '/v1/tokens/ethereum/t3?windows=9m', 400)
    await check('/v1/tokens', '/v1/tokens?ids=ethereum:t1,ethereum:t2,x:y', 200)
    await check('/v1/tokens', '/v1/tokens?ids=' + Array.from({ length: 101 }, (_, i) => 'a:' + i).join(','), 400)
    for (const q of ['stat=volumeUsd&window=5m&limit=500', 'stat=priceChangePct&window=1m&order=asc', 'stat=lastPrice', 'stat=lastPrice&window=1h', 'stat=traders&window=24h&chain=ethereum']) {
      await check('/v1/top', '/v1/top?' + q, 200)
    }
    await check('/v1/top', '/v1/top?stat=x', 400)
    await check('/healthz', '/healthz', 200)
    await check('/readyz', '/readyz', 200)
    await check('/v1/ws', '/v1/ws', 426)
  })

  it('the checker itself rejects responses that do not fit', () => {
    const schema = { $ref: '#/components/schemas/StatsObject' }
    expect(validate(doc, schema, { chain: 'x' })).to.not.deep.equal([])
    const s = makeStats('ethereum', 't', rng(1))
    expect(validate(doc, schema, s)).to.deep.equal([])
    expect(validate(doc, schema, { ...s, windows: { '5m': { ...s.windows['5m'], volumeUsd: 12 } } })).to.not.deep.equal([])
    expect(validate(doc, schema, { ...s, extra: 1 })).to.not.deep.equal([])
  })

  it('lists every stat and the error codes the server can answer', () => {
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum
    for (const c of ['BAD_PARAM', 'TOO_MANY_IDS', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'URI_TOO_LONG', 'NOT_READY', 'UPGRADE_REQUIRED']) expect(codes).to.include(c)
    const stats = doc.paths['/v1/top'].get.parameters.find((p: any) => p.name === 'stat').schema.enum
    expect(stats).to.include.members(['volumeUsd', 'buyers', 'priceChangePct', 'vwap', 'lastPrice'])
  })
})
