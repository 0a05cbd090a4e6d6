/**
 * The log port: what the processor, the edge and the topology command need from a partitioned,
 * transactional log. Two adapters implement it: `memory-log.ts` (in-process, the embedded mode
 * runs on it) and `kafka-log.ts` (Kafka/Redpanda through @confluentinc/kafka-javascript).
 *
 * Offsets are JS numbers (exact up to 2^53, far beyond any partition's life) and always mean
 * "the next offset to read": a consumer's position, a committed offset and an end offset all
 * point one past the last record they cover. Committing `lastProcessed.offset + 1` is the
 * caller's job (see KAFKA-NOTES.md); `position()` already has that meaning.
 *
 * Everything that fails throws a `LogError` (see log-errors.ts) whose flags say what to do:
 * `fatal` (close this client and make a new one), `abortable` (abort the open transaction and
 * carry on), `retriable` (try the same call again later).
 */

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  /** next offset to read */
  readonly offset: number
}

export type Headers = Readonly<Record<string, Buffer>>

/** A record as read from the log. */
export interface LogRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key: Buffer | null
  /** null is a tombstone on compacted topics */
  readonly value: Buffer | null
  /** ms since the epoch (create time) */
  readonly timestamp: number
  readonly headers?: Headers
}

/** A record to write. Without `partition` the key picks it (murmur2, as Kafka's default). */
export interface ProduceRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly partition?: number
  readonly timestamp?: number
  readonly headers?: Headers
}

/** Records of one partition from one poll, in offset order. */
export interface PartitionBatch {
  readonly topic: string
  readonly partition: number
  readonly records: LogRecord[]
}

/**
 * Proof of group membership handed to `TransactionalProducer.sendOffsets` (KIP-447): the log
 * refuses offsets from a member that no longer owns the partitions, which fences zombies.
 * Opaque: only the adapter that made it can read it.
 */
export interface GroupMetadata {
  readonly groupId: string
  readonly memberId: string
  readonly generationId: number
}

export interface RevokeInfo {
  /** true when the partitions were taken away (session lost) rather than handed over cleanly */
  readonly lost: boolean
}

export interface GroupConsumerOptions {
  readonly groupId: string
  readonly topics: readonly string[]
  /**
   * Called inside `poll()` when partitions are given to this member, before any of their records
   * are returned. May return start offsets (e.g. from a checkpoint); partitions it leaves out
   * start at the group's committed offset, or the earliest offset when none is committed.
   */
  readonly onAssign?: (partitions: TopicPartition[]) => Promise<readonly TopicPartitionOffset[] | void>
  /**
   * Called inside `poll()` before partitions leave this member; they are released only once it
   * resolves, so this is the place to finish the open transaction and checkpoint.
   */
  readonly onRevoke?: (partitions: TopicPartition[], info: RevokeInfo) => Promise<void>
  /** where to start when the group has no committed offset: default 'earliest' */
  readonly autoOffsetReset?: 'earliest' | 'latest'
}

