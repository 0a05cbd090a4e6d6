import { expect } from 'chai'
import { Registry } from 'prom-client'
import type { Agent } from 'undici'
import type { EdgeServer, EdgeServerOptions } from '../../src/edge/edge-server.js'
import { createMemoryStatsFeed, type MemoryStatsFeed } from '../../src/edge/stats-feed.js'
import { makeStats, newAgent, rng, waitFor } from './fixtures.js'
import { get, startServer } from './helpers.js'
import { TestClient, clientFrame, rawWsClient } from './ws-client.js'

const T0 = 1_750_000_000_000

interface Harness {
  feed: MemoryStatsFeed
  server: EdgeServer
  registry: Registry
  clock: { t: number }
  clients: TestClient[]
  open: () => Promise<TestClient>
  close: () => Promise<void>
}

async function harness (opts: Partial<EdgeServerOptions> = {}, tokens = 30): Promise<Harness> {
  const feed = createMemoryStatsFeed()
  const r = rng(21)
  for (let i = 0; i < tokens; i++) feed.publish('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
  const clock = { t: T0 }
  const registry = new Registry()
  const server = await startServer(feed, { now: () => clock.t, metricsRegistry: registry, ...opts, ws: { rankedIntervalMs: 20, heartbeatMs: 0, ...opts.ws } })
  await server.caughtUp
  const clients: TestClient[] = []
  return {
    feed,
    server,
    registry,
    clock,
    clients,
    open: async () => { const c = await TestClient.open(server.port); clients.push(c); return c },
    close: async () => {
      for (const c of clients) await c.close()
      await server.close()
    }
  }
}

async function metric (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name)
  if (m === undefined) return 0
  const v = (await m.get()).values.find(x => Object.entries(labels).every(([k, val]) => (x.labels as any)[k] === val))
  return v?.value ?? 0
}

