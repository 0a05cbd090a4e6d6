import { COMMITTED_RETRY_MS, fromKafkaError, promised, retryTransient } from './kafka-errors.js'
import {
  ERR_ASSIGN_PARTITIONS, ERR_REVOKE_PARTITIONS, OFFSET_INVALID, type NativeConsumer, type NativeError, type NativeMessage,
  type NativeTopicPartition,
} from './kafka-native.js'
import { closedError, LogError } from './log-errors.js'
import {
  tpKey, type GroupConsumer, type GroupConsumerOptions, type GroupMetadata, type Headers, type LogRecord, type PartitionBatch,
  type TopicPartition, type TopicPartitionOffset,
} from './log.js'

/** GroupMetadata handed out by Kafka consumers → the native consumer sendOffsetsToTransaction needs */
const handles = new WeakMap<GroupMetadata, NativeConsumer>()

export function groupHandle (group: GroupMetadata): NativeConsumer {
  const native = handles.get(group)
  if (native === undefined) {
    throw new LogError('BAD_CONFIG', 'sendOffsets needs the groupMetadata() of a consumer of the same Kafka log', { fatal: true })
  }
  return native
}

export function toLogRecord (m: NativeMessage): LogRecord {
  const key = m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key
  const record = { topic: m.topic, partition: m.partition, offset: m.offset, key, value: m.value ?? null, timestamp: m.timestamp ?? 0 }
  if (m.headers === undefined || m.headers.length === 0) return record
  const headers: Record<string, Buffer> = {}
  for (const h of m.headers) for (const [k, v] of Object.entries(h)) headers[k] = typeof v === 'string' ? Buffer.from(v) : v
  return { ...record, headers: headers as Headers }
}

/** groups consumed messages per partition, keeping only partitions `keep` accepts */
export function toBatches (messages: NativeMessage[], keep: (key: string) => boolean,
  onRecord: (key: string, offset: number) => void): PartitionBatch[] {
  const byPartition = new Map<string, PartitionBatch>()
  for (const m of messages) {
    const k = tpKey(m.topic, m.partition)
    if (!keep(k)) continue
    let batch = byPartition.get(k)
    if (batch === undefined) {
      batch = { topic: m.topic, partition: m.partition, records: [] }
      byPartition.set(k, batch)
    }
    batch.records.push(toLogRecord(m))
    onRecord(k, m.offset + 1)
  }
  return [...byPartition.values()]
}

/**
 * A group member on librdkafka with the cooperative-sticky assignor. librdkafka raises rebalance
 * events inside consume(), but the binding hands them to JavaScript through its own uv_async
 * dispatcher: the callback can run after consume()'s result, while the application is between
 * polls (in the middle of a transaction). So the callback only queues the event; poll() runs
 * queued events (the owner's async onRevoke / onAssign, then incrementalUnassign /
 * incrementalAssign) before and after consume(), and nowhere else. The owner's partitions thus
 * change only inside poll() and close(), as the GroupConsumer interface promises, and records of
 * a revoked partition are never handed out. librdkafka waits for the incremental (un)assign, so
 * holding an event until the next poll only delays the rebalance by the time between polls.
 */
export class KafkaGroupConsumer implements GroupConsumer {
  readonly #native: NativeConsumer
  readonly #options: GroupConsumerOptions
  readonly #metadata: GroupMetadata
  #assigned = new Map<string, TopicPartition>()
  #positions = new Map<string, number>()
  /** rebalance events from librdkafka, run in order by the next poll() (see the class comment) */
  #queued: Array<{ err: NativeError, tps: TopicPartition[] }> = []
  #settling = false
  #error: LogError | null = null
  #closing = false
  #closed = false
  /** the latest librdkafka statistics JSON (diagnostics()) and when it came */
  #statistics = ''
  #statisticsAt = 0

  readonly #committedRetryMs: readonly number[]

