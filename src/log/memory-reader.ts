import { setImmediate as nextTurn } from 'node:timers/promises'
import { closedError, LogError } from './log-errors.js'
import {
  tpKey, type IsolationLevel, type PartitionBatch, type Reader, type ReaderOptions, type TopicPartition,
  type TopicPartitionOffset,
} from './log.js'
import type { MemoryPartition } from './memory-partition.js'
import type { MemoryStore } from './memory-store.js'

interface Entry {
  readonly tp: TopicPartition
  readonly part: MemoryPartition
  position: number
  target: number
}

/**
 * At most this many records a poll. The in-process log wakes a waiting reader from inside the
 * producer's commit: without a cap and a turn (below), the edge applied a whole cycle's stats
 * and candles in the same synchronous stretch as the processor's cycle that wrote them.
 */
const MAX_RECORDS_PER_POLL = 1024

/**
 * Group-less reader of the in-process log: restore and the edge's tail of `stats`. A poll that
 * has records gives the event loop a turn before it returns them, so a reader that applies
 * them synchronously (the edge's feeds) does so in chunks of MAX_RECORDS_PER_POLL between other
 * callbacks (HTTP, WebSocket), not in one go after the commit that woke it.
 */
export class MemoryReader implements Reader {
  readonly #store: MemoryStore
  readonly #isolation: IsolationLevel
  readonly #entries = new Map<string, Entry>()
  #cursor = 0
  #closed = false

  constructor (store: MemoryStore, options: ReaderOptions) {
    this.#store = store
    this.#isolation = options.isolation ?? 'read_committed'
    for (const p of options.partitions) {
      const part = store.topic(p.topic).partitions[p.partition]
      if (part === undefined) throw new LogError('UNKNOWN_TOPIC', `topic "${p.topic}" has no partition ${p.partition}`)
      const end = part.endOffset(this.#isolation)
      const position = p.from === 'earliest' ? part.startOffset : p.from === 'latest' ? end : p.from
      this.#entries.set(tpKey(p.topic, p.partition), { tp: { topic: p.topic, partition: p.partition }, part, position, target: end })
    }
  }

  async poll (maxRecords: number, timeoutMs: number): Promise<PartitionBatch[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#closed) throw closedError('reader')
      const out = this.#fetch(Math.min(maxRecords, MAX_RECORDS_PER_POLL))
      if (out.length > 0) {
        await nextTurn()
        return out
      }
      const left = deadline - Date.now()
      if (left <= 0 || this.#store.closed) return []
      await this.#store.waitForChange(left)
    }
  }

  #fetch (maxRecords: number): PartitionBatch[] {
    const out: PartitionBatch[] = []
    const entries = [...this.#entries.values()]
    const n = entries.length
    let left = maxRecords
    for (let i = 0; i < n && left > 0; i++) {
      const e = entries[(this.#cursor + i) % n]
      const r = e.part.read(e.position, left, this.#isolation)
      e.position = r.position
      if (r.records.length > 0) {
        out.push({ topic: e.tp.topic, partition: e.tp.partition, records: r.records })
        left -= r.records.length
      }
    }
    this.#cursor = n === 0 ? 0 : (this.#cursor + 1) % n
    return out
  }

  position (tp: TopicPartition): number {
    const e = this.#entries.get(tpKey(tp.topic, tp.partition))
    if (e === undefined) throw new LogError('LOG_ERROR', `${tp.topic}:${tp.partition} is not read by this reader`)
    return e.position
  }

  targets (): TopicPartitionOffset[] {
    return [...this.#entries.values()].map(e => ({ topic: e.tp.topic, partition: e.tp.partition, offset: e.target }))
  }

  isCaughtUp (): boolean {
    for (const e of this.#entries.values()) {
      if (e.position < e.target) {
        // the read below the target may have been compacted or aborted away: a read settles it
        const r = e.part.read(e.position, 0, this.#isolation)
        if (r.position < e.target) return false
      }
    }
    return true
  }

  async refreshEnd (): Promise<void> {
    for (const e of this.#entries.values()) e.target = e.part.endOffset(this.#isolation)
  }

  async close (): Promise<void> {
    this.#closed = true
  }
}
