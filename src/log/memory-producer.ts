import { closedError, fencedError, LogError } from './log-errors.js'
import {
  tpKey, type GroupMetadata, type ProduceRecord, type Producer, type TopicPartitionOffset, type TransactionalProducer,
} from './log.js'
import type { MemoryPartition, TxnState } from './memory-partition.js'
import type { MemoryStore } from './memory-store.js'

/**
 * Producers of the in-process log. Transactional records are appended at send() time (they take
 * their offsets and hold the LSO back, as on a broker) and become visible to read_committed
 * readers all at once when commit() flips the shared transaction state.
 */

interface PendingOffsets {
  readonly group: GroupMetadata
  readonly offsets: Map<string, TopicPartitionOffset>
}

export class MemoryTransactionalProducer implements TransactionalProducer {
  readonly #store: MemoryStore
  readonly #transactionalId: string
  readonly #epoch: number
  #txn: TxnState | null = null
  #parts = new Set<MemoryPartition>()
  #offsets = new Map<string, PendingOffsets>()
  /** set when the open transaction can no longer commit */
  #failed: LogError | null = null
  #closed = false

  constructor (store: MemoryStore, transactionalId: string) {
    this.#store = store
    this.#transactionalId = transactionalId
    this.#epoch = store.initTransactionalId(transactionalId, () => this.#abortOpen())
  }

  #check (): void {
    if (this.#closed) throw closedError(`producer "${this.#transactionalId}"`)
    if (this.#store.currentEpoch(this.#transactionalId) !== this.#epoch) throw fencedError(this.#transactionalId)
  }

  #open (): TxnState {
    this.#check()
    if (this.#txn === null) throw new LogError('TRANSACTION_STATE', 'no open transaction: call begin() first', { fatal: true })
    return this.#txn
  }

  async begin (): Promise<void> {
    this.#check()
    if (this.#txn !== null) throw new LogError('TRANSACTION_STATE', 'a transaction is open already', { fatal: true })
    this.#txn = { status: 'open' }
    this.#failed = null
  }

  send (record: ProduceRecord): void {
    const txn = this.#open()
    if (this.#failed !== null) return
    try {
      this.#parts.add(this.#store.append(record, txn))
    } catch (err) {
      // as on Kafka, a failed send dooms the transaction; the error surfaces at commit()
      this.#failed = new LogError('TRANSACTION_ABORTABLE', `send to "${record.topic}" failed: ${(err as Error).message}`,
        { abortable: true, cause: err })
    }
  }

  async sendOffsets (offsets: readonly TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    this.#open()
    const stale = this.#staleOffsets(offsets, group)
    if (stale !== null) {
      this.#failed = stale
      throw stale
    }
    let pending = this.#offsets.get(group.groupId)
    if (pending === undefined) {
      pending = { group, offsets: new Map() }
      this.#offsets.set(group.groupId, pending)
    }
    for (const o of offsets) pending.offsets.set(tpKey(o.topic, o.partition), o)
  }

  /**
   * KIP-447 zombie fencing: offsets are accepted only from the member that owns the partitions
   * now. Checked at sendOffsets() and again at commit(), so a member evicted in between cannot
   * commit a transaction whose input a new owner will process again.
   */
  #staleOffsets (offsets: Iterable<TopicPartitionOffset>, group: GroupMetadata): LogError | null {
    const g = this.#store.groups.get(group.groupId)
    for (const o of offsets) {
      if (g === undefined || !g.isMember(group.memberId) || g.ownerOf(o.topic, o.partition) !== group.memberId) {
        return new LogError('REBALANCE_IN_PROGRESS',
          `member ${group.memberId} of group "${group.groupId}" no longer owns ${o.topic}:${o.partition}`,
          { abortable: true, retriable: true })
      }
    }
    return null
  }

  async commit (): Promise<void> {
    const txn = this.#open()
    if (this.#failed !== null) throw this.#failed
    for (const p of this.#offsets.values()) {
      const stale = this.#staleOffsets(p.offsets.values(), p.group)
      if (stale !== null) {
        this.#failed = stale
        throw stale
      }
    }
    txn.status = 'committed'
    for (const part of this.#parts) {
      part.endTransaction(txn)
      this.#store.maintain(part)
    }
    for (const p of this.#offsets.values()) {
      const g = this.#store.group(p.group.groupId)
      for (const o of p.offsets.values()) g.commit(o.topic, o.partition, o.offset)
    }
    this.#reset()
    this.#store.notify()
  }

  async abort (): Promise<void> {
    this.#check()
    this.#abortOpen()
  }

  #abortOpen (): void {
    const txn = this.#txn
    if (txn === null) return
    txn.status = 'aborted'
    for (const part of this.#parts) part.endTransaction(txn)
    this.#reset()
    this.#store.notify()
  }

  #reset (): void {
    this.#txn = null
    this.#parts = new Set()
    this.#offsets = new Map()
    this.#failed = null
  }

  async close (): Promise<void> {
    if (this.#closed) return
    if (this.#store.currentEpoch(this.#transactionalId) === this.#epoch) this.#abortOpen()
    this.#closed = true
  }
}

export class MemoryProducer implements Producer {
  readonly #store: MemoryStore
  #error: unknown = null
  #notifyQueued = false
  #closed = false

  constructor (store: MemoryStore) {
    this.#store = store
  }

  send (record: ProduceRecord): void {
    if (this.#closed) throw closedError('producer')
    try {
      this.#store.append(record, null)
    } catch (err) {
      this.#error ??= err
      return
    }
    // one wake-up per burst of sends, not per record
    if (!this.#notifyQueued) {
      this.#notifyQueued = true
      queueMicrotask(() => {
        this.#notifyQueued = false
        this.#store.notify()
      })
    }
  }

  async flush (): Promise<void> {
    const err = this.#error
    this.#error = null
    if (err !== null) throw err
  }

  async close (): Promise<void> {
    this.#closed = true
  }
}
