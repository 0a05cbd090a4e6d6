import type { Logger } from 'pino'
import type { Log, Reader } from '../log/log.js'
import { LogError } from '../log/log-errors.js'
import { createStatsRecordDecoder, type SchemaRegistry } from '../codec/index.js'
import type { StatsFeed, StatsRecordHandler } from './stats-feed.js'
import { newestPerKey } from './newest-per-key.js'

export interface LogStatsFeedOptions {
  log: Log
  registry: SchemaRegistry
  /** the compacted stats topic, e.g. "stats" */
  topic: string
  logger: Logger
  /** longest wait of one poll, ms (bounds shutdown, not latency: a poll returns on the first record) */
  pollMs?: number
}

/**
 * The edge's StatsFeed on the Log port: every partition of `stats` from the beginning,
 * read_committed (a processor's aborted cycle is never served), Avro records checked and handed
 * on still encoded (decoded when the edge first needs the object; src/codec/stats-decoder.ts).
 * Works on Kafka/Redpanda and on the in-process log alike.
 */
export function createLogStatsFeed (opts: LogStatsFeedOptions): StatsFeed {
  const decoder = createStatsRecordDecoder(opts.registry)
  const pollMs = opts.pollMs ?? 200
  let reader: Reader | undefined
  let closed = false
  let loop: Promise<void> | undefined

  async function run (onRecord: StatsRecordHandler, onCaughtUp: () => void): Promise<void> {
    let caughtUp = false
    let badRecords = 0
    while (!closed) {
      const batches = await reader!.poll(10_000, pollMs)
      for (const batch of batches) {
        // a record followed by a newer one of its key in the same batch is never looked at
        const newest = newestPerKey(batch.records)
        try {
          await decoder.prepare(newest.map((n) => n.record.value))
        } catch (err) {
          opts.logger.warn({ err }, 'stats schema lookup failed; records of unknown schemas are skipped')
        }
        for (const { key, record: rec } of newest) {
          if (rec.value === null) { onRecord(key, null); continue }
          let value
          try {
            // checked now (an undecodable record is skipped here, as before), decoded on first use:
            // measured on 100k-token rehydration, decoding every record before /readyz cost ~1 s of
            // decode and ~0.9 s of GC (bench/e2e-latency.bench.ts)
            value = decoder.decodeDeferred(rec.value)
          } catch (err) {
            if (badRecords++ < 10) opts.logger.warn({ err, partition: rec.partition, offset: rec.offset }, 'undecodable stats record skipped')
            continue
          }
          // the store renders the JSON text on first use (measured: 100k-token rehydration 3.5 s instead of 6.3 s)
          onRecord(key, value)
        }
      }
      if (!caughtUp && reader!.isCaughtUp()) {
        caughtUp = true
        onCaughtUp()
      }
    }
  }

  return {
    async start (onRecord, onCaughtUp) {
      if (reader !== undefined) throw new Error('StatsFeed.start called twice')
      const admin = await opts.log.createAdmin()
      let partitions: number
      try {
        const d = await admin.describeTopics([opts.topic])
        if (d.length === 0) throw new LogError('UNKNOWN_TOPIC', `topic ${opts.topic} does not exist (run volumer topology apply)`)
        partitions = d[0].partitions
      } finally {
        await admin.close()
      }
      reader = await opts.log.createReader({
        partitions: Array.from({ length: partitions }, (_, p) => ({ topic: opts.topic, partition: p, from: 'earliest' as const })),
        bulk: true
      })
      loop = run(onRecord, onCaughtUp).catch((err: unknown) => {
        if (!closed) opts.logger.error({ err }, 'stats feed stopped')
      })
    },
    async close () {
      closed = true
      await loop
      await reader?.close()
    }
  }
}
