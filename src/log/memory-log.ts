import { closedError } from './log-errors.js'
import type {
  GroupConsumer, GroupConsumerOptions, Log, LogAdmin, Producer, Reader, ReaderOptions, TransactionalProducer,
  TransactionalProducerOptions,
} from './log.js'
import { MemoryAdmin } from './memory-admin.js'
import { MemoryGroupConsumer } from './memory-consumer.js'
import { MemoryTransactionalProducer, MemoryProducer } from './memory-producer.js'
import { MemoryReader } from './memory-reader.js'
import { MemoryStore } from './memory-store.js'

export interface MemoryLogOptions {
  /** clock for record timestamps, session timeouts and compaction lag; default Date.now */
  readonly now?: () => number
  /** a group member that has not polled for this long is evicted; default 10,000 ms */
  readonly sessionTimeoutMs?: number
}

/**
 * The in-process log: partitioned topics with offsets, murmur2 key partitioning (same partition
 * numbers as Kafka), transactions with read_committed visibility and transactional-id fencing,
 * consumer groups with cooperative hand-over and committed offsets, lazy compaction and
 * retention. It keeps everything in memory and nothing on disk: the embedded mode rebuilds its
 * state from checkpoints.
 */
export class MemoryLog implements Log {
  readonly kind = 'memory' as const
  readonly #store: MemoryStore

  constructor (options: MemoryLogOptions = {}) {
    this.#store = new MemoryStore({ now: options.now ?? Date.now, sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000 })
  }

  #check (): void {
    if (this.#store.closed) throw closedError('memory log')
  }

  async createConsumer (options: GroupConsumerOptions): Promise<GroupConsumer> {
    this.#check()
    return new MemoryGroupConsumer(this.#store, options)
  }

  async createTransactionalProducer (options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    this.#check()
    return new MemoryTransactionalProducer(this.#store, options.transactionalId)
  }

  async createProducer (): Promise<Producer> {
    this.#check()
    return new MemoryProducer(this.#store)
  }

  async createReader (options: ReaderOptions): Promise<Reader> {
    this.#check()
    return new MemoryReader(this.#store, options)
  }

  async createAdmin (): Promise<LogAdmin> {
    this.#check()
    return new MemoryAdmin(this.#store)
  }

  /** compacts every compacted partition of `topic` now (normally done lazily on append) */
  compact (topic: string): void {
    const t = this.#store.topic(topic)
    if (!t.policy.compact) return
    for (const p of t.partitions) p.compact(t.policy, this.#store.now())
  }

  /** records stored in `topic` (all partitions, including ones compaction has yet to drop) */
  storedRecords (topic: string): number {
    return this.#store.topic(topic).partitions.reduce((n, p) => n + p.size, 0)
  }

  async close (): Promise<void> {
    this.#store.close()
  }
}

export function createMemoryLog (options: MemoryLogOptions = {}): MemoryLog {
  return new MemoryLog(options)
}
