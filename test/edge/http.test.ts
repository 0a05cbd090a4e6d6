import { expect } from 'chai'
import fc from 'fast-check'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { Agent } from 'undici'
import type { EdgeServer } from '../../src/edge/edge-server.js'
import { createMemoryStatsFeed, type MemoryStatsFeed } from '../../src/edge/stats-feed.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { bruteTop } from './brute.js'
import { makeStats, newAgent, rng } from './fixtures.js'
import { get, startServer } from './helpers.js'

const CHAINS = ['ethereum', 'solana', 'base']

function populate (feed: MemoryStatsFeed, n: number, seed: number): Map<string, StatsObject> {
  const r = rng(seed)
  const all = new Map<string, StatsObject>()
  for (let i = 0; i < n; i++) {
    const chain = CHAINS[i % 3]
    const token = '0x' + i.toString(16).padStart(8, '0')
    const s = makeStats(chain, token, r)
    feed.publish(chain + ':' + token, s)
    all.set(chain + ':' + token, s)
  }
  return all
}

describe('edge HTTP API', function () {
  let feed: MemoryStatsFeed
  let server: EdgeServer
  let agent: Agent
  let all: Map<string, StatsObject>
  let staticDir: string

  before(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'volumer-edge-static-'))
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>volumer</title>')
    writeFileSync(join(staticDir, 'app.js'), 'console.log("volumer");\n'.repeat(200))
    mkdirSync(join(staticDir, 'img'))
    writeFileSync(join(staticDir, 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    writeFileSync(join(tmpdir(), 'volumer-edge-secret.txt'), 'secret')
    feed = createMemoryStatsFeed({ replayBatch: 64 })
    all = populate(feed, 300, 42)
    server = await startServer(feed, { staticDir })
    await server.caughtUp
    agent = newAgent()
  })

  after(async () => {
    await server.close()
    await agent.close()
    rmSync(staticDir, { recursive: true, force: true })
    rmSync(join(tmpdir(), 'volumer-edge-secret.txt'), { force: true })
  })

  describe('GET /v1/tokens/{chain}/{token}', () => {
    it('returns the stats object as published, with an ETag that answers 304', async () => {
      const [key, stats] = [...all][7]
      const [chain, token] = key.split(':')
      const r = await get(agent, server.port, `/v1/tokens/${chain}/${token}`)
      expect(r.status).to.equal(200)
      expect(r.json).to.deep.equal(stats)
      expect(r.headers['content-type']).to.equal('application/json')
      expect(r.headers['cache-control']).to.equal('public, max-age=1')
      const etag = r.headers.etag as string
      expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/)
      const again = await get(agent, server.port, `/v1/tokens/${chain}/${token}`, { headers: { 'if-none-match': etag } })
      expect(again.status).to.equal(304)
      expect(again.body.length).to.equal(0)
    })

    it('filters windows with ?windows= and refuses unknown ones', async () => {
      const [key, stats] = [...all][8]
      const path = '/v1/tokens/' + key.replace(':', '/')
      const r = await get(agent, server.port, path + '?windows=5m,24h')
      expect(Object.keys(r.json.windows)).to.deep.equal(['5m', '24h'])
      expect(r.json.windows['5m']).to.deep.equal(stats.windows['5m'])
      const bad = await get(agent, server.port, path + '?windows=7m')
      expect(bad.status).to.equal(400)
      expect(bad.json.error.code).to.equal('BAD_PARAM')
      const empty = await get(agent, server.port, path + '?windows=,')
      expect(empty.json.error.code).to.equal('BAD_PARAM')
    })

    it('answers 404 NOT_FOUND for an unknown token and a malformed path', async () => {
      for (const p of ['/v1/tokens/ethereum/0xdead', '/v1/tokens/ethereum', '/v1/tokens/ethereum/0x1/extra', '/v1/tokens//x', '/v1/nope']) {
        const r = await get(agent, server.port, p)
        expect(r.status, p).to.equal(404)
        expect(r.json.error.code, p).to.equal('NOT_FOUND')
      }
    })

    it('decodes percent-encoded segments (a token with a slash) and refuses bad encoding', async () => {
      const odd = makeStats('base', 'a/b c', rng(9))
      feed.publish('base:a/b c', odd)
      all.set('base:a/b c', odd)
      const r = await get(agent, server.port, '/v1/tokens/base/a%2Fb%20c')
      expect(r.status).to.equal(200)
      expect(r.json.token).to.equal('a/b c')
      for (const p of ['/v1/tokens/%E0%A4%A/x', '/v1/tokens/ethereum/%zz', '/v1/top?stat=%ff&window=5m']) {
        const bad = await get(agent, server.port, p)
        expect(bad.status, p).to.equal(400)
        expect(bad.json.error.code, p).to.equal('BAD_PARAM')
      }
    })

    it('follows updates and tombstones', async () => {
      const [key] = [...all][9]
      const path = '/v1/tokens/' + key.replace(':', '/')
      const before = await get(agent, server.port, path)
      const next = makeStats(key.split(':')[0], key.split(':')[1], rng(1234), Date.parse('2021-06-16T03:00:00.000Z'))
      feed.publish(key, next)
      const after = await get(agent, server.port, path)
      expect(after.json).to.deep.equal(next)
      expect(after.headers.etag).to.not.equal(before.headers.etag)
      feed.publish(key, null)
      expect((await get(agent, server.port, path)).status).to.equal(404)
      feed.publish(key, next)
      all.set(key, next)
    })
  })

  describe('GET /v1/tokens?ids=', () => {
    it('returns found tokens in request order and lists the missing ones', async () => {
      const keys = [...all.keys()]
      const ids = [keys[5], 'ethereum:0xmissing', keys[2], keys[5]]
      const r = await get(agent, server.port, '/v1/tokens?ids=' + ids.join(','))
      expect(r.status).to.equal(200)
      expect(r.json.tokens).to.deep.equal([all.get(keys[5]), all.get(keys[2])])
      expect(r.json.missing).to.deep.equal(['ethereum:0xmissing'])
    })

    it('accepts 100 ids and refuses 101 with TOO_MANY_IDS', async () => {
      const keys = [...all.keys()]
      const ok = await get(agent, server.port, '/v1/tokens?ids=' + keys.slice(0, 100).join(','))
      expect(ok.status).to.equal(200)
      expect(ok.json.tokens).to.have.length(100)
      const r = await get(agent, server.port, '/v1/tokens?ids=' + keys.slice(0, 101).join(','))
      expect(r.status).to.equal(400)
      expect(r.json.error.code).to.equal('TOO_MANY_IDS')
    })

    it('refuses a missing, empty or malformed ids list and duplicated parameters', async () => {
      for (const q of ['', '?ids=', '?ids=nocolon', '?ids=:x', '?ids=a:b&ids=c:d']) {
        const r = await get(agent, server.port, '/v1/tokens' + q)
        expect(r.status, q).to.equal(400)
        expect(r.json.error.code, q).to.equal('BAD_PARAM')
      }
    })
  })

  describe('GET /v1/top', () => {
    it('matches a brute-force sort for many stats, windows, orders, chains and limits', async () => {
      const stats = ['volumeUsd', 'sellVolumeUsd', 'volume', 'txns', 'buyers', 'high', 'priceChangePct', 'vwap', 'lastPrice']
      const r = rng(5)
      const list = [...all.values()]
      for (const stat of stats) {
        for (const window of ['1m', '5m', '24h']) {
          const chain = r() < 0.5 ? null : CHAINS[Math.floor(r() * 3)]
          const order = r() < 0.5 ? 'asc' : 'desc'
          const limit = 1 + Math.floor(r() * 150)
          const q = `/v1/top?stat=${stat}&window=${window}&order=${order}&limit=${limit}` + (chain === null ? '' : `&chain=${chain}`)
          const got = await get(agent, server.port, q)
          expect(got.status, q).to.equal(200)
          const want = bruteTop(list, stat, stat === 'lastPrice' ? null : window, chain, limit, order === 'desc')
          expect(got.json.items.map((i: any) => i.chain + ':' + i.token), q).to.deep.equal(want)
          expect(got.json.items.map((i: any) => i.rank)).to.deep.equal(want.map((_, k) => k + 1))
          const first = got.json.items[0]
          if (first !== undefined && stat !== 'lastPrice') {
            expect(first.window).to.deep.equal(all.get(first.chain + ':' + first.token)?.windows[window])
            expect(first.value).to.deep.equal((all.get(first.chain + ':' + first.token)?.windows[window] as any)[stat])
          }
        }
      }
    })

    it('uses defaults (volumeUsd, desc, 50) and allows lastPrice without a window', async () => {
      const r = await get(agent, server.port, '/v1/top?window=5m')
      expect(r.json.stat).to.equal('volumeUsd')
      expect(r.json.order).to.equal('desc')
      expect(r.json.items).to.have.length(50)
      const lp = await get(agent, server.port, '/v1/top?stat=lastPrice&limit=10')
      expect(lp.status).to.equal(200)
      expect(lp.json.window).to.equal(null)
      expect(lp.json.items[0].window).to.equal(null)
      expect(lp.json.items.map((i: any) => i.chain + ':' + i.token)).to.deep.equal(bruteTop([...all.values()], 'lastPrice', null, null, 10, true))
    })

    it('answers an unknown chain with an empty list', async () => {
      const r = await get(agent, server.port, '/v1/top?window=5m&chain=dogechain')
      expect(r.status).to.equal(200)
      expect(r.json.items).to.deep.equal([])
    })

    it('refuses bad parameters with BAD_PARAM', async () => {
      for (const q of ['stat=nope&window=5m', 'window=7m', 'stat=txns', 'window=5m&limit=0', 'window=5m&limit=501', 'window=5m&limit=1.5',
        'window=5m&limit=abc', 'window=5m&order=up', 'window=5m&chain=', 'window=5m&window=1h']) {
        const r = await get(agent, server.port, '/v1/top?' + q)
        expect(r.status, q).to.equal(400)
        expect(r.json.error.code, q).to.equal('BAD_PARAM')
        expect(r.json.error.message, q).to.be.a('string').and.not.empty
      }
    })
  })

  describe('compression and caching', () => {
    it('gzips and brotli-compresses large bodies when accepted, not small ones', async () => {
      const path = '/v1/top?window=5m&limit=200'
      const plain = await get(agent, server.port, path)
      expect(plain.headers['content-encoding']).to.equal(undefined)
      const gz = await get(agent, server.port, path, { headers: { 'accept-encoding': 'gzip' } })
      expect(gz.headers['content-encoding']).to.equal('gzip')
      expect(gunzipSync(gz.body).toString()).to.equal(plain.text)
      expect(gz.body.length).to.be.below(plain.body.length / 3)
      const br = await get(agent, server.port, path, { headers: { 'accept-encoding': 'gzip, deflate, br' } })
      expect(br.headers['content-encoding']).to.equal('br')
      expect(brotliDecompressSync(br.body).toString()).to.equal(plain.text)
      const noBr = await get(agent, server.port, path, { headers: { 'accept-encoding': 'br;q=0, gzip' } })
      expect(noBr.headers['content-encoding']).to.equal('gzip')
      const small = await get(agent, server.port, '/healthz', { headers: { 'accept-encoding': 'gzip' } })
      expect(small.headers['content-encoding']).to.equal(undefined)
      expect(small.headers['cache-control']).to.equal('no-store')
      expect(gz.headers.vary).to.equal('Accept-Encoding')
    })

    it('compresses a token body and caches the compressed form per update', async () => {
      const key = [...all.keys()][11]
      const path = '/v1/tokens/' + key.replace(':', '/')
      const a = await get(agent, server.port, path, { headers: { 'accept-encoding': 'gzip' } })
      const b = await get(agent, server.port, path, { headers: { 'accept-encoding': 'gzip' } })
      expect(a.headers['content-encoding']).to.equal('gzip')
      expect(JSON.parse(gunzipSync(a.body).toString())).to.deep.equal(all.get(key))
      expect(b.body.equals(a.body)).to.equal(true)
    })
  })

  describe('hostile requests', () => {
    it('answers an over-long URL with 414 URI_TOO_LONG', async () => {
      const r = await get(agent, server.port, '/v1/top?window=5m&x=' + 'a'.repeat(9000))
      expect(r.status).to.equal(414)
      expect(r.json.error.code).to.equal('URI_TOO_LONG')
    })

    it('survives a URL far past any limit (uWS may cut the connection) and keeps serving', async () => {
      try {
        const r = await get(agent, server.port, '/' + 'x'.repeat(200_000))
        expect([414, 431, 400]).to.include(r.status)
      } catch (err) {
        expect(String((err as Error).message)).to.match(/closed|reset|socket|EPIPE/i)
      }
      expect((await get(agent, server.port, '/healthz')).status).to.equal(200)
    })

    it('answers other methods with 405 METHOD_NOT_ALLOWED and an Allow header; OPTIONS and HEAD work', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const r = await get(agent, server.port, '/v1/top?window=5m', { method })
        expect(r.status, method).to.equal(405)
        expect(r.json.error.code).to.equal('METHOD_NOT_ALLOWED')
        expect(r.headers.allow).to.equal('GET, HEAD, OPTIONS')
      }
      const opt = await get(agent, server.port, '/v1/top', { method: 'OPTIONS' })
      expect(opt.status).to.equal(204)
      expect(opt.headers['access-control-allow-origin']).to.equal('*')
      const head = await get(agent, server.port, '/v1/top?window=5m', { method: 'HEAD' })
      expect(head.status).to.equal(200)
      expect(head.body.length).to.equal(0)
      expect(Number(head.headers['content-length'])).to.be.above(1000)
    })

    it('survives raw garbage, unknown methods and half-sent requests on a TCP socket', async () => {
      const payloads = [
        'PROPFIND /v1/top HTTP/1.1\r\nHost: x\r\n\r\n',
        'GARBAGE\r\n\r\n',
        'GET /v1/top?window=5m HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab',
        'GET /\0\0 HTTP/1.1\r\n\r\n',
        'GET /v1/tokens/ethereum/0x1 HTTP/1.1\r\n' + 'X-Big: ' + 'y'.repeat(70_000) + '\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\n' // never finished
      ]
      for (const p of payloads) {
        await new Promise<void>(resolve => {
          const s = connect(server.port, '127.0.0.1', () => { s.write(p); setTimeout(() => s.destroy(), 30) })
          s.on('error', () => {})
          s.on('close', () => resolve())
          s.resume()
        })
      }
      expect((await get(agent, server.port, '/healthz')).status).to.equal(200)
    })

    // The bench (autocannon -c 64 -p 8 against 20,000 tokens) once aborted the process: uWS counts a
    // response whose end() is still backpressured as unanswered and aborts when the handler has no
    // onAborted. Fixed by always attaching one. This test drives the same situation with a client
    // that stops reading; it did not reproduce the abort by itself (timing), the bench run did.
    it('pipelined requests whose large responses back up (client not reading) do not stop the node', async () => {
      const req = 'GET /v1/top?window=5m&limit=500 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200)
      await new Promise<void>(resolve => {
        const s = connect(server.port, '127.0.0.1', () => {
          s.pause() // never read: the server's writes back up
          s.write(req)
          setTimeout(() => s.destroy(), 300)
        })
        s.on('error', () => {})
        s.on('close', () => resolve())
      })
      expect((await get(agent, server.port, '/healthz')).status).to.equal(200)
    })

    it('never fails or crashes on random paths and queries (fuzz)', async () => {
      const seg = fc.string({ unit: fc.constantFrom('a', '%', '2', 'F', '/', '?', '&', '=', ',', ':', 'z', '+', '.', 'é', '€') , maxLength: 40 })
      await fc.assert(fc.asyncProperty(fc.constantFrom('/v1/tokens/', '/v1/tokens?ids=', '/v1/top?', '/', '/v1/'), seg, async (prefix, rest) => {
        let path = prefix + encodeURI(rest).replace(/%25/g, '%')
        path = path.replace(/#/g, '')
        const r = await get(agent, server.port, path)
        expect([200, 400, 404, 414]).to.include(r.status)
        if (r.status >= 400) expect(r.json.error.code).to.be.a('string')
      }), { numRuns: 150 })
      expect((await get(agent, server.port, '/healthz')).status).to.equal(200)
    })

    it('answers a plain GET of the WebSocket path with 426 UPGRADE_REQUIRED', async () => {
      const r = await get(agent, server.port, '/v1/ws')
      expect(r.status).to.equal(426)
      expect(r.json.error.code).to.equal('UPGRADE_REQUIRED')
    })
  })

  describe('operations endpoints', () => {
    it('serves healthz, readyz and Prometheus metrics', async () => {
      const h = await get(agent, server.port, '/healthz')
      expect(h.json).to.deep.equal({ status: 'ok', ready: true, tokens: server.store.size })
      expect((await get(agent, server.port, '/readyz')).status).to.equal(200)
      const m = await get(agent, server.port, '/metrics')
      expect(m.status).to.equal(200)
      expect(m.headers['content-type']).to.match(/^text\/plain/)
      expect(m.text).to.match(/^volumer_edge_tokens \d+$/m)
      expect(m.text).to.match(/^volumer_edge_http_requests_total\{route="token",status="200"\} \d+$/m)
      expect(m.text).to.match(/^volumer_edge_http_request_duration_seconds_bucket\{le="0.001",route="top"\} \d+$/m)
      expect(m.text).to.include('volumer_edge_ws_clients 0')
    })
  })

  describe('static files', () => {
    it('serves index.html at / with revalidation, assets with content types, compression and caching', async () => {
      const root = await get(agent, server.port, '/')
      expect(root.status).to.equal(200)
      expect(root.headers['content-type']).to.equal('text/html; charset=utf-8')
      expect(root.headers['cache-control']).to.equal('no-cache')
      expect(root.text).to.include('<title>volumer</title>')
      const re = await get(agent, server.port, '/', { headers: { 'if-none-match': root.headers.etag as string } })
      expect(re.status).to.equal(304)
      const js = await get(agent, server.port, '/app.js', { headers: { 'accept-encoding': 'gzip' } })
      expect(js.headers['content-type']).to.equal('text/javascript; charset=utf-8')
      expect(js.headers['content-encoding']).to.equal('gzip')
      // scripts and styles keep their names across releases: always revalidated (ETag → 304)
      expect(js.headers['cache-control']).to.equal('no-cache')
      expect(gunzipSync(js.body).toString()).to.include('console.log')
      const svg = await get(agent, server.port, '/img/logo.svg')
      expect(svg.headers['content-type']).to.equal('image/svg+xml')
      expect(svg.headers['cache-control']).to.equal('public, max-age=300')
    })

    it('serves lightweight-charts from node_modules at /vendor/lightweight-charts.js (the dashboard\'s chart library)', async () => {
      const r = await get(agent, server.port, '/vendor/lightweight-charts.js', { headers: { 'accept-encoding': 'br' } })
      expect(r.status).to.equal(200)
      expect(r.headers['content-type']).to.equal('text/javascript; charset=utf-8')
      expect(r.headers['content-encoding']).to.equal('br')
      const text = brotliDecompressSync(r.body).toString()
      // the standalone ES module: the exports the token page imports, and no bare import left
      expect(text).to.include('Lightweight Charts™ v5.')
      expect(text).to.match(/export\{[^}]*\bas createChart\b/)
      expect(text).to.match(/\bas CandlestickSeries\b/)
      expect(text).to.not.match(/^import\s/m)
      // only that exact path is mapped: nothing else of node_modules is reachable
      for (const p of ['/vendor/', '/vendor/lightweight-charts.js/', '/vendor/../package.json', '/vendor/lightweight-charts.mjs']) {
        expect((await get(agent, server.port, p)).status, p).to.equal(404)
      }
    })

    it('refuses paths that leave the directory and answers 404 for missing files', async () => {
      for (const p of ['/../volumer-edge-secret.txt', '/%2e%2e/volumer-edge-secret.txt', '/img/%2e%2e/%2e%2e/volumer-edge-secret.txt', '/nope.html', '/img/', '/%zz']) {
        const r = await get(agent, server.port, p)
        expect(r.status, p).to.equal(404)
        expect(r.text).to.not.include('secret')
      }
    })
  })
})

