import type { StatsObject } from '../engine/stats.js'

/**
 * The port the edge reads the `stats` topic through (SPEC §1: each edge node tails all of `stats`).
 *
 *   stats topic (compacted)          StatsFeed                 edge
 *   key "chain:token" ─────────────► onRecord(key, value)       ──► StatsStore
 *   value JSON | tombstone           onCaughtUp() once ───────────► /readyz 200
 *
 * `value` is the stats object, or the record's value text exactly as stored (JSON: the edge
 * serves it as-is and parses it only when it needs the numbers, which keeps rehydration fast),
 * or a DeferredStats (an encoded record the adapter has checked: the edge calls it once, when it
 * first needs the object; the Kafka adapter passes Avro records this way), or null for a
 * tombstone (the token's state was dropped). An adapter that has both the object and its JSON
 * text may pass the text as `json`.
 * The edge owns this interface; the Kafka adapter (wired by the lead) and the in-memory feed
 * below implement it.
 */
export type StatsRecordHandler = (key: string, value: StatsValue | null, json?: string) => void

/**
 * A record the adapter has checked and kept encoded (the Kafka feed's Avro records: see
 * src/codec/stats-decoder.ts EncodedStats). Nothing here may throw.
 */
export interface DeferredStats {
  readonly deferred: true
  /** the stats object (a new one each call: the store calls it once per record) */
  decode (): StatsObject
  /**
   * without decoding the rest: `decode().windows[window][name]` for a window (undefined when the
   * window is not an own key or `name` is not a window field); the token-level field `name` when
   * `window` is null
   */
  field (window: string | null, name: string): string | number | null | undefined
  /** the keys of `decode().windows` */
  windowNames (): string[]
}

export function isDeferred (v: StatsValue): v is DeferredStats {
  return typeof v === 'object' && (v as Partial<DeferredStats>).deferred === true
}

export type StatsValue = StatsObject | string | DeferredStats

export interface StatsFeed {
  /**
   * Starts delivering records: first everything already in the log (the replay), then
   * `onCaughtUp` once, then live records as they are published. Resolves once started; records
   * arrive asynchronously. Calling start twice on one feed is a programming error.
   */
  start (onRecord: StatsRecordHandler, onCaughtUp: () => void): Promise<void>
  /** Stops delivering; no callback runs after the returned promise resolves. */
  close (): Promise<void>
}

export interface MemoryStatsFeedOptions {
  /** records delivered per macrotask during the replay (default 5,000: keeps the loop responsive) */
  replayBatch?: number
  /**
   * when given, the replay waits for it before reporting caught up: lets tests observe a node
   * that is not ready yet, as a Kafka feed still catching up would be
   */
  catchUpGate?: Promise<void>
}

/**
 * An in-process compacted `stats` log with any number of independent readers, like consumers
 * of one topic. `publish` appends a record (null = tombstone, which compacts the key away);
 * the feed object is itself a reader, and `reader()` makes more (two edge servers on one log).
 */
export interface MemoryStatsFeed extends StatsFeed {
  publish (key: string, value: StatsObject | null): void
  /** a new, independent reader of the same log */
  reader (options?: MemoryStatsFeedOptions): StatsFeed
  /** keys currently in the compacted log */
  readonly size: number
}

interface Reader {
  onRecord: StatsRecordHandler
  live: boolean
  /** records published while this reader was still replaying, delivered right after the replay */
  backlog: Array<[string, string | null]>
}

export function createMemoryStatsFeed (options: MemoryStatsFeedOptions = {}): MemoryStatsFeed {
  // compacted log: latest value text per key, in publish order (like a compacted topic); readers
  // get the text, as from Kafka, so the edge's lazy-parse path is the one tests exercise
  const log = new Map<string, string>()
  const readers = new Set<Reader>()

  function makeReader (opts: MemoryStatsFeedOptions): StatsFeed {
    const replayBatch = opts.replayBatch ?? 5000
    if (!Number.isInteger(replayBatch) || replayBatch < 1) {
      throw new RangeError(`replayBatch must be a positive integer, got ${String(opts.replayBatch)}`)
    }
    let reader: Reader | null = null
    let closed = false
    return {
      async start (onRecord, onCaughtUp) {
        if (reader !== null) throw new Error('StatsFeed.start called twice')
        const r: Reader = { onRecord, live: false, backlog: [] }
        reader = r
        readers.add(r)
        // snapshot of the log at start: later publishes go to the backlog and follow the replay
        const snapshot = [...log]
        void (async () => {
          for (let i = 0; i < snapshot.length; i += replayBatch) {
            if (closed) return
            const end = Math.min(snapshot.length, i + replayBatch)
            for (let k = i; k < end; k++) {
              const [key, json] = snapshot[k]
              r.onRecord(key, json)
            }
            await new Promise<void>(resolve => setImmediate(resolve))
          }
          if (opts.catchUpGate !== undefined) await opts.catchUpGate
          if (closed) return
          for (const [key, json] of r.backlog) r.onRecord(key, json)
          r.backlog = []
          r.live = true
          onCaughtUp()
        })()
      },
      async close () {
        closed = true
        if (reader !== null) readers.delete(reader)
      }
    }
  }

  const own = makeReader(options)
  return {
    start: own.start,
    close: own.close,
    reader: (opts = {}) => makeReader(opts),
    get size () { return log.size },
    publish (key, value) {
      let json: string | null = null
      if (value === null) log.delete(key)
      else {
        json = JSON.stringify(value)
        // a republished key moves to the end, as a compacted topic keeps the newest offset
        log.delete(key)
        log.set(key, json)
      }
      for (const r of readers) {
        if (r.live) r.onRecord(key, json)
        else r.backlog.push([key, json])
      }
    }
  }
}
