import { expect } from 'chai'
import type { EdgeServer, EdgeServerOptions } from '../../../src/edge/edge-server.js'
import { createMemoryStatsFeed, type MemoryStatsFeed } from '../../../src/edge/stats-feed.js'
import { DEFAULT_WS_HUB_OPTIONS } from '../../../src/edge/ws-hub.js'
import { RANK_STATS } from '../../../src/edge/rank-value.js'
import { makeStats, rng, waitFor } from '../fixtures.js'
import { startServer } from '../helpers.js'
import { TestClient } from '../ws-client.js'

/**
 * Issue #20 §3: one connection must not starve the others, and a request must be charged by what
 * it costs. Real edge (uWebSockets.js) in this process, fixture tokens, injected clock: the byte
 * budgets refill only when the test moves the clock, so the figures are exact, not timed.
 */
const T0 = 1_750_000_000_000

interface Harness { feed: MemoryStatsFeed, server: EdgeServer, clock: { t: number }, open: () => Promise<TestClient>, close: () => Promise<void> }

async function harness (opts: Partial<EdgeServerOptions> = {}, tokens = 200): Promise<Harness> {
  const feed = createMemoryStatsFeed()
  const r = rng(5)
  for (let i = 0; i < tokens; i++) feed.publish('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
  const clock = { t: T0 }
  const server = await startServer(feed, { now: () => clock.t, ...opts, ws: { rankedIntervalMs: 20, heartbeatMs: 0, ...opts.ws } })
  await server.caughtUp
  const clients: TestClient[] = []
  return {
    feed,
    server,
    clock,
    open: async () => { const c = await TestClient.open(server.port); clients.push(c); return c },
    close: async () => { for (const c of clients) await c.close(); await server.close() }
  }
}

/** distinct ranked lists, each needing its own index: (stat, window, chain) differ */
function distinctLists (n: number, offset = 0): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const stat of RANK_STATS) {
    if (stat === 'lastPrice') continue
    for (const window of ['1m', '5m', '1h', '24h']) {
      for (const chain of [undefined, 'ethereum']) out.push({ stat, window, chain, limit: 5 })
    }
  }
  return out.slice(offset, offset + n)
}

async function subscribeTop (c: TestClient, top: Record<string, unknown>, id: number): Promise<any> {
  c.send({ op: 'subscribe', id, top })
  return await c.next(m => (m.type === 'subscribed' || m.type === 'error') && m.id === id)
}

describe('hostile clients: fair sharing and bounded cost (issue #20 §3)', function () {
  this.timeout(60_000)

  it('two sockets × 16 distinct ranked lists cannot take every index slot: a third client still gets a new list', async () => {
    const h = await harness()
    try {
      const lists = distinctLists(33)
      const [a, b, c] = [await h.open(), await h.open(), await h.open()]
      let id = 0
      const answers: string[] = []
      for (let i = 0; i < 16; i++) answers.push((await subscribeTop(a, lists[i], ++id)).type)
      for (let i = 16; i < 32; i++) answers.push((await subscribeTop(b, lists[i], ++id)).type)
      const third = await subscribeTop(c, lists[32], ++id)
      expect(third.type, JSON.stringify(third)).to.equal('subscribed')
      // each greedy socket got its share, and was told why not more
      const share = DEFAULT_WS_HUB_OPTIONS.maxSoleRankedLists
      expect(answers.slice(0, 16).filter(t => t === 'subscribed')).to.have.length(share)
      expect(answers.slice(16).filter(t => t === 'subscribed')).to.have.length(share)
    } finally { await h.close() }
  })

  it('a list someone else follows costs no share: a socket over its share may still join it', async () => {
    const h = await harness()
    try {
      const lists = distinctLists(9)
      const [a, b] = [await h.open(), await h.open()]
      let id = 0
      for (let i = 0; i < 8; i++) expect((await subscribeTop(b, lists[i], ++id)).type).to.equal('subscribed')
      expect((await subscribeTop(b, lists[8], ++id)).code).to.equal('TOO_MANY_SUBSCRIPTIONS')
      expect((await subscribeTop(a, lists[8], ++id)).type).to.equal('subscribed')
      expect((await subscribeTop(b, lists[8], ++id)).type).to.equal('subscribed')
      // and the shared list is not counted against a's own share either
      for (let i = 0; i < 7; i++) expect((await subscribeTop(a, distinctLists(1, 20 + i)[0], ++id)).type).to.equal('subscribed')
      expect((await subscribeTop(a, distinctLists(1, 30)[0], ++id)).type).to.equal('subscribed')
    } finally { await h.close() }
  })

  it('20 sockets re-subscribing 100 tokens are sent at most their snapshot budget; every snapshot still arrives once the budget refills', async () => {
    const budget = DEFAULT_WS_HUB_OPTIONS.snapshotBurstBytes
    const rate = DEFAULT_WS_HUB_OPTIONS.snapshotBytesPerSecond
    const h = await harness()
    try {
      const tokens = Array.from({ length: 100 }, (_, i) => 'ethereum:t' + i)
      const clients = await Promise.all(Array.from({ length: 20 }, async () => await h.open()))
      const received = clients.map(() => 0)
      const sent = clients.map(() => 0)
      clients.forEach((c, i) => c.ws.on('message', (d: Buffer) => { received[i] += d.length }))
      const msg = JSON.stringify({ op: 'subscribe', tokens })
      // 30 re-subscriptions each, within the message burst (40): nothing is refused for rate
      for (let round = 0; round < 30; round++) {
        clients.forEach((c, i) => { c.send(msg); sent[i] += msg.length })
        await new Promise(resolve => setImmediate(resolve))
      }
      for (const c of clients) await c.sync()
      const entryBytes = Math.max(...tokens.map(t => h.server.store.get(t)?.json?.length ?? 0))
      // 30 "subscribed" answers, the hello and the pong are not snapshots
      const acks = 30 * JSON.stringify({ type: 'subscribed', subs: tokens.map(t => 'token:' + t) }).length + 1000
      const ratio = received.reduce((a, b) => a + b) / sent.reduce((a, b) => a + b)
      console.log(`      clock still: received per socket ≤ ${Math.max(...received)} B (budget ${budget} B), ${ratio.toFixed(1)}× the bytes sent`)
      for (const r of received) expect(r).to.be.below(budget + entryBytes + 200 + acks)
      // the clock moves: the budget refills and the snapshots still owed go out, each token's
      // last message a snapshot at seq 1 (asked for again while waiting = sent once)
      for (let s = 0; s < 20; s++) {
        h.clock.t += 1000
        await new Promise(resolve => setTimeout(resolve, 30))
      }
      for (const c of clients) {
        await waitFor(() => tokens.every(t => { const mine = c.msgs.filter(m => m.sub === 'token:' + t); return mine.length > 0 && mine[mine.length - 1].type === 'snapshot' }), 'every snapshot')
      }
      const total = Math.max(...received)
      expect(total).to.be.below(budget + 20 * rate + entryBytes + 200 + acks)
    } finally { await h.close() }
  })
})