describe('edge readiness and multiple nodes', () => {
  it('answers 503 NOT_READY until the feed has caught up, then 200', async () => {
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const feed = createMemoryStatsFeed({ catchUpGate: gate })
    populate(feed, 20, 1)
    const server = await startServer(feed)
    const agent = newAgent()
    try {
      const r = await get(agent, server.port, '/readyz')
      expect(r.status).to.equal(503)
      expect(r.json.error.code).to.equal('NOT_READY')
      expect(r.headers['retry-after']).to.equal('1')
      expect((await get(agent, server.port, '/v1/top?window=5m')).status).to.equal(503)
      const h = await get(agent, server.port, '/healthz')
      expect(h.status).to.equal(200)
      expect(h.json.ready).to.equal(false)
      release()
      await server.caughtUp
      expect((await get(agent, server.port, '/readyz')).status).to.equal(200)
      expect((await get(agent, server.port, '/v1/top?window=5m')).json.items).to.have.length(20)
    } finally {
      await server.close()
      await agent.close()
    }
  })

  it('answers 500 INTERNAL (details only in the log) when a malformed record trips a handler, and keeps serving', async () => {
    const feed = createMemoryStatsFeed()
    feed.publish('base:odd', { chain: 'base', token: 'odd', windows: null } as unknown as StatsObject)
    const server = await startServer(feed)
    await server.caughtUp
    const agent = newAgent()
    try {
      const r = await get(agent, server.port, '/v1/tokens/base/odd?windows=5m')
      expect(r.status).to.equal(500)
      expect(r.json).to.deep.equal({ error: { code: 'INTERNAL', message: 'internal error' } })
      expect((await get(agent, server.port, '/v1/tokens/base/odd')).status).to.equal(200)
    } finally {
      await server.close()
      await agent.close()
    }
  })

  it('refuses a busy port with BAD_CONFIG and closes the feed it had started', async () => {
    const feed = createMemoryStatsFeed()
    populate(feed, 5, 5)
    const a = await startServer(feed)
    const inner = feed.reader()
    let started = false
    let closedFeed = false
    const watched = {
      async start (...args: Parameters<typeof inner.start>) { started = true; await inner.start(...args) },
      async close () { closedFeed = true; await inner.close() }
    }
    try {
      let err: any
      try { await startServer(watched, { port: a.port }) } catch (e) { err = e }
      expect(err?.code).to.equal('BAD_CONFIG')
      expect(err?.message).to.include(`:${a.port}`)
      expect(started).to.equal(true)
      expect(closedFeed).to.equal(true)
    } finally {
      await a.close()
      await feed.close()
    }
  })

  it('two servers on one feed give the same answers', async () => {
    const feed = createMemoryStatsFeed()
    populate(feed, 200, 2)
    const a = await startServer(feed)
    await a.caughtUp
    populate(feed, 120, 3) // a sees these live, b replays them
    const b = await startServer(feed.reader())
    await b.caughtUp
    const r = rng(4)
    for (let i = 0; i < 50; i++) feed.publish('solana:0x' + i.toString(16).padStart(8, '0'), i % 7 === 0 ? null : makeStats('solana', '0x' + i.toString(16).padStart(8, '0'), r))
    const agent = newAgent()
    try {
      for (const q of ['/v1/top?window=5m&limit=500', '/v1/top?stat=txns&window=1h&order=asc&chain=solana', '/v1/top?stat=lastPrice&limit=77',
        '/v1/tokens?ids=solana:0x00000001,solana:0x00000007,ethereum:0x00000003', '/v1/tokens/base/0x00000005']) {
        const x = await get(agent, a.port, q)
        const y = await get(agent, b.port, q)
        expect(x.status, q).to.equal(y.status)
        expect(x.text, q).to.equal(y.text)
      }
      expect(a.store.size).to.equal(b.store.size)
    } finally {
      await a.close()
      await b.close()
      await agent.close()
      await feed.close()
    }
  })
})