  constructor (native: NativeConsumer, options: GroupConsumerOptions, committedRetryMs: readonly number[] = COMMITTED_RETRY_MS) {
    this.#native = native
    this.#options = options
    this.#committedRetryMs = committedRetryMs
    this.#metadata = { groupId: options.groupId, memberId: '', generationId: -1 }
    handles.set(this.#metadata, native)
  }

  /** a fatal client error: thrown by the next poll() */
  fail (err: LogError): void {
    this.#error ??= err
  }

  /** the rebalance_cb given to librdkafka's config */
  rebalanceCallback (err: NativeError, assignment: NativeTopicPartition[]): void {
    const tps = assignment.map(a => ({ topic: a.topic, partition: a.partition }))
    if (this.#closing) {
      // leaving: the revoke callback ran in close() already
      if (err.code === ERR_REVOKE_PARTITIONS) this.#native.incrementalUnassign(tps)
      return
    }
    this.#queued.push({ err, tps })
  }

  async #rebalance (err: NativeError, tps: TopicPartition[]): Promise<void> {
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      let given = new Map<string, number>()
      try {
        const starts = await this.#options.onAssign?.(tps)
        given = new Map((starts ?? []).map(s => [tpKey(s.topic, s.partition), s.offset]))
        await this.#resolveStarts(tps, given)
      } finally {
        const native: NativeTopicPartition[] = tps.map(tp => {
          const k = tpKey(tp.topic, tp.partition)
          this.#assigned.set(k, tp)
          const offset = given.get(k)
          if (offset === undefined) return { topic: tp.topic, partition: tp.partition }
          this.#positions.set(k, offset)
          return { topic: tp.topic, partition: tp.partition, offset }
        })
        this.#native.incrementalAssign(native)
      }
    } else if (err.code === ERR_REVOKE_PARTITIONS) {
      const lost = this.#native.assignmentLost()
      try {
        await this.#options.onRevoke?.(tps, { lost })
      } finally {
        for (const tp of tps) {
          const k = tpKey(tp.topic, tp.partition)
          this.#assigned.delete(k)
          this.#positions.delete(k)
        }
        this.#native.incrementalUnassign(tps)
      }
    } else {
      throw err
    }
  }

  /**
   * Resolves where partitions without an onAssign offset start, as the in-process log does:
   * the committed offset (librdkafka asks with require-stable under read_committed, so offsets
   * of a previous owner's pending transaction are waited for), else the low or high watermark.
   * Assigning explicit offsets makes position() exact from the start.
   */
  async #resolveStarts (tps: TopicPartition[], given: Map<string, number>): Promise<void> {
    const missing = tps.filter(tp => !given.has(tpKey(tp.topic, tp.partition)))
    if (missing.length === 0) return
    const committed = await retryTransient(async () => await promised<NativeTopicPartition[]>('committed', cb =>
      this.#native.committed(missing.map(tp => ({ topic: tp.topic, partition: tp.partition })), 10_000, cb)), this.#committedRetryMs)
    for (const c of committed) if (c.offset !== undefined && c.offset >= 0) given.set(tpKey(c.topic, c.partition), c.offset)
    for (const tp of missing) {
      const k = tpKey(tp.topic, tp.partition)
      if (given.has(k)) continue
      const w = await promised<{ lowOffset: number, highOffset: number }>('watermarks',
        cb => this.#native.queryWatermarkOffsets(tp.topic, tp.partition, 10_000, cb))
      given.set(k, this.#options.autoOffsetReset === 'latest' ? w.highOffset : w.lowOffset)
    }
  }

  async poll (maxRecords: number, timeoutMs: number): Promise<PartitionBatch[]> {
    this.#throwPending()
    await this.#settle()
    this.#native.setDefaultConsumeTimeout(timeoutMs)
    const messages = await promised<NativeMessage[]>('consume', cb => this.#native.consume(maxRecords, cb))
    await this.#settle()
    this.#throwPending()
    return toBatches(messages, k => this.#assigned.has(k), (k, next) => this.#positions.set(k, next))
  }

  /** runs queued rebalance events, including ones queued meanwhile */
  async #settle (): Promise<void> {
    // not re-entrant: an owner's callback that polled would run events out of order
    if (this.#settling) return
    this.#settling = true
    try {
      for (let ev = this.#queued.shift(); ev !== undefined; ev = this.#queued.shift()) {
        try {
          await this.#rebalance(ev.err, ev.tps)
        } catch (e) {
          this.#error ??= fromKafkaError(e, 'rebalance')
        }
      }
    } finally {
      this.#settling = false
    }
  }

  #throwPending (): void {
    if (this.#closed) throw closedError('consumer')
    const err = this.#error
    if (err !== null) {
      this.#error = null
      throw err
    }
  }

  assignment (): TopicPartition[] {
    return [...this.#assigned.values()]
  }

  position (tp: TopicPartition): number {
    const k = tpKey(tp.topic, tp.partition)
    if (!this.#assigned.has(k)) throw new LogError('LOG_ERROR', `${k} is not assigned to this consumer`)
    const mine = this.#positions.get(k)
    if (mine !== undefined) return mine
    const [p] = this.#native.position([{ topic: tp.topic, partition: tp.partition }])
    return p === undefined || p.offset === undefined || p.offset === OFFSET_INVALID ? -1 : p.offset
  }

  seek (tpo: TopicPartitionOffset): void {
    const k = tpKey(tpo.topic, tpo.partition)
    if (!this.#assigned.has(k)) throw new LogError('LOG_ERROR', `seek: ${k} is not assigned to this consumer`)
    this.#positions.set(k, tpo.offset)
    this.#native.seek({ topic: tpo.topic, partition: tpo.partition, offset: tpo.offset }, 0, err => {
      if (err === null || err === undefined) return
      // the next poll() throws it: a partition whose seek failed would go on from where it was,
      // past records its owner has not processed. Retriable: the owner rebuilds what it owns.
      if (this.#assigned.has(k)) this.#error ??= new LogError('LOG_ERROR', `seek ${k} to ${tpo.offset}: ${fromKafkaError(err, 'seek').message}`, { cause: err, retriable: true })
    })
  }

  pause (tps: readonly TopicPartition[]): void {
    this.#native.pause(tps.map(tp => ({ topic: tp.topic, partition: tp.partition })))
  }

  resume (tps: readonly TopicPartition[]): void {
    this.#native.resume(tps.map(tp => ({ topic: tp.topic, partition: tp.partition })))
  }

  async committed (tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    // a timeout here is mostly the stable offset fetch waiting out a killed owner's transaction
    const got = await retryTransient(async () => await promised<NativeTopicPartition[]>('committed',
      cb => this.#native.committed(tps.map(tp => ({ topic: tp.topic, partition: tp.partition })), 10_000, cb)), this.#committedRetryMs)
    return got.map(g => ({ topic: g.topic, partition: g.partition, offset: g.offset === undefined || g.offset < 0 ? -1 : g.offset }))
  }

  groupMetadata (): GroupMetadata {
    return this.#metadata
  }

  /** librdkafka's statistics (statistics.interval.ms), kept unparsed until a stall asks */
  noteStatistics (json: string): void {
    this.#statistics = json
    this.#statisticsAt = Date.now()
  }

  /**
   * The assigned partitions as librdkafka sees them (fetch state, leader, offsets, LSO, queue)
   * and the group's state: what a stall report needs to tell "not fetching" from "fetching
   * nothing" (fields: https://github.com/confluentinc/librdkafka/blob/master/STATISTICS.md).
   */
  diagnostics (): Record<string, unknown> | undefined {
    if (this.#statistics === '') return undefined
    let stats: any
    try { stats = JSON.parse(this.#statistics) } catch { return undefined }
    const partitions: Record<string, unknown> = {}
    for (const tp of this.#assigned.values()) {
      const p = stats?.topics?.[tp.topic]?.partitions?.[String(tp.partition)]
      if (p === undefined) { partitions[tpKey(tp.topic, tp.partition)] = null; continue }
      partitions[tpKey(tp.topic, tp.partition)] = {
        fetchState: p.fetch_state, leader: p.leader, fetchqCnt: p.fetchq_cnt, nextOffset: p.next_offset, appOffset: p.app_offset,
        committedOffset: p.committed_offset, hiOffset: p.hi_offset, lsOffset: p.ls_offset, consumerLag: p.consumer_lag, rxmsgs: p.rxmsgs
      }
    }
    const brokers: Record<string, unknown> = {}
    for (const b of Object.values<any>(stats?.brokers ?? {})) brokers[String(b.name)] = { state: b.state, nodeid: b.nodeid, outbufCnt: b.outbuf_cnt, waitrespCnt: b.waitresp_cnt, toppars: Object.keys(b.toppars ?? {}).length }
    return { ageMs: Date.now() - this.#statisticsAt, cgrp: { state: stats?.cgrp?.state, joinState: stats?.cgrp?.join_state, rebalanceCnt: stats?.cgrp?.rebalance_cnt, assignmentSize: stats?.cgrp?.assignment_size }, partitions, brokers }
  }

  async close (): Promise<void> {
    if (this.#closing) return
    await this.#settle()
    this.#closing = true
    const owned = this.assignment()
    try {
      if (owned.length > 0) await this.#options.onRevoke?.(owned, { lost: false })
    } finally {
      this.#assigned.clear()
      this.#closed = true
      await promised('disconnect consumer', cb => this.#native.disconnect(cb)).catch(() => {})
    }
  }
}
