import { expect } from 'chai'
import { connect, type Socket } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { Registry } from 'prom-client'
import { createMemoryStatsFeed } from '../../../src/edge/stats-feed.js'
import { makeStats, rng, waitFor } from '../fixtures.js'
import { startServer } from '../helpers.js'
import { TestClient, rawWsClient } from '../ws-client.js'
import { MiB, healthzMs, percentile, probeHealthz, startEdgeProcess, type EdgeProcess } from './edge-process.js'

/**
 * Issue #20 §1: a client must not be able to push the edge's memory up. Each case runs a real
 * edge (uWebSockets.js, 2,000 fixture tokens) in its own process, attacks it with real sockets
 * that never read, and measures that process's RSS and /healthz from outside.
 *
 * A failing run is kept bounded: the attack is sent in rounds and stops as soon as the RSS budget
 * is blown, so the test cannot eat the machine's memory when the limits are missing.
 */
const RSS_BUDGET = 64 * MiB
const HEALTHZ_P99_MS = 50

/**
 * The target is p99 < 50 ms. Up to 7 other engineers' builds share this 2-core machine, and at a
 * load of 10+ an idle edge alone shows a p99 of 40–80 ms, so the test measures /healthz without the
 * attacker first and fails when the attack adds more than the target on top of that. On a quiet
 * machine the control is a few ms and the bound is the target itself.
 */
function p99Limit (control: number[]): number {
  return HEALTHZ_P99_MS + percentile(control, 99)
}

/**
 * Past ~5 runnable processes per core the edge waits for a core more than it runs (a --cpu-prof
 * of the WebSocket case at load 28 showed no busy stretch over 25 ms after start-up while /healthz
 * p99 was 260 ms): the latency bound is then not checked, and the test says so. RSS is always checked.
 */
function checkLatency (p99: number, control: number[]): void {
  const perCore = loadavg()[0] / cpus().length
  if (perCore > 5) {
    console.log(`      /healthz p99 not checked: load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores (the machine, not the edge, sets the latency)`)
    return
  }
  expect(p99, '/healthz p99 ms').to.be.below(p99Limit(control))
}

async function controlProbe (edge: EdgeProcess, ms: number): Promise<number[]> {
  const control = probeHealthz(edge.port)
  await new Promise(resolve => setTimeout(resolve, ms))
  return await control.stop()
}

async function settle (edge: EdgeProcess): Promise<number> {
  // a few requests so the first-use allocations (ranked index, JIT) are in the baseline
  for (let i = 0; i < 5; i++) await healthzMs(edge.port)
  await new Promise(resolve => setTimeout(resolve, 300))
  return edge.rss()
}

function neverReading (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    s.once('connect', () => { s.pause(); resolve(s) })
    s.once('error', reject)
  })
}

describe('hostile clients: memory a client cannot push up (issue #20 §1)', function () {
  this.timeout(120_000)

  it('10 connections pipelining 2,000 × GET /v1/top?window=24h&limit=500 without reading: RSS grows < 64 MB, /healthz p99 < 50 ms', async () => {
    const edge = await startEdgeProcess()
    try {
      // the ranked index and the first answer are built before the baseline
      const warm = await neverReading(edge.port)
      warm.resume()
      warm.write('GET /v1/top?window=24h&limit=500 HTTP/1.1\r\nHost: x\r\n\r\n')
      await new Promise(resolve => setTimeout(resolve, 500))
      warm.destroy()
      const controlSamples = await controlProbe(edge, 3000)
      const base = await settle(edge)
      const probe = probeHealthz(edge.port)
      const clients = await Promise.all(Array.from({ length: 10 }, async () => await neverReading(edge.port)))
      const req = 'GET /v1/top?window=24h&limit=500 HTTP/1.1\r\nHost: x\r\n\r\n'
      let peak = base
      let sent = 0
      for (let round = 0; round < 10 && peak - base < RSS_BUDGET * 2; round++) {
        for (const c of clients) if (!c.destroyed) c.write(req.repeat(200))
        sent += 200
        await new Promise(resolve => setTimeout(resolve, 200))
        peak = Math.max(peak, edge.rss())
      }
      for (let i = 0; i < 10; i++) { await new Promise(resolve => setTimeout(resolve, 100)); peak = Math.max(peak, edge.rss()) }
      const samples = await probe.stop()
      const closedByServer = clients.filter(c => c.destroyed || c.readableEnded).length
      for (const c of clients) c.destroy()
      const p99 = percentile(samples, 99)
      console.log(`      pipelined /v1/top: ${sent} requests per connection sent, RSS ${(base / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MB (+${((peak - base) / MiB).toFixed(1)}), /healthz p50 ${percentile(samples, 50).toFixed(1)} ms p99 ${p99.toFixed(1)} ms max ${Math.max(...samples).toFixed(1)} ms (${samples.length} probes), ${closedByServer}/10 closed by the server; no attacker: p50 ${percentile(controlSamples, 50).toFixed(1)} ms p99 ${percentile(controlSamples, 99).toFixed(1)} ms`)
      expect(peak - base, 'RSS growth').to.be.below(RSS_BUDGET)
      checkLatency(p99, controlSamples)
    } finally {
      await edge.stop()
    }
  })

  it('10 WebSocket clients that subscribe to 100 live tokens, re-subscribe and never read: RSS grows < 64 MB, /healthz p99 < 50 ms, memory comes back after close', async () => {
    const edge = await startEdgeProcess({ EDGE_CHILD_UPDATES_PER_S: '2000' })
    try {
      // the same live updates with no attacker first: the heap they churn is in the baseline, and
      // the /healthz they see on this (shared) machine is printed beside the figure under attack
      const controlSamples = await controlProbe(edge, 4000)
      const base = await settle(edge)
      const probe = probeHealthz(edge.port)
      const tokens = Array.from({ length: 100 }, (_, i) => 'ethereum:t' + i)
      // HOSTILE_WS_CLIENTS=100 measures the 100 sockets (the RSS budget is for 10)
      const clients = await Promise.all(Array.from({ length: Number(process.env.HOSTILE_WS_CLIENTS ?? 10) }, async () => await rawWsClient(edge.port)))
      let peak = base
      // 10 s at 10 messages/s (under the rate limit of 20/s): each re-subscription asks for 100 snapshots
      for (let round = 0; round < 100 && peak - base < RSS_BUDGET * 2; round++) {
        for (const c of clients) if (!c.socket.destroyed) c.send({ op: 'subscribe', tokens })
        await new Promise(resolve => setTimeout(resolve, 100))
        if (round % 5 === 0) peak = Math.max(peak, edge.rss())
      }
      const samples = await probe.stop()
      for (const c of clients) c.socket.destroy()
      await new Promise(resolve => setTimeout(resolve, 2000))
      const after = await settle(edge)
      const p99 = percentile(samples, 99)
      console.log(`      ${clients.length} never-reading WebSockets: RSS ${(base / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MB (+${((peak - base) / MiB).toFixed(1)}), after close +${((after - base) / MiB).toFixed(1)} MB, /healthz p50 ${percentile(samples, 50).toFixed(1)} ms p99 ${p99.toFixed(1)} ms max ${Math.max(...samples).toFixed(1)} ms (${samples.length} probes); no attacker: p50 ${percentile(controlSamples, 50).toFixed(1)} ms p99 ${percentile(controlSamples, 99).toFixed(1)} ms`)
      expect(peak - base, 'RSS growth').to.be.below(RSS_BUDGET)
      expect(after - base, 'RSS after the clients left').to.be.below(RSS_BUDGET / 2)
      checkLatency(p99, controlSamples)
    } finally {
      await edge.stop()
    }
  })
})

