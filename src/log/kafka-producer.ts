import { fromKafkaError, promised } from './kafka-errors.js'
import { groupHandle } from './kafka-consumer.js'
import { ERR_QUEUE_FULL, type NativeError, type NativeProducer } from './kafka-native.js'
import { closedError, LogError } from './log-errors.js'
import type { GroupMetadata, Headers, ProduceRecord, Producer, TopicPartitionOffset, TransactionalProducer } from './log.js'

const TXN_TIMEOUT_MS = 30_000

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
  #open = false
  #closed = false

  constructor (native: NativeProducer, transactionalId: string) {
    this.#native = native
    this.#transactionalId = transactionalId
  }

  /** connects and runs InitProducerId, which fences older producers with the same id */
  static async create (native: NativeProducer, transactionalId: string): Promise<KafkaTransactionalProducer> {
    await promised('connect producer', cb => native.connect({}, cb))
    await promised('init transactions', cb => native.initTransactions(TXN_TIMEOUT_MS, cb))
    return new KafkaTransactionalProducer(native, transactionalId)
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
    await promised('send offsets to transaction', cb => this.#native.sendOffsetsToTransaction(tps, consumer, TXN_TIMEOUT_MS, cb))
  }

  async commit (): Promise<void> {
    this.#check()
    await promised('commit transaction', cb => this.#native.commitTransaction(TXN_TIMEOUT_MS, cb))
    this.#open = false
  }

  async abort (): Promise<void> {
    this.#check()
    if (!this.#open) return
    await promised('abort transaction', cb => this.#native.abortTransaction(TXN_TIMEOUT_MS, cb))
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