describe('edge WebSocket', function () {
  describe('token subscriptions', () => {
    let h: Harness
    before(async () => { h = await harness() })
    after(async () => { await h.close() })

    it('greets with hello and its limits', async () => {
      const c = await h.open()
      expect(c.msgs[0].type).to.equal('hello')
      expect(c.msgs[0].limits.maxSubscriptions).to.equal(256)
    })

    it('sends a snapshot on subscribe, then ordered updates with consecutive sequence numbers', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', tokens: ['ethereum:t1', 'ethereum:t2'], id: 7 })
      const ack = await c.next(m => m.type === 'subscribed')
      expect(ack).to.deep.equal({ type: 'subscribed', id: 7, subs: ['token:ethereum:t1', 'token:ethereum:t2'] })
      const snap = await c.next(m => m.type === 'snapshot' && m.sub === 'token:ethereum:t1')
      expect(snap.seq).to.equal(1)
      expect(snap.data).to.deep.equal(h.server.store.get('ethereum:t1')?.stats)
      const r = rng(99)
      const published = []
      for (let i = 0; i < 20; i++) {
        const s = makeStats('ethereum', 't1', r, T0 + i * 1000)
        published.push(s)
        h.feed.publish('ethereum:t1', s)
      }
      for (let i = 0; i < 20; i++) {
        const u = await c.next(m => m.sub === 'token:ethereum:t1')
        expect(u.type).to.equal('update')
        expect(u.seq).to.equal(i + 2)
        expect(u.data).to.deep.equal(published[i])
      }
    })

    it('subscribes to a token not seen yet (data null) and delivers it when it appears; tombstones arrive as data null', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', tokens: ['solana:new'] })
      const snap = await c.next(m => m.type === 'snapshot')
      expect(snap.data).to.equal(null)
      const s = makeStats('solana', 'new', rng(5))
      h.feed.publish('solana:new', s)
      expect((await c.next(m => m.type === 'update')).data).to.deep.equal(s)
      h.feed.publish('solana:new', null)
      const gone = await c.next(m => m.type === 'update')
      expect(gone.data).to.equal(null)
      expect(gone.seq).to.equal(3)
    })

    it('stops updates after unsubscribe, and a resubscribe restarts with a snapshot at seq 1', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', tokens: ['ethereum:t3'] })
      await c.next(m => m.type === 'snapshot')
      c.send({ op: 'unsubscribe', tokens: ['ethereum:t3'], id: 'u' })
      expect(await c.next(m => m.type === 'unsubscribed')).to.deep.equal({ type: 'unsubscribed', id: 'u', subs: ['token:ethereum:t3'] })
      h.feed.publish('ethereum:t3', makeStats('ethereum', 't3', rng(6)))
      await c.sync()
      expect(c.msgs.filter(m => m.sub === 'token:ethereum:t3' && m.type === 'update')).to.deep.equal([])
      c.send({ op: 'subscribe', tokens: ['ethereum:t3'] })
      const snap = await c.next(m => m.type === 'snapshot')
      expect(snap.seq).to.equal(1)
      c.send({ op: 'unsubscribe', subs: ['token:ethereum:t3'] })
      await c.next(m => m.type === 'unsubscribed')
      c.send({ op: 'unsubscribe', tokens: ['ethereum:t3'], id: 3 })
      const err = await c.next(m => m.type === 'error')
      expect(err.code).to.equal('NOT_SUBSCRIBED')
      expect(err.id).to.equal(3)
    })

    it('answers ping with pong', async () => {
      const c = await h.open()
      c.send({ op: 'ping', id: 'p1' })
      const p = await c.next(m => m.type === 'pong')
      expect(p).to.deep.equal({ type: 'pong', id: 'p1', t: h.clock.t })
    })
  })

  describe('ranked-list subscriptions', () => {
    let h: Harness
    let agent: Agent
    before(async () => { h = await harness({ ws: { rankedIntervalMs: 100 } }); agent = newAgent() })
    after(async () => { await h.close(); await agent.close() })

    it('sends the same list as HTTP /v1/top, then pushes when membership changes, throttled by the clock', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', top: { stat: 'volumeUsd', window: '5m', limit: 5 } })
      const snap = await c.next(m => m.type === 'snapshot')
      expect(snap.sub).to.equal('top:volumeUsd:5m:desc:5:')
      const http = await get(agent, h.server.port, '/v1/top?stat=volumeUsd&window=5m&limit=5')
      expect(snap.data).to.deep.equal(http.json)
      // a new token with the largest volume enters the list
      const big = makeStats('ethereum', 'whale', rng(8))
      big.windows['5m'].volumeUsd = '999999999999'
      h.feed.publish('ethereum:whale', big)
      const u = await c.next(m => m.type === 'update')
      expect(u.seq).to.equal(2)
      expect(u.data.items[0].token).to.equal('whale')
      // within the throttle interval (clock not moved) further changes wait…
      const bigger = structuredClone(big)
      bigger.windows['5m'].volumeUsd = '999999999999.5'
      h.feed.publish('ethereum:whale', bigger)
      await new Promise(resolve => setTimeout(resolve, 150))
      await c.sync()
      expect(c.pending().filter(m => m.type === 'update')).to.deep.equal([])
      // …and go out once the interval has passed
      h.clock.t += 100
      const u2 = await c.next(m => m.type === 'update')
      expect(u2.seq).to.equal(3)
      expect(u2.data.items[0].value).to.equal('999999999999.5')
    })

    it('does not push when a change leaves the list untouched', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', top: { stat: 'txns', window: '5m', limit: 3, order: 'desc' } })
      const snap = await c.next(m => m.type === 'snapshot')
      const members = new Set(snap.data.items.map((i: any) => i.token))
      const outsider = [...Array(30).keys()].map(i => 't' + i).find(t => !members.has(t)) as string
      const s = structuredClone(h.server.store.get('ethereum:' + outsider)!.stats)
      s.windows['5m'].txns = 0
      h.feed.publish('ethereum:' + outsider, s)
      h.clock.t += 1000
      await new Promise(resolve => setTimeout(resolve, 100))
      await c.sync()
      expect(c.pending().filter(m => m.type === 'update')).to.deep.equal([])
    })

    it('a ranked list of a chain with no tokens yet starts empty and fills when the first arrives', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', top: { stat: 'txns', window: '5m', limit: 3, chain: 'newchain' } })
      const snap = await c.next(m => m.type === 'snapshot')
      expect(snap.data.items).to.deep.equal([])
      h.feed.publish('newchain:a', makeStats('newchain', 'a', rng(3)))
      h.clock.t += 1000
      const u = await c.next(m => m.type === 'update')
      expect(u.data.items.map((i: any) => i.token)).to.deep.equal(['a'])
    })

    it('refuses bad ranked parameters with BAD_PARAM', async () => {
      const c = await h.open()
      for (const top of [{ stat: 'nope', window: '5m' }, { stat: 'txns', window: '9m' }, { stat: 'txns', window: '5m', limit: 501 }, 'x']) {
        c.send({ op: 'subscribe', top })
        const e = await c.next(m => m.type === 'error')
        expect(['BAD_PARAM', 'BAD_MESSAGE']).to.include(e.code)
      }
    })
  })

  describe('limits and bad input', () => {
    let h: Harness
    before(async () => {
      h = await harness({ maxPayloadLength: 8192, ws: { maxSubscriptions: 5, maxTopSubscriptions: 2, maxMessageBytes: 1024, messageBurst: 1000, messagesPerSecond: 1000 } })
    })
    after(async () => { await h.close() })

    it('answers malformed JSON, non-objects, unknown ops and binary frames with an error and keeps the connection', async () => {
      const c = await h.open()
      const cases: Array<[unknown, string]> = [['{nope', 'BAD_MESSAGE'], ['[1,2]', 'BAD_MESSAGE'], ['42', 'BAD_MESSAGE'], [{ op: 'dance' }, 'UNKNOWN_OP'],
        [{ op: 'subscribe' }, 'BAD_MESSAGE'], [{ op: 'subscribe', tokens: [] }, 'BAD_MESSAGE'], [{ op: 'subscribe', tokens: ['nocolon'] }, 'BAD_MESSAGE'],
        [{ op: 'subscribe', tokens: [42] }, 'BAD_MESSAGE'], [{ op: 'unsubscribe' }, 'BAD_MESSAGE']]
      for (const [msg, code] of cases) {
        c.send(msg)
        expect((await c.next(m => m.type === 'error')).code, JSON.stringify(msg)).to.equal(code)
      }
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true })
      expect((await c.next(m => m.type === 'error')).code).to.equal('BINARY_FRAME')
      c.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(2000) }))
      expect((await c.next(m => m.type === 'error')).code).to.equal('MESSAGE_TOO_LARGE')
      await c.sync()
      expect(c.closed).to.equal(null)
    })

    it('closes a connection that sends a frame over maxPayloadLength (uWS: 1009) and the node stays up', async () => {
      const c = await h.open()
      c.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(20_000) }))
      await waitFor(() => c.closed !== null, 'close')
      expect(c.closed?.code).to.be.oneOf([1009, 1006])
      const d = await h.open()
      await d.sync()
    })

    it('limits subscriptions per connection with TOO_MANY_SUBSCRIPTIONS', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', tokens: ['ethereum:t1', 'ethereum:t2', 'ethereum:t3', 'ethereum:t4'] })
      await c.next(m => m.type === 'subscribed')
      c.send({ op: 'subscribe', tokens: ['ethereum:t5', 'ethereum:t6'] })
      expect((await c.next(m => m.type === 'error')).code).to.equal('TOO_MANY_SUBSCRIPTIONS')
      c.send({ op: 'subscribe', top: { stat: 'txns', window: '5m', limit: 2 } })
      await c.next(m => m.type === 'subscribed')
      c.send({ op: 'subscribe', top: { stat: 'buys', window: '5m', limit: 2 } })
      expect((await c.next(m => m.type === 'error')).code).to.equal('TOO_MANY_SUBSCRIPTIONS')
      c.send({ op: 'subscribe', tokens: Array.from({ length: 101 }, (_, i) => 'e:' + i) })
      expect((await c.next(m => m.type === 'error')).code).to.equal('TOO_MANY_SUBSCRIPTIONS')
      // re-subscribing to a held token is not a new subscription
      c.send({ op: 'subscribe', tokens: ['ethereum:t1'] })
      expect((await c.next(m => m.type === 'subscribed' || m.type === 'error')).type).to.equal('subscribed')
    })

    it('limits ranked lists per connection', async () => {
      const c = await h.open()
      c.send({ op: 'subscribe', top: { stat: 'txns', window: '5m', limit: 2 } })
      await c.next(m => m.type === 'subscribed')
      c.send({ op: 'subscribe', top: { stat: 'txns', window: '1h', limit: 2 } })
      await c.next(m => m.type === 'subscribed')
      c.send({ op: 'subscribe', top: { stat: 'txns', window: '24h', limit: 2 } })
      expect((await c.next(m => m.type === 'error')).code).to.equal('TOO_MANY_SUBSCRIPTIONS')
    })
  })

  describe('rate limit and heartbeat', () => {
    it('answers messages over the rate with RATE_LIMITED, refills with the clock, and closes a flooding client (4029)', async () => {
      const h = await harness({ ws: { messageBurst: 3, messagesPerSecond: 2, maxRateViolations: 5 } })
      try {
        const c = await h.open()
        for (let i = 0; i < 4; i++) c.send({ op: 'ping', id: i })
        for (let i = 0; i < 3; i++) expect((await c.next(m => m.type === 'pong' || m.type === 'error')).type).to.equal('pong')
        const e = await c.next(m => m.type === 'error')
        expect(e.code).to.equal('RATE_LIMITED')
        expect(e.id).to.equal(undefined) // refused before parsing
        h.clock.t += 1000 // two more tokens
        c.send({ op: 'ping', id: 'a' })
        expect((await c.next(m => m.type === 'pong' || m.type === 'error')).id).to.equal('a')
        for (let i = 0; i < 10; i++) c.send({ op: 'ping' })
        await waitFor(() => c.closed !== null, 'close')
        expect(c.closed).to.deep.equal({ code: 4029, reason: 'rate limit' })
        expect(await metric(h.registry, 'volumer_edge_ws_dropped_total', { reason: 'rate_limit' })).to.equal(1)
      } finally { await h.close() }
    })

    it('sends a heartbeat to a connection that was sent nothing for heartbeatMs', async () => {
      const h = await harness({ ws: { heartbeatMs: 5000 } })
      try {
        const c = await h.open()
        h.clock.t += 5000
        const hb = await c.next(m => m.type === 'heartbeat')
        expect(hb.t).to.equal(h.clock.t)
      } finally { await h.close() }
    })
  })

  describe('backpressure', () => {
    it('coalesces then drops a client that stops reading while a fast client keeps receiving every update', async function () {
      this.timeout(60_000)
      const tokens = 40
      const h = await harness({ ws: { coalesceAboveBytes: 64 * 1024, closeAboveBytes: 64 * 1024 * 1024, slowClientTimeoutMs: 5000 } }, tokens)
      try {
        const keys = Array.from({ length: tokens }, (_, i) => 'ethereum:t' + i)
        const fast = await h.open()
        fast.send({ op: 'subscribe', tokens: keys })
        await fast.next(m => m.type === 'subscribed')
        const slow = await rawWsClient(h.server.port)
        slow.send({ op: 'subscribe', tokens: keys })
        await waitFor(() => h.server.hub.subscriptions === 2 * tokens, 'slow subscriptions')
        const r = rng(77)
        const last = new Map<string, unknown>()
        let rounds = 0
        // publish until the slow client's socket buffers are full and its updates coalesce
        while (await metric(h.registry, 'volumer_edge_ws_coalesced_total') < 100) {
          if (++rounds > 3000) throw new Error('never coalesced')
          for (const k of keys) { const s = makeStats('ethereum', k.split(':')[1], r, T0 + rounds); h.feed.publish(k, s); last.set(k, s) }
          await new Promise(resolve => setImmediate(resolve))
        }
        // the fast client keeps receiving: in order, no gaps, ending at the last value of each token
        // (it shares this process with the publisher, so it may itself be coalesced a little)
        const lastOf = (k: string): any => { const mine = fast.msgs.filter(m => m.sub === 'token:' + k); return mine[mine.length - 1] }
        await waitFor(() => keys.every(k => JSON.stringify(lastOf(k)?.data) === JSON.stringify(last.get(k))), 'fast client to catch up', 30_000)
        for (const k of keys) {
          const mine = fast.msgs.filter(m => m.sub === 'token:' + k)
          expect(mine.map(m => m.seq)).to.deep.equal(Array.from({ length: mine.length }, (_, i) => i + 1))
          expect(mine.length).to.be.above(rounds / 2)
        }
        expect(await metric(h.registry, 'volumer_edge_ws_dropped_total', { reason: 'slow_consumer' })).to.equal(0)
        // the slow client stays stalled past slowClientTimeoutMs: dropped, socket closed
        h.clock.t += 5001
        await waitFor(() => h.server.hub.clients === 1, 'slow client dropped', 10_000)
        expect(await metric(h.registry, 'volumer_edge_ws_dropped_total', { reason: 'slow_consumer' })).to.equal(1)
        // it never read, so it sees the close only once it reads its backlog: the last frame is
        // the close frame with 4008 "slow consumer" (uWS closes the TCP socket itself after a timeout)
        const tail: Buffer[] = []
        slow.socket.on('data', (d: Buffer) => { tail.push(d); if (tail.length > 4) tail.shift() })
        slow.socket.resume()
        await slow.closed
        const end = Buffer.concat(tail)
        const reason = Buffer.from('slow consumer')
        const closeFrame = Buffer.concat([Buffer.from([0x88, 2 + reason.length, 4008 >> 8, 4008 & 255]), reason])
        expect(end.subarray(end.length - closeFrame.length).equals(closeFrame)).to.equal(true)
        expect(fast.closed).to.equal(null)
        await fast.sync()
      } finally { await h.close() }
    })
  })

  it('closes every WebSocket with 1001 when the server closes', async () => {
    const h = await harness()
    const c = await h.open()
    await h.server.close()
    await waitFor(() => c.closed !== null, 'close')
    expect(c.closed?.code).to.equal(1001)
  })

  it('survives garbage on a raw upgraded socket', async () => {
    const h = await harness()
    try {
      const raw = await rawWsClient(h.server.port)
      raw.socket.write(clientFrame(Buffer.from('{"op":"ping"}'), 0x0)) // continuation with no start
      raw.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
      await raw.closed
      const c = await h.open()
      await c.sync()
    } finally { await h.close() }
  })
})
