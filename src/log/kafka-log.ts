import { randomUUID } from 'node:crypto'
import { KafkaAdmin } from './kafka-admin.js'
import { KafkaConfigClient } from './kafka-config-protocol.js'
import { KafkaGroupConsumer } from './kafka-consumer.js'
import { fromKafkaError, promised } from './kafka-errors.js'
import { loadNative, type NativeClient, type NativeError, type NativeModule } from './kafka-native.js'
import { KafkaProducer, KafkaTransactionalProducer } from './kafka-producer.js'
import { KafkaReader } from './kafka-reader.js'
import { closedError, LogError } from './log-errors.js'
import type {
  GroupConsumer, GroupConsumerOptions, Log, LogAdmin, Producer, ProducerOptions, Reader, ReaderOptions,
  TransactionalProducer, TransactionalProducerOptions,
} from './log.js'

type RdConfig = Record<string, string | number | boolean>

export interface KafkaLogOptions {
  /** bootstrap servers, comma-separated host:port */
  readonly brokers: string
  /** default 'volumer' */
  readonly clientId?: string
  /** consumer group session timeout; bounds how fast a killed processor's partitions move; default 6000 ms (Kafka's minimum) */
  readonly sessionTimeoutMs?: number
  /**
   * transaction timeout; the open transaction of a killed processor holds back the LSO of every
   * partition it wrote (read_committed readers stall) until the broker aborts it after this long
   * (plus up to transaction.abort.timed.out.transaction.cleanup.interval.ms); default 10,000 ms
   */
  readonly transactionTimeoutMs?: number
  /** producer batching delay; default 5 ms (KAFKA-NOTES: 5–50 ms) */
  readonly lingerMs?: number
  /** extra librdkafka settings for every client (security, tuning); they win over the defaults */
  readonly rdkafka?: RdConfig
  /** where librdkafka's error events go (a pino logger fits); default: dropped */
  readonly logger?: KafkaLogLogger
}

/** the pino-compatible slice the adapter logs through */
export interface KafkaLogLogger {
  warn (obj: object, msg: string): void
}

interface Closable { close (): Promise<void> }

/**
 * Topic-level librdkafka settings go in the second constructor argument: the binding passes it
 * as the default topic config, which replaces topic-level keys set in the global config.
 * murmur2_random: the same key → partition as Java clients and the in-process log
 * (librdkafka's default is CRC32).
 */
const PRODUCER_TOPIC_CONFIG = { partitioner: 'murmur2_random' }

/**
 * The Log port on Kafka/Redpanda through @confluentinc/kafka-javascript's librdkafka-level API.
 * Settings that matter for correctness are fixed here, with why:
 *  - partitioner murmur2_random (see PRODUCER_TOPIC_CONFIG);
 *  - consumers: enable.auto.commit false (offsets go through transactions), read_committed,
 *    cooperative-sticky (a rebalance moves only the partitions that must move);
 *  - producers: idempotent; transactional ones get transactional.id.
 */
export class KafkaLog implements Log {
  readonly kind = 'kafka' as const
  readonly #rd: NativeModule
  readonly #options: KafkaLogOptions
  readonly #open = new Set<Closable>()
  #closed = false

  constructor (rd: NativeModule, options: KafkaLogOptions) {
    if (options.brokers.trim() === '') throw new LogError('BAD_CONFIG', 'brokers must list at least one host:port')
    this.#rd = rd
    this.#options = options
  }

  #base (): RdConfig {
    return { 'bootstrap.servers': this.#options.brokers, 'client.id': this.#options.clientId ?? 'volumer' }
  }

  #track<T extends Closable> (x: T): T {
    if (this.#closed) throw closedError('kafka log')
    const close = x.close.bind(x)
    this.#open.add(x)
    x.close = async () => {
      this.#open.delete(x)
      await close()
    }
    return x
  }

