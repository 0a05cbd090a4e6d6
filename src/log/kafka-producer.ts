import { fromKafkaError, promised, retryTransient } from './kafka-errors.js'
import { groupHandle } from './kafka-consumer.js'
import { ERR_QUEUE_FULL, type NativeError, type NativeProducer } from './kafka-native.js'
import { closedError, isLogError, LogError } from './log-errors.js'
import type { GroupMetadata, Headers, ProduceRecord, Producer, TopicPartitionOffset, TransactionalProducer } from './log.js'

const TXN_TIMEOUT_MS = 30_000

/**
 * Waits before calling a transactional call again after a retriable error: bounded (15.5 s in
 * all, on top of each call's own timeout), since a processor that cannot reach its coordinator
 * for longer should fail and be restarted rather than wait unseen.
 */
export const TXN_RETRY_MS: readonly number[] = [500, 1000, 2000, 4000, 8000]

/** librdkafka codes of a moving or unreachable coordinator, and CONCURRENT_TRANSACTIONS (51) */
const COORDINATOR_MOVING = new Set([-185, -195, -187, 14, 15, 16, 51])

/**
 * rdkafka.h, for init_transactions, send_offsets_to_transaction, commit_transaction and
 * abort_transaction: an error that is retriable (and neither fatal nor abort-requiring) leaves
 * the transaction as it was, and the application may call the same function again. A group that
 * moved on (ILLEGAL_GENERATION...) requires an abort and is never retried here: the processor
 * carries that cycle (processor.ts).
 */
function retriable (err: unknown): boolean {
  if (!isLogError(err) || err.fatal || err.abortable || err.code === 'FENCED' || err.code === 'REBALANCE_IN_PROGRESS') return false
  const cause = err.cause as { code?: unknown, isRetriable?: unknown } | undefined
  return cause?.isRetriable === true || (typeof cause?.code === 'number' && COORDINATOR_MOVING.has(cause.code))
}

async function retried (context: string, call: (cb: (err: any, value?: any) => void) => void, retryMs: readonly number[]): Promise<void> {
  await retryTransient(async () => await promised(context, call), retryMs, retriable)
}

function nativeHeaders (headers: Headers | undefined): Array<Record<string, Buffer>> | undefined {
  if (headers === undefined) return undefined
  return Object.entries(headers).map(([k, v]) => ({ [k]: v }))
}

/** librdkafka's local queue is full: the caller should flush (or commit) and try again */
function produce (native: NativeProducer, record: ProduceRecord): void {
  try {
    native.produce(record.topic, record.partition ?? null, record.value, record.key, record.timestamp ?? null, null,
      nativeHeaders(record.headers))
  } catch (err) {
    const e = err as NativeError
    if (e?.code === ERR_QUEUE_FULL) {
      throw new LogError('BROKER_UNAVAILABLE', 'producer queue is full: flush or commit, then send again',
        { retriable: true, cause: err })
    }
    throw fromKafkaError(err, `produce to ${record.topic}`)
  }
}

/**
 * Transactional producer on librdkafka. One per processor (KIP-447): the consumer's group
 * metadata goes with sendOffsets, so the transactional id need not be per partition.
 */
export class KafkaTransactionalProducer implements TransactionalProducer {
  readonly #native: NativeProducer
  readonly #transactionalId: string
  readonly #retryMs: readonly number[]
  #open = false
  #closed = false

  constructor (native: NativeProducer, transactionalId: string, retryMs: readonly number[] = TXN_RETRY_MS) {
    this.#native = native
    this.#transactionalId = transactionalId
    this.#retryMs = retryMs
  }

  /**
   * connects and runs InitProducerId, which fences older producers with the same id; called
   * again while the coordinator moves (a processor started as the broker leading its
   * coordinator died exited on "Not coordinator", issue #23)
   */
  static async create (native: NativeProducer, transactionalId: string, retryMs: readonly number[] = TXN_RETRY_MS): Promise<KafkaTransactionalProducer> {
    await promised('connect producer', cb => native.connect({}, cb))
    await retried('init transactions', cb => native.initTransactions(TXN_TIMEOUT_MS, cb), retryMs)
    return new KafkaTransactionalProducer(native, transactionalId, retryMs)
  }

  #check (): void {
    if (this.#closed) throw closedError(`producer "${this.#transactionalId}"`)
  }

  async begin (): Promise<void> {
    this.#check()
    if (this.#open) throw new LogError('TRANSACTION_STATE', 'a transaction is open already', { fatal: true })
    await promised('begin transaction', cb => this.#native.beginTransaction(cb))
    this.#open = true
  }

  send (record: ProduceRecord): void {
    this.#check()
    if (!this.#open) throw new LogError('TRANSACTION_STATE', 'no open transaction: call begin() first', { fatal: true })
    produce(this.#native, record)
  }

  async sendOffsets (offsets: readonly TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    this.#check()
    const consumer = groupHandle(group)
    const tps = offsets.map(o => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
    await retried('send offsets to transaction', cb => this.#native.sendOffsetsToTransaction(tps, consumer, TXN_TIMEOUT_MS, cb), this.#retryMs)
  }

  async commit (): Promise<void> {
    this.#check()
    await retried('commit transaction', cb => this.#native.commitTransaction(TXN_TIMEOUT_MS, cb), this.#retryMs)
    this.#open = false
  }

  async abort (): Promise<void> {
    this.#check()
    if (!this.#open) return
    await retried('abort transaction', cb => this.#native.abortTransaction(TXN_TIMEOUT_MS, cb), this.#retryMs)
    this.#open = false
  }

  async close (): Promise<void> {
    if (this.#closed) return
    if (this.#open) await this.abort().catch(() => {})
    this.#closed = true
    await promised('disconnect producer', cb => this.#native.disconnect(cb)).catch(() => {})
  }
}

/** Idempotent plain producer; delivery errors are collected and thrown by flush(). */
export class KafkaProducer implements Producer {
  readonly #native: NativeProducer
  #error: LogError | null = null
  #closed = false

  constructor (native: NativeProducer) {
    this.#native = native
    native.on('delivery-report', (err: NativeError | null) => {
      if (err !== null && err !== undefined && this.#error === null) this.#error = fromKafkaError(err, 'delivery')
    })
  }

  static async create (native: NativeProducer): Promise<KafkaProducer> {
    await promised('connect producer', cb => native.connect({}, cb))
    // delivery reports are served on poll: poll in the background
    native.setPollInterval(20)
    return new KafkaProducer(native)
  }

  send (record: ProduceRecord): void {
    if (this.#closed) throw closedError('producer')
    produce(this.#native, record)
  }

  async flush (): Promise<void> {
    await promised('flush', cb => this.#native.flush(TXN_TIMEOUT_MS, cb))
    const err = this.#error
    this.#error = null
    if (err !== null) throw err
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await promised('flush', cb => this.#native.flush(TXN_TIMEOUT_MS, cb)).catch(() => {})
    await promised('disconnect producer', cb => this.#native.disconnect(cb)).catch(() => {})
  }
}