/** A consumer-group member. Always reads read_committed. Not safe for concurrent polls. */
export interface GroupConsumer {
  /**
   * Returns up to `maxRecords` records, grouped per partition, waiting at most `timeoutMs`
   * for the first one. Rebalance callbacks run inside this call. Returns [] on timeout.
   */
  poll (maxRecords: number, timeoutMs: number): Promise<PartitionBatch[]>
  assignment (): TopicPartition[]
  /** next offset this consumer will return for the partition (must be assigned) */
  position (tp: TopicPartition): number
  seek (tpo: TopicPartitionOffset): void
  pause (tps: readonly TopicPartition[]): void
  resume (tps: readonly TopicPartition[]): void
  /** the group's committed offsets (next offset to read); -1 when none */
  committed (tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  groupMetadata (): GroupMetadata
  /**
   * What the client itself says about its partitions and group, for a stall report (Kafka:
   * librdkafka's statistics of the assigned partitions, at most 10 s old); undefined when it
   * has nothing to say.
   */
  diagnostics? (): Record<string, unknown> | undefined
  /** leaves the group (running onRevoke for owned partitions) */
  close (): Promise<void>
}

export interface TransactionalProducerOptions {
  /** stable per processor instance slot; a newer producer with the same id fences the older */
  readonly transactionalId: string
  /**
   * largest record (bytes) it may send; give the largest max.message.bytes of the topics it
   * writes. Kafka adapter: librdkafka's message.max.bytes, else its default 1,000,000 refuses
   * larger records locally whatever the topic allows. The in-process log has no limit.
   */
  readonly maxMessageBytes?: number
  /**
   * largest batch of records for one partition (bytes); give the smallest max.message.bytes of
   * the topics it writes, since the broker checks a whole batch against it. Kafka adapter:
   * librdkafka's batch.size (default 1,000,000); a single larger record still goes alone.
   */
  readonly maxBatchBytes?: number
}

/**
 * One transaction at a time: begin → send* → sendOffsets? → commit | abort.
 * Creating it initialises the transactional id, which fences (FENCED) any older producer with
 * the same id and aborts that one's open transaction.
 */
export interface TransactionalProducer {
  begin (): Promise<void>
  /** queues a record in the open transaction; delivery errors surface at commit() */
  send (record: ProduceRecord): void
  /** adds consumed offsets (next offset to read!) to the open transaction */
  sendOffsets (offsets: readonly TopicPartitionOffset[], group: GroupMetadata): Promise<void>
  commit (): Promise<void>
  abort (): Promise<void>
  /** aborts an open transaction, then disconnects */
  close (): Promise<void>
}

export interface ProducerOptions {
  /** Kafka adapter only: batching delay (librdkafka linger.ms); default 5 */
  readonly lingerMs?: number
}

/** Plain (non-transactional, idempotent) producer, e.g. for the swap generator. */
export interface Producer {
  send (record: ProduceRecord): void
  /** resolves once everything sent so far is durable, rejects with the first delivery error */
  flush (): Promise<void>
  close (): Promise<void>
}

export type StartOffset = number | 'earliest' | 'latest'

export interface ReaderOptions {
  /** partitions to read and where to start; e.g. every partition of `stats` from 'earliest' */
  readonly partitions: ReadonlyArray<TopicPartition & { readonly from: StartOffset }>
  /** default 'read_committed' */
  readonly isolation?: IsolationLevel
  /**
   * a reader that starts far behind and wants throughput (the edge's rehydration): the Kafka
   * adapter fetches up to 16 MiB per partition per request instead of 1 MiB (measured on 100,000
   * stats records, 171 MB: spawn → ready 2.1–2.5 s instead of 2.6–2.9 s). Default false.
   */
  readonly bulk?: boolean
}

/**
 * Reads assigned partitions without a group (restore, the edge's feed). Tracks whether it has
 * caught up: for every partition, all records below the end offset (the last stable offset
 * under read_committed) sampled when the reader was created, or at the last `refreshEnd()`,
 * have been returned.
 */
export interface Reader {
  poll (maxRecords: number, timeoutMs: number): Promise<PartitionBatch[]>
  position (tp: TopicPartition): number
  /** the end offsets the caught-up check compares against */
  targets (): TopicPartitionOffset[]
  isCaughtUp (): boolean
  /** samples the end offsets again (e.g. to measure lag later) */
  refreshEnd (): Promise<void>
  close (): Promise<void>
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted'

export interface TopicSpec {
  readonly name: string
  readonly partitions: number
  readonly replicationFactor: number
  readonly configs: Readonly<Record<string, string>>
}

export interface TopicDescription {
  readonly name: string
  readonly partitions: number
  readonly replicationFactor: number
  /** effective configs as the log reports them (Kafka includes defaults) */
  readonly configs: Readonly<Record<string, string>>
}

export interface PartitionOffsets {
  readonly partition: number
  /** first offset still stored */
  readonly low: number
  /** end offset: high watermark (read_uncommitted) or last stable offset (read_committed) */
  readonly high: number
}

export interface LogAdmin {
  listTopics (): Promise<string[]>
  /** descriptions of the topics that exist; missing names are left out */
  describeTopics (names: readonly string[]): Promise<TopicDescription[]>
  /** throws TOPIC_EXISTS when one exists already */
  createTopics (specs: readonly TopicSpec[]): Promise<void>
  /** sets the given configs (incremental: other configs keep their values) */
  alterConfigs (topic: string, configs: Readonly<Record<string, string>>): Promise<void>
  /** raises the partition count to `total` (Kafka cannot lower it) */
  createPartitions (topic: string, total: number): Promise<void>
  offsets (topic: string, isolation?: IsolationLevel): Promise<PartitionOffsets[]>
  /** deletes topics (tests, resets); missing ones are ignored */
  deleteTopics (names: readonly string[]): Promise<void>
  close (): Promise<void>
}

export interface Log {
  readonly kind: 'memory' | 'kafka'
  createConsumer (options: GroupConsumerOptions): Promise<GroupConsumer>
  createTransactionalProducer (options: TransactionalProducerOptions): Promise<TransactionalProducer>
  createProducer (options?: ProducerOptions): Promise<Producer>
  createReader (options: ReaderOptions): Promise<Reader>
  createAdmin (): Promise<LogAdmin>
  /** closes what this log holds (the in-process log drops its data) */
  close (): Promise<void>
}

/** `topic:partition`, the key used for per-partition maps across the log layer */
export function tpKey (topic: string, partition: number): string {
  return topic + ':' + partition
}