  #producerConfig (extra: RdConfig): RdConfig {
    return {
      ...this.#base(),
      'enable.idempotence': true,
      'linger.ms': this.#options.lingerMs ?? 5,
      // KAFKA-NOTES: a low retry backoff keeps sendOffsetsToTransaction / commit round trips short
      'retry.backoff.ms': 20,
      'queue.buffering.max.messages': 1_000_000,
      ...extra,
      ...this.#options.rdkafka,
    }
  }

  /**
   * librdkafka reports connection trouble as error events and retries by itself; they are
   * logged. Fatal ones (the client is unusable) also reach the owner through `onFatal`.
   */
  #watch (native: NativeClient, what: string, onFatal?: (err: LogError) => void): void {
    native.on('event.error', (err: NativeError) => {
      this.#options.logger?.warn({ err, client: what }, 'kafka client error')
      if (err?.isFatal === true) onFatal?.(fromKafkaError(err, what))
    })
  }

  async createConsumer (options: GroupConsumerOptions): Promise<GroupConsumer> {
    if (options.groupId === '') throw new LogError('BAD_CONFIG', 'groupId must not be empty')
    let consumer: KafkaGroupConsumer | null = null
    const native = new this.#rd.KafkaConsumer({
      ...this.#base(),
      'group.id': options.groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
      'partition.assignment.strategy': 'cooperative-sticky',
      'session.timeout.ms': this.#options.sessionTimeoutMs ?? 6000,
      'heartbeat.interval.ms': Math.max(500, Math.floor((this.#options.sessionTimeoutMs ?? 6000) / 4)),
      rebalance_cb: (err: any, assignment: any) => consumer?.rebalanceCallback(err, assignment),
      // per-partition fetch states for a stall report (diagnostics()); one small JSON in 10 s
      'statistics.interval.ms': 10_000,
      ...this.#options.rdkafka,
    }, { 'auto.offset.reset': options.autoOffsetReset ?? 'earliest' })
    consumer = new KafkaGroupConsumer(native, options)
    this.#watch(native, 'consumer ' + options.groupId, err => consumer?.fail(err))
    native.on('event.stats', (stats: { message?: string }) => consumer?.noteStatistics(stats.message ?? ''))
    native.setDefaultIsTimeoutOnlyForFirstMessage(true)
    await promised('connect consumer', cb => native.connect({}, cb))
    native.subscribe([...options.topics])
    return this.#track(consumer)
  }

  async createTransactionalProducer (options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    const timeout = this.#options.transactionTimeoutMs ?? 10_000
    const native = new this.#rd.Producer(this.#producerConfig({
      'transactional.id': options.transactionalId,
      // a transaction's records are all sent right before commit: lingering only delays it
      // (measured: mean commit 16–22 ms instead of 31–110 ms at 100 ms cycles)
      'linger.ms': 0,
      'transaction.timeout.ms': timeout,
      // librdkafka requires message.timeout.ms <= transaction.timeout.ms
      'message.timeout.ms': timeout,
      ...(options.maxMessageBytes !== undefined ? { 'message.max.bytes': options.maxMessageBytes } : {}),
      ...(options.maxBatchBytes !== undefined ? { 'batch.size': options.maxBatchBytes } : {}),
    }), PRODUCER_TOPIC_CONFIG)
    this.#watch(native, 'producer ' + options.transactionalId)
    return this.#track(await KafkaTransactionalProducer.create(native, options.transactionalId))
  }

  async createProducer (options: ProducerOptions = {}): Promise<Producer> {
    const extra: RdConfig = { dr_cb: true }
    if (options.lingerMs !== undefined) extra['linger.ms'] = options.lingerMs
    const native = new this.#rd.Producer(this.#producerConfig(extra), PRODUCER_TOPIC_CONFIG)
    this.#watch(native, 'producer')
    return this.#track(await KafkaProducer.create(native))
  }

  async createReader (options: ReaderOptions): Promise<Reader> {
    const native = new this.#rd.KafkaConsumer({
      ...this.#base(),
      // assign() only, never subscribe(): the group id is required by librdkafka but never joins
      'group.id': 'volumer-reader-' + randomUUID(),
      'enable.auto.commit': false,
      'enable.partition.eof': true,
      'isolation.level': options.isolation ?? 'read_committed',
      ...(options.bulk === true ? BULK_FETCH : {}),
      // unused without a group, but librdkafka checks it against a max.poll.interval.ms override
      'session.timeout.ms': this.#options.sessionTimeoutMs ?? 6000,
      ...this.#options.rdkafka,
    }, {})
    native.setDefaultIsTimeoutOnlyForFirstMessage(true)
    this.#watch(native, 'reader')
    return this.#track(await KafkaReader.create(this.#rd, native, options))
  }

  async createAdmin (): Promise<LogAdmin> {
    const native = this.#rd.AdminClient.create({ ...this.#base(), ...this.#options.rdkafka })
    return this.#track(new KafkaAdmin(this.#rd, native, new KafkaConfigClient(this.#options.brokers, this.#options.clientId ?? 'volumer')))
  }

  async close (): Promise<void> {
    this.#closed = true
    for (const c of [...this.#open]) await c.close().catch(() => {})
  }
}

/**
 * ReaderOptions.bulk: bigger fetches (librdkafka defaults: 1 MiB per partition, 50 MiB per
 * request, 64 MiB queued), so catching up on a large topic takes fewer round trips. The broker's
 * own fetch.max.bytes (55 MiB by default) still caps one response.
 */
const BULK_FETCH = {
  'fetch.message.max.bytes': 16 * 1024 * 1024,
  'fetch.max.bytes': 128 * 1024 * 1024,
  'receive.message.max.bytes': 130 * 1024 * 1024,
  'queued.max.messages.kbytes': 256 * 1024,
} as const

export async function createKafkaLog (options: KafkaLogOptions): Promise<KafkaLog> {
  return new KafkaLog(await loadNative(), options)
}
