/**
 * The slice of @confluentinc/kafka-javascript's librdkafka-level API (the `RdKafka` classes,
 * not the KafkaJS-compatible layer) that the adapter uses, typed structurally. We use that level
 * because its `consume(n)` is a pull, which is what `poll(max, timeoutMs)` is, and it lets the
 * rebalance callback await the processor's revoke/assign work before librdkafka proceeds.
 * The package is loaded on first use, so the in-process log never needs the native module.
 */
import { VolumerError } from '../errors.js'

export interface NativeTopicPartition {
  topic: string
  partition: number
  offset?: number
}

export interface NativeMessage {
  topic: string
  partition: number
  offset: number
  key?: Buffer | string | null
  value: Buffer | null
  timestamp?: number
  headers?: Array<Record<string, Buffer | string>>
}

export interface NativeError {
  code: number
  message: string
  isFatal?: boolean
  isRetriable?: boolean
  isTxnRequiresAbort?: boolean
}

type Cb<T = void> = (err: NativeError | null | undefined, value: T) => void

export interface NativeClient {
  connect (options: { timeout?: number }, cb: Cb<unknown>): void
  disconnect (cb: Cb<unknown>): void
  on (event: string, listener: (...args: any[]) => void): void
}

export interface NativeConsumer extends NativeClient {
  subscribe (topics: string[]): void
  unsubscribe (): void
  assign (tps: NativeTopicPartition[]): void
  unassign (): void
  incrementalAssign (tps: NativeTopicPartition[]): void
  incrementalUnassign (tps: NativeTopicPartition[]): void
  rebalanceProtocol (): string
  assignmentLost (): boolean
  assignments (): NativeTopicPartition[]
  consume (n: number, cb: Cb<NativeMessage[]>): void
  setDefaultConsumeTimeout (ms: number): void
  setDefaultIsTimeoutOnlyForFirstMessage (v: boolean): void
  position (tps?: NativeTopicPartition[]): NativeTopicPartition[]
  seek (tp: NativeTopicPartition, timeout: number, cb: Cb<unknown>): void
  pause (tps: NativeTopicPartition[]): void
  resume (tps: NativeTopicPartition[]): void
  committed (tps: NativeTopicPartition[], timeout: number, cb: Cb<NativeTopicPartition[]>): void
  queryWatermarkOffsets (topic: string, partition: number, timeout: number, cb: Cb<{ lowOffset: number, highOffset: number }>): void
}

export interface NativeProducer extends NativeClient {
  produce (topic: string, partition: number | null, value: Buffer | null, key: Buffer | null, timestamp: number | null,
    opaque: unknown, headers: Array<Record<string, Buffer>> | undefined): void
  flush (timeout: number, cb: Cb<unknown>): void
  setPollInterval (ms: number): void
  initTransactions (timeout: number, cb: Cb<unknown>): void
  beginTransaction (cb: Cb<unknown>): void
  commitTransaction (timeout: number, cb: Cb<unknown>): void
  abortTransaction (timeout: number, cb: Cb<unknown>): void
  sendOffsetsToTransaction (offsets: NativeTopicPartition[], consumer: NativeConsumer, timeout: number, cb: Cb<unknown>): void
}

export interface NativeTopicDescription {
  name: string
  partitions: Array<{ partition: number, replicas: unknown[] }>
  error?: NativeError
}

export interface NativeAdmin {
  createTopic (t: { topic: string, num_partitions: number, replication_factor: number, config?: Record<string, string> },
    timeout: number, cb: Cb<unknown>): void
  deleteTopic (topic: string, timeout: number, cb: Cb<unknown>): void
  createPartitions (topic: string, total: number, timeout: number, cb: Cb<unknown>): void
  listTopics (options: { timeout?: number }, cb: Cb<string[]>): void
  describeTopics (topics: string[], options: { timeout?: number }, cb: Cb<NativeTopicDescription[]>): void
  listOffsets (tps: Array<{ topic: string, partition: number, offset: unknown }>,
    options: { timeout?: number, isolationLevel?: number }, cb: Cb<Array<{ topic: string, partition: number, offset: number }>>): void
  disconnect (): void
}

export interface NativeModule {
  KafkaConsumer: new (conf: Record<string, unknown>, topicConf?: Record<string, unknown>) => NativeConsumer
  Producer: new (conf: Record<string, unknown>, topicConf?: Record<string, unknown>) => NativeProducer
  AdminClient: { create (conf: Record<string, unknown>): NativeAdmin, createFrom (client: NativeClient): NativeAdmin }
  OffsetSpec: { EARLIEST: unknown, LATEST: unknown }
  IsolationLevel: { READ_UNCOMMITTED: number, READ_COMMITTED: number }
}

let loaded: Promise<NativeModule> | null = null

export function loadNative (): Promise<NativeModule> {
  loaded ??= import('@confluentinc/kafka-javascript').then(m => (m.default ?? m) as unknown as NativeModule, (err: unknown) => {
    // a native add-on built for another Node (ABI) fails here with a long stack: say what to do
    const first = String((err as Error)?.message ?? err).replace(/\s+/g, ' ').slice(0, 300)
    throw new VolumerError('RUNTIME_UNSUPPORTED', `the Kafka client (@confluentinc/kafka-javascript) does not load on Node ${process.version} (ABI ${process.versions.modules}): ${first}; run "npm rebuild @confluentinc/kafka-javascript" (or npm install) under this Node`, { cause: err })
  })
  return loaded
}

/** librdkafka's logical offsets */
export const OFFSET_BEGINNING = -2
export const OFFSET_END = -1
export const OFFSET_INVALID = -1001

export const ERR_ASSIGN_PARTITIONS = -175
export const ERR_REVOKE_PARTITIONS = -174
export const ERR_QUEUE_FULL = -184
