import type { Logger } from 'pino'
import type { Log, ProduceRecord } from '../log/log.js'
import type { Swap } from '../swap/swap.js'
import { CandleBook, type Candle } from '../engine/candles.js'
import type { CandleInterval } from '../engine/candle-intervals.js'

/**
 * The processor's candles step (issue #22 §1), kept apart from its publish/commit loop: one
 * CandleBook per owned partition, fed with the swaps the engine counted, drained into the
 * `candles` topic inside the cycle's transaction.
 *
 * `candles` record: key `chain:token:interval:start` (start in ms), value the candle as JSON
 * (src/engine/candles.ts Candle), partition = the swap partition (the topic is co-partitioned
 * with `swaps`, like the state changelog). Compacted, so the last value of a candle is what a
 * reader keeps; time-based retention removes old ones (topology/topics.json).
 *
 * The topic is also the book's changelog: it is written in the same transaction as the input
 * offsets, so on assignment (after the group's stable offset fetch, when a previous owner's open
 * transaction is settled) reading the partition to its end yields the candles exactly as of the
 * committed offsets. Only candles that end after the engine's horizon are loaded back: no
 * counted swap reaches an older one. No checkpoint format changes; the cost is a read of the
 * partition's retained candles per restore (docs/processor.md, "Candles").
 */
export interface CandlePublisher {
  /** rebuilds the partition's book from the topic; candles ending at or before `horizonStart` are skipped */
  restore (partition: number, horizonStart: number): Promise<{ records: number, candles: number, seconds: number }>
  /** a swap the partition's engine counted */
  add (partition: number, swap: Swap): void
  /** the partition's changed candles as records into `out`, then evicts candles before `horizonStart`; returns records added */
  drain (partition: number, horizonStart: number, out: ProduceRecord[]): number
  drop (partition: number): void
  /** candles held over all partitions */
  readonly held: number
}

export interface CandlePublisherOptions {
  log: Log
  topic: string
  /**
   * where candles of intervals whose history is longer than `topic` keeps are written too
   * (`candles-history`, long retention): an edge reads it once at start. None = not written.
   */
  historyTopic?: string
  /** the `topic`'s retention, ms: intervals with a longer history also go to `historyTopic` (default 7 days) */
  topicRetentionMs?: number
  intervals: readonly CandleInterval[]
  logger: Logger
}

export function createCandlePublisher (opts: CandlePublisherOptions): CandlePublisher {
  const books = new Map<number, CandleBook>()
  const retention = opts.topicRetentionMs ?? 7 * 86_400_000
  const toHistory = new Set(opts.historyTopic === undefined ? [] : opts.intervals.filter((iv) => iv.historyMs > retention).map((iv) => iv.name))
  const bookOf = (partition: number): CandleBook => {
    let b = books.get(partition)
    if (b === undefined) { b = new CandleBook(opts.intervals); books.set(partition, b) }
    return b
  }
  return {
    async restore (partition, horizonStart) {
      const t0 = performance.now()
      const book = new CandleBook(opts.intervals)
      const reader = await opts.log.createReader({ partitions: [{ topic: opts.topic, partition, from: 'earliest' }], bulk: true })
      let records = 0
      let bad = 0
      try {
        while (!reader.isCaughtUp()) {
          for (const batch of await reader.poll(10_000, 500)) {
            for (const rec of batch.records) {
              records++
              if (rec.value === null) continue
              let c: Candle
              try {
                c = JSON.parse(rec.value.toString('utf8')) as Candle
              } catch {
                bad++
                continue
              }
              if (typeof c?.end !== 'string' || !(Date.parse(c.end) > horizonStart)) continue
              if (!book.load(c)) bad++
            }
          }
        }
      } finally {
        await reader.close()
      }
      book.clearDirty()
      if (bad > 0) opts.logger.warn({ partition, bad }, 'candle records that do not decode were skipped in the restore')
      books.set(partition, book)
      return { records, candles: book.size, seconds: (performance.now() - t0) / 1000 }
    },
    add (partition, swap) { bookOf(partition).add(swap) },
    drain (partition, horizonStart, out) {
      const book = books.get(partition)
      if (book === undefined) return 0
      const n = book.drain((key, c) => {
        const k = Buffer.from(key)
        const v = Buffer.from(JSON.stringify(c))
        out.push({ topic: opts.topic, partition, key: k, value: v })
        if (toHistory.has(c.interval)) out.push({ topic: opts.historyTopic!, partition, key: k, value: v })
      })
      book.evict(horizonStart)
      return n
    },
    drop (partition) { books.delete(partition) },
    get held () {
      let n = 0
      for (const b of books.values()) n += b.size
      return n
    }
  }
}
