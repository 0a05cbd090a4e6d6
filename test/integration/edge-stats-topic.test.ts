/**
 * Two `volumer edge` processes against a `stats` topic written by a real `volumer processor` on
 * Kafka (the shipped sample, replayed by `volumer produce --replay` so its last swap is "now"):
 * every key of the compacted topic is served exactly as the topic holds it by both edges, ranked
 * lists follow the documented order (brute-force sort of the topic's values) and are identical on
 * both, and a batch answers like the singles.
 *
 * Edge A starts before any data and tails it live; edge B starts after the processor stopped and
 * rehydrates: at its first /readyz 200 it must already serve everything (readiness means caught up).
 * Needs `scripts/services.sh start` (Kafka 127.0.0.1:19092, Postgres 127.0.0.1:55432).
 */
import { expect } from 'chai'
import type { StatsObject } from '../../src/engine/stats.js'
import { createTestCluster, type TestCluster } from '../helpers/cluster.js'
import { EdgeFleet, type EdgeProcess } from '../helpers/edge-process.js'
import { expectedTop, mapLimit, readStatsTopic, runProduce, tokenMismatches, topPath, waitTokensEqual, type TopQuery } from '../helpers/edge-checks.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { ETHEREUM_SAMPLE } from '../helpers/sample-data.js'

const WINDOWS = '1m,5m,1h,24h'

const QUERIES: TopQuery[] = [
  { stat: 'volumeUsd', window: '5m', order: 'desc', chain: null, limit: 50 },
  { stat: 'volumeUsd', window: '24h', order: 'asc', chain: 'ethereum', limit: 500 },
  { stat: 'txns', window: '1h', order: 'desc', chain: 'ethereum', limit: 100 },
  { stat: 'buyers', window: '24h', order: 'desc', chain: null, limit: 500 },
  { stat: 'priceChangePct', window: '1h', order: 'asc', chain: null, limit: 200 },
  { stat: 'high', window: '5m', order: 'desc', chain: null, limit: 500 },
  { stat: 'vwap', window: '24h', order: 'asc', chain: null, limit: 30 },
  { stat: 'sellVolume', window: '1m', order: 'desc', chain: null, limit: 20 },
  { stat: 'lastPrice', window: null, order: 'desc', chain: null, limit: 100 },
  { stat: 'txns', window: '24h', order: 'desc', chain: 'solana', limit: 10 }
]

function statOf (s: StatsObject, q: TopQuery): unknown {
  return q.window === null ? s.lastPrice : (s.windows[q.window] as unknown as Record<string, unknown>)[q.stat]
}

describe('edge processes on a stats topic written by a real processor', function () {
  this.timeout(240_000)
  let cluster: TestCluster
  let processors: ProcessorFleet
  let edges: EdgeFleet
  let topic: Map<string, StatsObject | null>
  let a: EdgeProcess
  let b: EdgeProcess

  before(async function () {
    cluster = await createTestCluster({ name: 'edge-topic', partitions: 6 })
    processors = new ProcessorFleet(cluster, { windows: WINDOWS, cycle: '100ms' })
    edges = new EdgeFleet(cluster, { windows: WINDOWS })
    a = edges.start('a')
    await a.waitReady()
    await runProduce(cluster, ['--replay', ETHEREUM_SAMPLE])
    const p = processors.start('p1')
    await p.waitReady()
    await cluster.waitCaughtUp(120_000)
    // a stopped processor writes nothing more (windows decay only while one runs): the topic is fixed
    expect(await p.stop(), 'processor exit code').to.equal(0)
    topic = await readStatsTopic(cluster)
    b = edges.start('b')
    await b.waitReady()
  })
  after(async () => {
    await edges?.stopAll()
    await processors?.stopAll()
    await cluster?.close()
  })

  it('serves every key of the compacted topic exactly as the topic holds it, on both edges', async () => {
    expect(topic.size, 'tokens on stats').to.be.greaterThan(800)
    // B rehydrated after the last write: complete at its first 200, no retry
    const mb = await tokenMismatches(b, topic)
    expect(mb, mb.slice(0, 5).join('\n')).to.deep.equal([])
    // A tailed the processor live; it converges on the same values
    const ma = await waitTokensEqual(a, topic, 30_000)
    expect(ma, ma.slice(0, 5).join('\n')).to.deep.equal([])
    for (const e of [a, b]) {
      const health = await e.get('/healthz')
      expect(health.json.tokens, `${e.name} token count`).to.equal([...topic.values()].filter((v) => v !== null).length)
      expect(e.problems(), `${e.name} warnings`).to.deep.equal([])
    }
  })

  it('ranks /v1/top in the documented order (brute force over the topic) and identically on both edges', async () => {
    for (const q of QUERIES) {
      const [ra, rb] = await Promise.all([a.get(topPath(q)), b.get(topPath(q))])
      expect(ra.status, `${topPath(q)}: ${ra.text.slice(0, 200)}`).to.equal(200)
      expect(rb.json, `${topPath(q)}: edge b ≠ edge a`).to.deep.equal(ra.json)
      const want = expectedTop(topic, q)
      const items = ra.json.items as Array<{ rank: number, chain: string, token: string, value: unknown, window?: unknown }>
      expect(items.map((i) => i.chain + ':' + i.token), topPath(q)).to.deep.equal(want)
      if (q.chain !== 'solana') expect(items.length, `${topPath(q)} lists something`).to.be.greaterThan(0)
      items.forEach((item, i) => {
        const s = topic.get(item.chain + ':' + item.token)!
        expect(item.rank).to.equal(i + 1)
        expect(item.value, `${topPath(q)} value of ${item.token}`).to.deep.equal(statOf(s, q))
        if (q.window !== null) expect(item.window, `${topPath(q)} window of ${item.token}`).to.deep.equal(s.windows[q.window])
      })
    }
  })

  it('answers GET /v1/tokens?ids= batches like the singles', async () => {
    const keys = [...topic.keys()].filter((k) => topic.get(k) !== null)
    const chunks: string[][] = []
    for (let i = 0; i < keys.length; i += 99) chunks.push(keys.slice(i, i + 99))
    const missing = 'ethereum:0x000000000000000000000000000000000000dead'
    const bad = await mapLimit(chunks, 4, async (chunk) => {
      const ids = [...chunk, missing]
      const out: string[] = []
      for (const e of [a, b]) {
        const r = await e.get('/v1/tokens?ids=' + ids.map(encodeURIComponent).join(','))
        if (r.status !== 200) { out.push(`${e.name}: status ${r.status} ${r.text.slice(0, 200)}`); continue }
        expect(r.json.missing).to.deep.equal([missing])
        const got = (r.json.tokens as StatsObject[]).map((s) => JSON.stringify(s))
        const want = chunk.map((k) => JSON.stringify(topic.get(k)))
        if (got.length !== want.length) out.push(`${e.name}: ${got.length} tokens for ${want.length} ids`)
        got.forEach((g, i) => { if (g !== want[i]) out.push(`${e.name} ${chunk[i]}: batch ${g.slice(0, 120)} ≠ single ${want[i].slice(0, 120)}`) })
      }
      return out
    })
    expect(bad.flat(), bad.flat().slice(0, 5).join('\n')).to.deep.equal([])
  })
})
