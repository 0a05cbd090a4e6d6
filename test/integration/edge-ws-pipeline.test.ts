/**
 * The WebSocket feed through the whole pipeline: swaps produced to Kafka → `volumer processor`
 * (exactly-once cycles) → `stats` → `volumer edge` → a `ws` client. A token subscription and a
 * ranked-list subscription get a snapshot, then updates in seq order whose numbers are those of
 * the swaps produced (txns, buys, sells, exact USD volume, traders, last trade time), and the
 * ranked list reorders when the other token overtakes.
 * Needs `scripts/services.sh start`.
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import type { SwapRecord } from '../../src/codec/index.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { createTestCluster, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { EdgeFleet, type EdgeProcess } from '../helpers/edge-process.js'
import { tokenPath } from '../helpers/edge-checks.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { createInputProducer } from '../helpers/swap-stream.js'
import { TestClient } from '../edge/ws-client.js'

const WINDOWS = '1m,5m,1h,24h'
const CHAIN = 'wstest'

describe('edge WebSocket through processor and Kafka', function () {
  this.timeout(180_000)
  let cluster: TestCluster
  let processors: ProcessorFleet
  let edges: EdgeFleet
  let edge: EdgeProcess
  let input: Awaited<ReturnType<typeof createInputProducer>>
  let client: TestClient | undefined

  before(async () => {
    cluster = await createTestCluster({ name: 'edge-ws', partitions: 3 })
    processors = new ProcessorFleet(cluster, { windows: WINDOWS, cycle: '100ms' })
    edges = new EdgeFleet(cluster, { windows: WINDOWS })
    const p = processors.start('p1')
    edge = edges.start('e1')
    await Promise.all([p.waitReady(), edge.waitReady()])
    input = await createInputProducer(cluster, 1)
  })
  after(async () => {
    await client?.close()
    await input?.close()
    await edges?.stopAll()
    await processors?.stopAll()
    await cluster?.close()
  })

  it('token and ranked-list subscriptions: snapshot, then updates in seq order matching the produced swaps', async () => {
    const run = randomBytes(3).toString('hex')
    const A = `tokA-${run}`
    const B = `tokB-${run}`
    let n = 0
    const sent: Record<string, SwapRecord[]> = { [A]: [], [B]: [] }
    const produce = async (token: string, count: number): Promise<void> => {
      for (let i = 0; i < count; i++, n++) {
        // unique ids, increasing blockTimes a little in the past (within every window, not future)
        const rec: SwapRecord = {
          id: `ws-${run}-${n}`, chain: CHAIN, token, blockNumber: 1000 + n, logIndex: 0, blockTime: Date.now() - 2000,
          quoteToken: null, pool: null, trader: `0xt${n % 7}`, side: n % 3 === 0 ? 'SELL' : 'BUY',
          amount: `${1 + (n % 5)}.25`, amountUsd: `${10 + n}.000001`
        }
        sent[token].push(rec)
        input.send([{ kind: 'swap', key: `${CHAIN}:${token}`, record: rec }])
      }
      await input.producer.flush()
    }

    // A exists (5 swaps) before the subscription, B (2 swaps) too
    await produce(A, 5)
    await produce(B, 2)
    const txnsOnEdge = async (t: string): Promise<unknown> => (await edge.get(tokenPath(`${CHAIN}:${t}`))).json?.windows?.['24h']?.txns
    await waitUntil(async () => await txnsOnEdge(A) === 5 && await txnsOnEdge(B) === 2, 'the seed swaps on the edge', 60_000, 100)

    client = await TestClient.open(await edge.port())
    client.send({ op: 'subscribe', id: 1, tokens: [`${CHAIN}:${A}`] })
    client.send({ op: 'subscribe', id: 2, top: { stat: 'txns', window: '24h', limit: 10, order: 'desc', chain: CHAIN } })
    const tokenSub = `token:${CHAIN}:${A}`
    const topSub = `top:txns:24h:desc:10:${CHAIN}`
    const snap = await client.next((m) => m.type === 'snapshot' && m.sub === tokenSub, 20_000)
    expect(snap.seq).to.equal(1)
    expect(snap.data.windows['24h'].txns).to.equal(5)
    const topSnap = await client.next((m) => m.type === 'snapshot' && m.sub === topSub, 20_000)
    expect(topSnap.seq).to.equal(1)
    expect(topSnap.data.items.map((i: any) => [i.token, i.value])).to.deep.equal([[A, 5], [B, 2]])

    // 20 more for A in four bursts, each awaited on the WebSocket, then 30 for B: B overtakes A
    const msgs = client.msgs
    for (let burst = 1; burst <= 4; burst++) {
      await produce(A, 5)
      await waitUntil(() => msgs.some((m) => m.type === 'update' && m.sub === tokenSub && m.data?.windows['24h'].txns === 5 + 5 * burst), `A at ${5 + 5 * burst} txns over the WebSocket`, 60_000, 20)
    }
    await produce(B, 30)
    await waitUntil(() => msgs.some((m) => m.type === 'update' && m.sub === topSub && m.data.items[0]?.token === B && m.data.items[0]?.value === 32), 'B first with 32 txns in the ranked list', 60_000, 20)

    // token subscription: seq 2, 3, … with numbers only ever growing, ending at the produced totals
    const updates = msgs.filter((m) => m.type === 'update' && m.sub === tokenSub)
    expect(updates.map((m) => m.seq)).to.deep.equal(updates.map((_, i) => i + 2))
    let prev = snap
    for (const u of updates) {
      expect(u.rev, 'rev grows').to.be.greaterThan(prev.rev)
      expect(u.data.windows['24h'].txns, 'txns never shrink').to.be.at.least(prev.data.windows['24h'].txns)
      prev = u
    }
    // every burst's total was seen (each was awaited); a cycle boundary inside a burst could add
    // an intermediate count, a 1m-window decay update would repeat one
    const counts = [...new Set(updates.map((u) => u.data.windows['24h'].txns))]
    for (const c of [10, 15, 20, 25]) expect(counts, 'txns seen over the WebSocket').to.include(c)
    expect(counts.at(-1)).to.equal(25)
    const last: StatsObject = updates[updates.length - 1].data
    const swaps = sent[A]
    const w = last.windows['24h']
    expect(w.txns).to.equal(swaps.length)
    expect(w.buys).to.equal(swaps.filter((s) => s.side === 'BUY').length)
    expect(w.sells).to.equal(swaps.filter((s) => s.side === 'SELL').length)
    expect(w.traders).to.equal(new Set(swaps.map((s) => s.trader)).size)
    expect(w.volumeUsd).to.equal(exactSum(swaps.map((s) => s.amountUsd)))
    expect(w.volume).to.equal(exactSum(swaps.map((s) => s.amount)))
    expect(last.lastTradeAt).to.equal(new Date(Math.max(...swaps.map((s) => s.blockTime))).toISOString())
    // the edge's HTTP answer and the WebSocket's newest value agree (a later decay update of the
    // 1m window may move both, so this is waited for rather than sampled once)
    await waitUntil(async () => {
      const http = JSON.stringify((await edge.get(tokenPath(`${CHAIN}:${A}`))).json)
      await client!.sync()
      return JSON.stringify(msgs.filter((m) => m.sub === tokenSub).at(-1).data) === http
    }, 'the HTTP token answer equal to the last WebSocket update', 20_000, 100)

    // ranked list: seq in order, and the final order is B (32) then A (25)
    const topUpdates = msgs.filter((m) => m.type === 'update' && m.sub === topSub)
    expect(topUpdates.map((m) => m.seq)).to.deep.equal(topUpdates.map((_, i) => i + 2))
    const final = topUpdates[topUpdates.length - 1].data
    expect(final.items.map((i: any) => [i.rank, i.token, i.value])).to.deep.equal([[1, B, 32], [2, A, 25]])
    // ranked updates are paced (≤ 4/s), so the last one converges on the HTTP answer
    await waitUntil(async () => {
      const http = JSON.stringify((await edge.get(`/v1/top?stat=txns&window=24h&limit=10&order=desc&chain=${CHAIN}`)).json)
      await client!.sync()
      return JSON.stringify(msgs.filter((m) => m.sub === topSub).at(-1).data) === http
    }, 'the HTTP top answer equal to the last ranked update', 20_000, 100)
    expect(msgs.filter((m) => m.type === 'error'), 'protocol errors').to.deep.equal([])
    console.log(`      ${updates.length} token updates (txns ${updates.map((u) => u.data.windows['24h'].txns).join(' ')}), ${topUpdates.length} ranked updates`)
  })
})

/** canonical decimal sum of decimal strings (BigInt in 1e-18 units), as the stats object prints it */
function exactSum (xs: string[]): string {
  let t = 0n
  for (const x of xs) { const [i, f = ''] = x.split('.'); t += BigInt(i + f.padEnd(18, '0')) }
  const s = t.toString().padStart(19, '0')
  const int = s.slice(0, -18)
  const frac = s.slice(-18).replace(/0+$/, '')
  return frac === '' ? int : `${int}.${frac}`
}
