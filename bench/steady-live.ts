/**
 * The live phase of bench/steady.bench.ts: the generator of the backfill carries on at `rate`
 * swaps/s of wall-clock time over the same tokens (fresh ids: its random stream continues), and
 * beside it a few probe swaps per second on fresh probe tokens measure produce → committed
 * stats (read_committed) and produce → WebSocket. A probe token's n-th swap has arrived once a
 * stats record / WebSocket update of it shows 24h txns ≥ n (unique ids, nothing else on those
 * tokens), the method of bench/e2e-latency.bench.ts. All times are this process's
 * performance.now().
 */
import WebSocket from 'ws'
import { createStatsDecoder, type SwapRecord } from '../src/codec/index.js'
import type { StatsObject } from '../src/engine/stats.js'
import type { SwapGenerator } from '../src/generator/index.js'
import { sleep, waitUntil, type TestCluster } from '../test/helpers/cluster.js'
import type { EdgeProcess } from '../test/helpers/edge-process.js'
import { createInputProducer } from '../test/helpers/swap-stream.js'

const PROBE_CHAIN = 'steadyprobe'

export interface LiveOptions {
  seconds: number
  /** generator swaps per second */
  rate: number
  probeTokens: number
  /** probe swaps per second, on top of `rate` */
  probeRate: number
  /** population tokens the WebSocket client also subscribes to (their updates are traffic, not measured) */
  alsoSubscribe: string[]
  /** called every ~second with the elapsed seconds (RSS samples) */
  onTick?: (elapsedS: number) => void
}

export interface Latency { n: number, p50: number, p90: number, p99: number, max: number }

export interface LiveResult {
  seconds: number
  generatorSwaps: number
  probeSwaps: number
  achievedRate: number
  onStats: Latency
  onWs: Latency
  undeliveredAtWs: number
  wsMessages: number
  maxSendTickGapMs: number
}

function latency (xs: number[]): Latency {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number): number => s.length === 0 ? NaN : Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) }
}

class Stage {
  readonly seen: Int32Array
  readonly lat: number[] = []
  constructor (readonly sentAt: number[][]) { this.seen = new Int32Array(sentAt.length) }
  reached (k: number, count: number, at: number): void {
    const sent = this.sentAt[k]
    for (let n = this.seen[k]; n < count && n < sent.length; n++) this.lat.push(at - sent[n])
    if (count > this.seen[k]) this.seen[k] = Math.min(count, sent.length)
  }

  pending (): number { return this.sentAt.reduce((a, s, k) => a + s.length - this.seen[k], 0) }
}

export async function runLive (cluster: TestCluster, edge: EdgeProcess, gen: SwapGenerator, o: LiveOptions): Promise<LiveResult> {
  const probeIndex = (key: string): number => key.startsWith(PROBE_CHAIN + ':p') ? Number(key.slice(PROBE_CHAIN.length + 2)) : -1
  const sentAt: number[][] = Array.from({ length: o.probeTokens }, () => [])
  const onStats = new Stage(sentAt)
  const onWs = new Stage(sentAt)
  let stopping = false

  const decoder = createStatsDecoder(cluster.registry)
  const reader = await cluster.log.createReader({ partitions: Array.from({ length: cluster.partitions }, (_, i) => ({ topic: cluster.topics.stats, partition: i, from: 'latest' as const })) })
  const reading = (async () => {
    while (!stopping) {
      for (const b of await reader.poll(10_000, 50)) {
        const at = performance.now()
        const probes = b.records.filter((r) => r.key !== null && r.value !== null && probeIndex(r.key.toString()) >= 0)
        if (probes.length === 0) continue
        await decoder.prepare(probes.map((r) => r.value))
        for (const r of probes) onStats.reached(probeIndex(r.key!.toString()), decoder.decode(r.value!).windows['24h']?.txns ?? 0, at)
      }
    }
  })()

  const ws = new WebSocket(`ws://127.0.0.1:${await edge.port()}/v1/ws`)
  // listened for at once: the socket may open during the awaits below
  const opened = new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  let acks = 0
  let wsMessages = 0
  ws.on('message', (data) => {
    const at = performance.now()
    wsMessages++
    const m = JSON.parse(data.toString()) as { type: string, data?: StatsObject | null }
    if (m.type === 'subscribed') acks++
    if ((m.type === 'update' || m.type === 'snapshot') && m.data != null) {
      const k = probeIndex(m.data.chain + ':' + m.data.token)
      if (k >= 0) onWs.reached(k, m.data.windows['24h']?.txns ?? 0, at)
    }
  })
  const input = await createInputProducer(cluster, 5)
  try {
    await opened
    const keys = [...Array.from({ length: o.probeTokens }, (_, k) => `${PROBE_CHAIN}:p${k}`), ...o.alsoSubscribe]
    for (let i = 0; i < keys.length; i += 100) ws.send(JSON.stringify({ op: 'subscribe', id: i, tokens: keys.slice(i, i + 100) }))
    await waitUntil(() => acks === Math.ceil(keys.length / 100), 'subscription acks', 10_000)

    let n = 0
    let p = 0
    let lastTick = performance.now()
    let maxGap = 0
    let lastReport = 0
    const t0 = performance.now()
    for (;;) {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - lastTick)
      lastTick = now
      const elapsed = (now - t0) / 1000
      if (elapsed >= o.seconds) break
      const wall = Date.now()
      const dueN = Math.floor(elapsed * o.rate)
      while (n < dueN) {
        const r = gen.next(wall)
        input.send([{ kind: 'swap', key: r.chain + ':' + r.token, record: r }])
        n++
      }
      const dueP = Math.floor(elapsed * o.probeRate)
      while (p < dueP) {
        const k = p % o.probeTokens
        const rec: SwapRecord = {
          id: `steady-probe-${p}`, chain: PROBE_CHAIN, token: `p${k}`, blockNumber: p, logIndex: 0, blockTime: wall,
          quoteToken: null, pool: null, trader: `0xprobe${p % 13}`, side: p % 2 === 0 ? 'BUY' : 'SELL', amount: '1.5', amountUsd: '3'
        }
        sentAt[k].push(performance.now())
        input.send([{ kind: 'swap', key: `${PROBE_CHAIN}:p${k}`, record: rec }])
        p++
      }
      if (Math.floor(elapsed) > lastReport) { lastReport = Math.floor(elapsed); o.onTick?.(lastReport) }
      await sleep(5)
    }
    const sendSeconds = (performance.now() - t0) / 1000
    await input.producer.flush()
    const until = performance.now() + 15_000
    while (onWs.pending() > 0 && performance.now() < until) await sleep(20)
    return {
      seconds: o.seconds, generatorSwaps: n, probeSwaps: p, achievedRate: Math.round(n / sendSeconds),
      onStats: latency(onStats.lat), onWs: latency(onWs.lat), undeliveredAtWs: onWs.pending(), wsMessages, maxSendTickGapMs: Math.round(maxGap)
    }
  } finally {
    stopping = true
    await reading.catch(() => {})
    ws.close()
    await input.close().catch(() => {})
    await reader.close().catch(() => {})
  }
}