describe('hostile clients: WebSocket buffers of all clients together (maxBufferedTotalBytes)', function () {
  this.timeout(60_000)

  // Coalescing keeps a slow socket's buffer near coalesceAboveBytes, so the total matters when
  // slow sockets × coalesceAboveBytes passes it (256 of them at the defaults); here 3 × 64 KiB
  // against a 128 KiB cap: two are closed, the third fits.
  it('closes never-reading sockets over coalesceAboveBytes once all buffers together pass the cap, long before their own cap; a reading client keeps going', async () => {
    const feed = createMemoryStatsFeed()
    const r = rng(8)
    const keys = Array.from({ length: 40 }, (_, i) => 'ethereum:t' + i)
    for (const k of keys) feed.publish(k, makeStats('ethereum', k.split(':')[1], r))
    const registry = new Registry()
    const clock = { t: 1_750_000_000_000 }
    const server = await startServer(feed, {
      now: () => clock.t,
      metricsRegistry: registry,
      // own cap and stall timeout out of reach: only the total can close them
      ws: { coalesceAboveBytes: 64 * 1024, closeAboveBytes: 64 * MiB, maxBufferedTotalBytes: 128 * 1024, slowClientTimeoutMs: 600_000, heartbeatMs: 0, rankedIntervalMs: 20 }
    })
    const fast = await TestClient.open(server.port)
    try {
      await server.caughtUp
      fast.send({ op: 'subscribe', tokens: keys })
      await fast.next(m => m.type === 'subscribed')
      const slow = await Promise.all([0, 1, 2].map(async () => await rawWsClient(server.port)))
      for (const s of slow) s.send({ op: 'subscribe', tokens: keys })
      await waitFor(() => server.hub.subscriptions === 4 * keys.length, 'subscriptions')
      const dropped = async (): Promise<number> => (await registry.getSingleMetric('volumer_edge_ws_dropped_total')?.get())?.values.find(v => v.labels.reason === 'slow_consumer')?.value ?? 0
      let rounds = 0
      let peak = 0
      const deadline = Date.now() + 30_000
      while (await dropped() < 2) {
        rounds++
        if (Date.now() > deadline) throw new Error(`only ${await dropped()} dropped after ${rounds} rounds; all buffers together peaked at ${peak} B`)
        for (const k of keys) feed.publish(k, makeStats('ethereum', k.split(':')[1], r, clock.t + rounds))
        peak = Math.max(peak, server.hub.bufferedBytes)
        await new Promise(resolve => setImmediate(resolve))
      }
      console.log(`      2 of 3 never-reading sockets closed after ${rounds} rounds of 40 updates; all buffers together peaked at ${(peak / 1024).toFixed(0)} KiB (cap 128 KiB, each socket's own cap 64 MiB)`)
      // closed by the total, far below their own cap: at most one message past the cap per socket
      expect(peak).to.be.below(128 * 1024 + 3 * 8 * 1024)
      await waitFor(() => server.hub.clients === 2, 'the reading client and one slow one left')
      expect(await dropped()).to.equal(2)
      expect(fast.closed).to.equal(null)
      await fast.sync()
    } finally {
      await fast.close()
      await server.close()
    }
  })
})
