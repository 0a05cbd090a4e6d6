import { expect } from 'chai'
import { createMemoryLog } from '../../src/log/memory-log.js'
import type { LogRecord } from '../../src/log/log.js'
import { createInProcessSchemaRegistry, createStatsEncoder } from '../../src/codec/index.js'
import { createLogStatsFeed } from '../../src/edge/log-stats-feed.js'
import { createLogCandleFeed } from '../../src/edge/candle-feed.js'
import { isDeferred, type StatsValue } from '../../src/edge/stats-feed.js'
import { newestPerKey } from '../../src/edge/newest-per-key.js'
import { makeStats, rng, waitFor } from './fixtures.js'
import { quiet } from './helpers.js'

/**
 * A topic read right after a backfill holds many records per key that compaction has not
 * reached yet; the edge's feeds decode and apply only the newest record of each key in a poll's
 * batch (src/edge/newest-per-key.ts), which leaves the store as applying every record would.
 */
describe('edge feeds: only the newest record of a key in a batch', () => {
  const rec = (key: string | null, value: string | null, offset: number): LogRecord =>
    ({ topic: 't', partition: 0, offset, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: 0 })

  it('newestPerKey keeps the last record of each key, in offset order, tombstones included, and drops keyless ones', () => {
    const got = newestPerKey([rec('a', '1', 0), rec('b', '1', 1), rec(null, 'x', 2), rec('a', '2', 3), rec('c', '1', 4), rec('b', null, 5)])
    expect(got.map((n) => [n.key, n.record.value?.toString() ?? null, n.record.offset])).to.deep.equal([['a', '2', 3], ['c', '1', 4], ['b', null, 5]])
    expect(newestPerKey([])).to.deep.equal([])
  })

  it('the stats feed hands on one record per key of a replay batch: the newest, decoded as written', async () => {
    const log = createMemoryLog()
    const admin = await log.createAdmin()
    await admin.createTopics([{ name: 'stats', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }])
    await admin.close()
    const registry = await createInProcessSchemaRegistry()
    const enc = await createStatsEncoder(registry)
    const producer = await log.createProducer()
    const r = rng(3)
    const newest = new Map<string, number | null>()
    // 3 tokens written 5 times each (interleaved), then a tombstone for the last one
    for (let round = 0; round < 5; round++) {
      for (const token of ['t1', 't2', 't3']) {
        const s = makeStats('c', token, r)
        producer.send({ topic: 'stats', partition: 0, key: Buffer.from('c:' + token), value: Buffer.from(enc.encode(s)) })
        newest.set('c:' + token, s.windows['1m'].txns)
      }
    }
    producer.send({ topic: 'stats', partition: 0, key: Buffer.from('c:t3'), value: null })
    newest.set('c:t3', null)
    await producer.flush()
    const feed = createLogStatsFeed({ log, registry, topic: 'stats', logger: quiet, pollMs: 20 })
    const seen: Array<[string, number | null]> = []
    let caughtUp = false
    await feed.start((key, value: StatsValue | null) => {
      if (value === null) { seen.push([key, null]); return }
      expect(isDeferred(value), 'an encoded record, decoded on use').to.equal(true)
      seen.push([key, (value as { decode: () => { windows: Record<string, { txns: number }> } }).decode().windows['1m'].txns])
    }, () => { caughtUp = true })
    // closed before the checks: a failing check must not leave the feed's loop running
    await waitFor(() => caughtUp, 'caught up').finally(async () => { await feed.close(); await producer.close(); await log.close() })
    expect(seen).to.deep.equal([['c:t1', newest.get('c:t1')], ['c:t2', newest.get('c:t2')], ['c:t3', null]])
  })

  it('the candle feed parses one record per candle of a replay batch: its last value', async () => {
    const log = createMemoryLog()
    const admin = await log.createAdmin()
    await admin.createTopics([{ name: 'candles', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }])
    await admin.close()
    const producer = await log.createProducer()
    const candle = (txns: number): Buffer => Buffer.from(JSON.stringify({ start: 'x', end: 'y', open: 1, high: 1, low: 1, close: 1, volumeUsd: '1', buyVolumeUsd: '1', sellVolumeUsd: '0', volume: '1', txns, buys: txns, sells: 0 }))
    for (let txns = 1; txns <= 4; txns++) {
      producer.send({ topic: 'candles', partition: 0, key: Buffer.from('c:t:1m:0'), value: candle(txns) })
      producer.send({ topic: 'candles', partition: 0, key: Buffer.from('c:t:1d:0'), value: candle(txns * 10) })
    }
    // a bad record superseded by a good one is not even parsed
    producer.send({ topic: 'candles', partition: 0, key: Buffer.from('c:t:5m:0'), value: Buffer.from('{not a candle') })
    producer.send({ topic: 'candles', partition: 0, key: Buffer.from('c:t:5m:0'), value: candle(7) })
    await producer.flush()
    const feed = createLogCandleFeed({ log, topic: 'candles', logger: quiet, pollMs: 20 })
    const seen: Array<[string, number | null]> = []
    let rejected = 0
    let caughtUp = false
    await feed.start((key, c) => { seen.push([key, c?.txns ?? null]) }, () => { caughtUp = true }, () => { rejected++ })
    await waitFor(() => caughtUp, 'caught up').finally(async () => { await feed.close(); await producer.close(); await log.close() })
    expect(seen).to.deep.equal([['c:t:1m:0', 4], ['c:t:1d:0', 40], ['c:t:5m:0', 7]])
    expect(rejected).to.equal(0)
  })
})
