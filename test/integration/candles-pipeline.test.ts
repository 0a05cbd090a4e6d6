/**
 * Candles on the real broker (issue #22 §1): `volumer processor` as a real process, a stream with
 * duplicates and disorder sent in two halves around a graceful restart (the second processor
 * restores its candle books from the `candles` topic and corrects candles published before it).
 * The compacted `candles` topic must equal candles made from scratch over the swaps the oracle
 * counts, every field; an edge reading `candles` from Kafka serves them over HTTP and UDF.
 * Needs `scripts/services.sh start` (Kafka 127.0.0.1:19092, Postgres 127.0.0.1:55432) and a
 * build (`npx tsc -p tsconfig.json`: the processor runs from dist/).
 */
import { expect } from 'chai'
import pino from 'pino'
import { Registry } from 'prom-client'
import { request } from 'undici'
import { parseWindowList } from '../../src/engine/windows.js'
import { DEFAULT_CANDLE_INTERVALS } from '../../src/engine/candle-intervals.js'
import type { Candle } from '../../src/engine/candles.js'
import type { Swap } from '../../src/swap/swap.js'
import { createEdgeServer } from '../../src/edge/edge-server.js'
import { createLogStatsFeed } from '../../src/edge/log-stats-feed.js'
import { createLogCandleFeed } from '../../src/edge/candle-feed.js'
import { createTestCluster, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { buildStream, oracleOf } from '../helpers/swap-stream.js'
import { runAcrossRestart } from '../helpers/restart-run.js'
import { readLatest } from '../helpers/log-fixture.js'
import { oracleCandles } from '../helpers/candle-oracle.js'

const WINDOWS = '1m,5m,1h,24h'

describe('candles on Kafka: processor process → candles topic → edge', function () {
  this.timeout(240_000)
  let cluster: TestCluster
  let fleet: ProcessorFleet

  beforeEach(async () => {
    cluster = await createTestCluster({ name: 'pt-candles', partitions: 6 })
    fleet = new ProcessorFleet(cluster, { windows: WINDOWS })
  })
  afterEach(async () => {
    await fleet?.stopAll()
    await cluster?.close()
  })

  it('the compacted candles topic equals candles from scratch across a restart, and the edge serves them', async () => {
    const now = Date.now()
    // 10 minutes of blockTimes: many 1 m candles, some corrected after the restart by the
    // disordered and duplicated swaps of the second half
    const inputs = buildStream({ swaps: 12_000, tokens: 200, seed: 23, now, spanMs: 600_000, badEvery: 0 })
    let before = new Map<string, Buffer | null>()
    await runAcrossRestart(cluster, fleet, inputs, {
      between: async () => { before = await readLatest(cluster.log, cluster.topics.candles!) }
    })

    const oracle = oracleOf(inputs, parseWindowList(WINDOWS), now)
    expect(oracle.counters.duplicates, 'the stream has duplicates').to.be.greaterThan(100)
    const counted: Swap[] = []
    for (const key of oracle.tokenKeys()) {
      const sep = key.indexOf(':')
      for (const k of oracle.exportToken(key.slice(0, sep), key.slice(sep + 1))!.kept) counted.push(k.swap)
    }
    const want = oracleCandles(counted, DEFAULT_CANDLE_INTERVALS, -Infinity)
    const got = new Map<string, Candle>()
    for (const [k, v] of await readLatest(cluster.log, cluster.topics.candles!)) if (v !== null) got.set(k, JSON.parse(v.toString('utf8')) as Candle)
    const mismatches: string[] = []
    let corrected = 0
    for (const [k, w] of want) {
      if (JSON.stringify(got.get(k)) !== JSON.stringify(w)) mismatches.push(k)
      const b = before.get(k)
      if (b != null && (JSON.parse(b.toString('utf8')) as Candle).txns !== w.txns) corrected++
    }
    expect(mismatches.slice(0, 5), `${mismatches.length} of ${want.size} candles differ`).to.deep.equal([])
    expect(got.size).to.equal(want.size)
    expect(corrected, 'candles published before the restart and corrected after it').to.be.greaterThan(0)
    console.log(`      ${counted.length} swaps counted, ${want.size} candles equal to the oracle, ${corrected} corrected after the restart`)

    // an edge on the same topics: the busiest token's 1 m candles and its UDF history
    const logger = pino({ level: 'silent' })
    const edge = await createEdgeServer({
      port: 0,
      feed: createLogStatsFeed({ log: cluster.log, registry: cluster.registry, topic: cluster.topics.stats, logger }),
      candles: createLogCandleFeed({ log: cluster.log, topic: cluster.topics.candles!, historyTopic: cluster.topics.candlesHistory, logger }),
      logger,
      metricsRegistry: new Registry(),
      windows: ['1m', '5m', '1h', '24h']
    })
    try {
      // candles are served once both feeds caught up (stats: readiness; candles: after it)
      await Promise.all([edge.caughtUp, edge.candlesCaughtUp])
      const perToken = new Map<string, number>()
      for (const s of counted) perToken.set(s.chain + ':' + s.token, (perToken.get(s.chain + ':' + s.token) ?? 0) + 1)
      const busiest = [...perToken].sort((a, b) => b[1] - a[1])[0][0]
      const [chain, token] = [busiest.slice(0, busiest.indexOf(':')), busiest.slice(busiest.indexOf(':') + 1)]
      const res = await request(`http://127.0.0.1:${edge.port}/v1/tokens/${chain}/${token}/candles?interval=1m`)
      const body = await res.body.json() as { candles: Array<Record<string, unknown>> }
      const expected = [...want.values()].filter((c) => c.chain === chain && c.token === token && c.interval === '1m')
        .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
        .map(({ chain: _c, token: _t, interval: _i, openSwap: _o, closeSwap: _s, ...served }) => served)
      expect(body.candles).to.deep.equal(expected)
      const udf = await request(`http://127.0.0.1:${edge.port}/udf/history?symbol=${busiest}&resolution=1&from=0&to=${Math.ceil(now / 1000) + 60}`)
      const h = await udf.body.json() as { s: string, t: number[], c: number[] }
      expect(h.s).to.equal('ok')
      expect(h.t).to.deep.equal(expected.map((c) => Date.parse(c.start as string) / 1000))
      expect(h.c).to.deep.equal(expected.map((c) => c.close))
      // the daily candle, which the edge also read from candles-history
      const day = await request(`http://127.0.0.1:${edge.port}/v1/tokens/${chain}/${token}/candles?interval=1d`)
      const d = await day.body.json() as { candles: unknown[] }
      expect(d.candles).to.deep.equal([...want.values()].filter((c) => c.chain === chain && c.token === token && c.interval === '1d')
        .map(({ chain: _c, token: _t, interval: _i, openSwap: _o, closeSwap: _s, ...served }) => served))
    } finally {
      await edge.close()
    }
  })
})
