import type { Logger } from 'pino'
import type { Log, Reader } from '../log/log.js'
import type { Candle } from '../engine/candles.js'
import { newestPerKey } from './newest-per-key.js'

/**
 * The port the edge reads the `candles` topic through, beside the StatsFeed and the TokenFeed:
 * every partition from the beginning, then `onCaughtUp` once, then live records. Values are the
 * processor's candle JSON (src/engine/candles.ts); a record that is not one is counted and
 * skipped.
 */
export type CandleRecordHandler = (key: string, candle: Candle | null) => void

export interface CandleFeed {
  start (onRecord: CandleRecordHandler, onCaughtUp: () => void, onReject?: () => void): Promise<void>
  close (): Promise<void>
}

export interface LogCandleFeedOptions {
  log: Log
  /** e.g. "candles" */
  topic: string
  /**
   * e.g. "candles-history": the long-history intervals' candles with long retention, read from
   * the beginning until caught up, then closed (the live ones arrive on `topic` too)
   */
  historyTopic?: string
  logger: Logger
  /** longest wait of one poll, ms (bounds shutdown) */
  pollMs?: number
}

function isCandle (v: unknown): v is Candle {
  if (v === null || typeof v !== 'object') return false
  const c = v as Record<string, unknown>
  return typeof c.start === 'string' && typeof c.end === 'string' && typeof c.open === 'number' && typeof c.high === 'number' &&
    typeof c.low === 'number' && typeof c.close === 'number' && typeof c.volumeUsd === 'string' && typeof c.buyVolumeUsd === 'string' &&
    typeof c.sellVolumeUsd === 'string' && typeof c.volume === 'string' && typeof c.txns === 'number' && typeof c.buys === 'number' &&
    typeof c.sells === 'number'
}

/**
 * Kafka/Redpanda and the in-process log alike, through the Log port. With a history topic, a
 * candle may arrive from both topics; each topic's last record of a candle is its final value
 * (the processor writes both in one transaction), so whichever is applied last is right, and
 * the edge is ready only once both are read.
 */
export function createLogCandleFeed (opts: LogCandleFeedOptions): CandleFeed {
  const pollMs = opts.pollMs ?? 200
  const readers: Reader[] = []
  let closed = false
  const loops: Array<Promise<void>> = []
  let started = false

  async function partitionsOf (topic: string): Promise<number> {
    const admin = await opts.log.createAdmin()
    try {
      const d = await admin.describeTopics([topic])
      return d.length === 0 ? 0 : d[0].partitions
    } finally {
      await admin.close()
    }
  }

  return {
    async start (onRecord, onCaughtUp, onReject) {
      if (started) throw new Error('CandleFeed.start called twice')
      started = true
      let bad = 0
      let pending = 0
      const caught = (): void => { if (--pending === 0) onCaughtUp() }
      const follow = async (topic: string, once: boolean): Promise<void> => {
        const partitions = await partitionsOf(topic)
        if (partitions === 0) {
          opts.logger.warn({ topic }, `${topic} topic does not exist (volumer topology apply creates it): ${once ? 'serving candles without their long history' : 'serving no candles'}`)
          setImmediate(caught)
          return
        }
        const reader = await opts.log.createReader({
          partitions: Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, from: 'earliest' as const })),
          bulk: true
        })
        readers.push(reader)
        const run = async (): Promise<void> => {
          let caughtUp = false
          while (!closed) {
            for (const batch of await reader.poll(10_000, pollMs)) {
              // a candle rewritten later in the same batch is parsed once, at its last value
              for (const { key, record: rec } of newestPerKey(batch.records)) {
                if (rec.value === null) { onRecord(key, null); continue }
                let v: unknown
                try { v = JSON.parse(rec.value.toString('utf8')) } catch { v = undefined }
                if (!isCandle(v)) {
                  if (bad++ < 10) opts.logger.warn({ topic, partition: rec.partition, offset: rec.offset }, 'candles record that is not a candle skipped')
                  onReject?.()
                  continue
                }
                onRecord(key, v)
              }
            }
            if (!caughtUp && reader.isCaughtUp()) {
              caughtUp = true
              caught()
              if (once) {
                // the history is in: what changes from now on arrives on the live topic
                readers.splice(readers.indexOf(reader), 1)
                await reader.close()
                return
              }
            }
          }
        }
        loops.push(run().catch((err: unknown) => {
          if (!closed) opts.logger.error({ err, topic }, 'candles feed stopped')
        }))
      }
      pending = opts.historyTopic === undefined ? 1 : 2
      await follow(opts.topic, false)
      if (opts.historyTopic !== undefined) await follow(opts.historyTopic, true)
    },
    async close () {
      closed = true
      await Promise.all(loops)
      for (const r of readers) await r.close()
    }
  }
}

/** An in-process candle feed for tests and benchmarks without the Log port. */
export interface MemoryCandleFeed extends CandleFeed {
  publish (key: string, candle: Candle | null): void
}

export function createMemoryCandleFeed (): MemoryCandleFeed {
  const held = new Map<string, Candle>()
  let handler: CandleRecordHandler | null = null
  return {
    async start (onRecord, onCaughtUp) {
      handler = onRecord
      for (const [k, c] of held) onRecord(k, c)
      setImmediate(onCaughtUp)
    },
    async close () { handler = null },
    publish (key, candle) {
      if (candle === null) held.delete(key)
      else held.set(key, candle)
      handler?.(key, candle)
    }
  }
}
