import type { Logger } from 'pino'
import { COUNTED, DUPLICATE, LATE, DEFAULT_WINDOWS, type Engine, type WindowSpec } from '../engine/index.js'
import type { Log, LogAdmin, GroupConsumer, TransactionalProducer, ProduceRecord, TopicPartition, LogRecord, TopicPartitionOffset, TopicDescription, PartitionBatch, PartitionOffsets } from '../log/log.js'
import type { CheckpointStore } from '../store/checkpoint-store.js'
import {
  createSwapDecoder, createStatsEncoder, createStateChangeEncoder, createStateChangeDecoder,
  type SchemaRegistry, type SwapDecoder, type StateChange
} from '../codec/index.js'
import type { RecordEncoder } from '../codec/record-codecs.js'
import type { StatsObject } from '../engine/stats.js'
import { validateSwapObject } from '../swap/parse-swap.js'
import { isSwapReject } from '../swap/swap-reject.js'
import { isVolumerError, VolumerError } from '../errors.js'
import { systemClock, type Clock } from '../clock.js'
import { DEFAULT_TOPICS, type TopicNames } from './topics.js'
import type { ProcessorMetrics } from './processor-metrics.js'
import { loadCheckpoint, replayChangelog, type LoadedCheckpoint } from './restore-partition.js'
import { StandbyReplicas } from './standby-replicas.js'
import { createFreezeDetector, type FreezeDetector } from './freeze-detector.js'
import { createStallWatchdog, type StallWatchdog } from './stall-watchdog.js'
import { snapshotInSlices } from './sliced-snapshot.js'
import { createLoopTurns, LOOP_SLICE_MS } from './loop-turns.js'
import { createCandlePublisher, type CandlePublisher } from './candle-publisher.js'
import { DEFAULT_CANDLE_INTERVALS, type CandleInterval } from '../engine/candle-intervals.js'

export interface ProcessorOptions {
  log: Log
  store: CheckpointStore
  registry: SchemaRegistry
  logger: Logger
  metrics: ProcessorMetrics
  clock?: Clock
  /** consumer group (and checkpoint namespace); default "volumer" */
  groupId?: string
  /** stable per processor instance: a restarted instance fences its previous incarnation */
  transactionalId: string
  topics?: TopicNames
  windows?: readonly WindowSpec[]
  skewMs?: number
  /** one transaction per cycle: at most this long (ms) between commits; default 100 */
  cycleMs?: number
  /** ...or this many input records, whichever comes first; default 20000 */
  maxRecordsPerCycle?: number
  /** checkpoint each partition this often (ms); default 60000 */
  checkpointIntervalMs?: number
  /**
   * report every token again after a restore: for a stats log that does not outlive the
   * process (the embedded mode's in-process log); default false
   */
  reportAllOnRestore?: boolean
  /**
   * Freeze detection: when the process has been stopped this long (ms of wall time with no CPU
   * time, e.g. SIGSTOP or a stalled VM) since the last poll, it may have lost its partitions
   * without knowing yet; a cycle is then not committed before it has polled the group. Set it to
   * what a freeze can last without costing the membership: session timeout − heartbeat
   * interval. Default 2250 (3 s session).
   */
  frozenAfterMs?: number
  /**
   * Changelog records are DELTAs (the swaps a token counted in a cycle) while the partition's
   * newest stored checkpoint is younger than this (ms); older, the processor writes FULL token
   * states and rewrites every token that has DELTAs since the checkpoint, so compaction (which
   * keeps only a key's newest record once it is older than the state topic's
   * min.compaction.lag.ms) can never remove a DELTA that a restore needs. Capped at half the
   * topic's lag at start-up; 0 = FULL records only. Default 3600000 (1 h).
   */
  fullAfterMs?: number
  /**
   * Keep a standby copy of every partition this processor does not own, following the state
   * changelog, so that taking one over replays seconds of changelog instead of restoring it
   * (standby-replicas.ts). Costs the memory of those partitions' state and the CPU to apply
   * their changelog. Default false.
   */
  standby?: boolean
  /**
   * Candle intervals published to `topics.candles` (issue #22); default 1m 5m 15m 1h 4h 1d; [] =
   * none. Candles are off when `topics.candles` is unset or the topic does not exist.
   */
  candleIntervals?: readonly CandleInterval[]
  /**
   * The processor counts as stalled (logged, `volumer_processor_stalled` 1, not ready) when its
   * cycle loop has not come round for this long (ms), or its partitions have records waiting and
   * it has read none for this long (stall-watchdog.ts). Default 60000.
   */
  stallAfterMs?: number
  /**
   * The cycle loop gives the event loop a turn after this much synchronous work (ms) while it
   * ingests a batch and between partitions when it drains a cycle (loop-turns.ts): the embedded
   * mode's edge shares the thread. Default 5; 0 yields at every check (tests).
   */
  loopSliceMs?: number
}

/** Per assigned input partition: its engine and how far it has read and committed. */
interface PartitionTask {
  readonly partition: number
  engine: Engine
  /** next offset to read, after the records processed so far */
  position: number
  /** next offset to read as of the last committed transaction (-1: none yet) */
  committed: number
  lastCheckpointAt: number
  checkpointedPosition: number
  checkpointing: Promise<void> | null
  counted: number
  duplicates: number
  late: number
  /** the group's committed offset when assigned (-1: none): lets even the first cycle carry offsets */
  startOffset: number
  /** DLQ records of this partition in the open cycle: they leave with the partition when it is lost */
  dlq: ProduceRecord[]
  /** per token (chain:token), the input values it counted in the open cycle: its DELTA */
  deltas: Map<string, Uint8Array[]>
  /** tokens whose newest changelog record since the base checkpoint is a DELTA */
  deltaKeys: Set<string>
  /** createdAt of the newest stored checkpoint (or when the partition was restored without one) */
  baseAt: number
  /**
   * Records of cycles whose transaction a rebalance refused (the group's generation moved on
   * before sendOffsets): the engine is past them, so they go with the next transaction instead
   * of the partition being rebuilt. Dropped with the partition if it is revoked or lost.
   */
  carried: ProduceRecord[]
}

/** more fences than this within a minute: someone else holds our transactional id (fatal) */
const MAX_FENCES_PER_MINUTE = 3

/**
 * How long the cycle loop waits at most for the changelog's end offsets before a checkpoint.
 * The admin's own retries (describe, list offsets) take minutes while a broker is dead, and the
 * loop read nothing meanwhile (issue #23's chaos test: 46–68 s in 'checkpoint'); past this the
 * checkpoint is skipped, as when the read fails.
 */
const CHECKPOINT_OFFSETS_WAIT_MS = 5000

/** at stop, how long an unawaited lag sample or offsets read may delay closing the admin (ms) */
const IN_FLIGHT_CLOSE_WAIT_MS = 5000

/** FULL rewrites of DELTA tokens per partition and cycle once a checkpoint is overdue */
const REWRITES_PER_CYCLE = 2000

/**
 * librdkafka's message.max.bytes default, and the state record limit when the topic does not
 * say (Kafka's own broker default is 1,048,588)
 */
const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000
/**
 * Room under a topic's max.message.bytes for what the broker counts besides the value: the
 * record batch header (61 bytes), the record's framing, its key and headers.
 */
const RECORD_FRAMING_BYTES = 4096
/** an Avro bytes item's length prefix (a zig-zag varint: 5 bytes reach 2 GiB) */
const AVRO_BYTES_PREFIX = 5

/** a topic's max.message.bytes as described by the log, or undefined */
function maxMessageBytes (d: TopicDescription | undefined): number | undefined {
  const v = Number(d?.configs['max.message.bytes'])
  return Number.isFinite(v) && v > 0 ? v : undefined
}

/**
 * Splits one token's DELTA (the input values it counted in a cycle) into groups whose encoded
 * record stays under `limit` bytes: a hot token's cycle can hold 20,000 swaps, megabytes.
 * Replay applies the parts in order at the same clock, which is what one record would do.
 */
export function splitDelta (values: readonly Uint8Array[], limit: number): Uint8Array[][] {
  const parts: Uint8Array[][] = []
  let part: Uint8Array[] = []
  let bytes = 0
  for (const v of values) {
    const size = v.byteLength + AVRO_BYTES_PREFIX
    if (part.length > 0 && bytes + size > limit) { parts.push(part); part = []; bytes = 0 }
    part.push(v)
    bytes += size
  }
  if (part.length > 0) parts.push(part)
  return parts
}

export interface Processor {
  /** runs until `stop()`; rejects on a fatal error (the caller exits, a supervisor restarts) */
  run (): Promise<void>
  stop (): Promise<void>
  /** resolves after the first assignment has been restored */
  readonly ready: Promise<void>
  assigned (): number[]
  /** test and embedded hook: the engine of an owned partition */
  engineOf (partition: number): Engine | undefined
  /** true while the stall watchdog finds the processor not processing (stall-watchdog.ts) */
  stalled (): boolean
}

const STATE_VERSION = 1
const EMPTY = new Uint8Array(0)

export function createProcessor (opts: ProcessorOptions): Processor {
  const log = opts.log
  const logger = opts.logger
  const m = opts.metrics
  const clock = opts.clock ?? systemClock
  const groupId = opts.groupId ?? 'volumer'
  const topics = opts.topics ?? DEFAULT_TOPICS
  const windows = opts.windows ?? DEFAULT_WINDOWS
  const skewMs = opts.skewMs ?? 60_000
  const cycleMs = opts.cycleMs ?? 100
  const maxRecords = opts.maxRecordsPerCycle ?? 20_000
  const checkpointIntervalMs = opts.checkpointIntervalMs ?? 60_000
  const frozenAfterMs = opts.frozenAfterMs ?? 2250
  // Yielding is safe wherever the cycle loop awaits it: the loop is the only code that changes
  // the engines or the offsets, and rebalance callbacks run only inside its poll
  const turns = createLoopTurns(opts.loopSliceMs ?? LOOP_SLICE_MS)
  let fullAfterMs = opts.fullAfterMs ?? 3_600_000
  /** largest state record value the broker accepts, from the state topic's max.message.bytes */
  let stateRecordLimit = DEFAULT_MAX_MESSAGE_BYTES - RECORD_FRAMING_BYTES
  /** the producer's message.max.bytes: the largest max.message.bytes of the topics it writes */
  let producerMaxBytes = DEFAULT_MAX_MESSAGE_BYTES
  /** the producer's batch.size: the broker checks a whole batch against the topic's limit */
  let producerBatchBytes = DEFAULT_MAX_MESSAGE_BYTES
  let oversizeWarnedAt = -Infinity
  // the longest time the process went without running since the last poll returned (rebalance
  // callbacks run inside poll); sampled while run() runs (freeze-detector.ts)
  let freezes: FreezeDetector | undefined
  // created in run(); until then the calls below do nothing
  let watchdog: StallWatchdog | undefined
  const enter = (stage: string): void => watchdog?.enter(stage)
  const frozen = (): boolean => (freezes?.frozenMs() ?? 0) > frozenAfterMs
  const noticeFreeze = (what: string, frozenMs: number): void => {
    m.freezes.inc()
    logger.warn({ frozenMs: Math.round(frozenMs) }, `the process was frozen ${what}; not committing before it has polled the group`)
  }

  const tasks = new Map<number, PartitionTask>()
  /** partitions onRevoke is handing over: not rebuilt if its last commit fails */
  let leaving: Set<number> | undefined
  /**
   * The engines hold records no transaction has committed (the last cycle was carried, or
   * skipped after a freeze): a checkpoint now would store them under the committed offset.
   */
  let uncommitted = false
  /** transactions refused by a rebalance whose records wait in `carried` (logged when they settle) */
  let refusedPending = 0
  let consumer: GroupConsumer | undefined
  let producer: TransactionalProducer | undefined
  let admin: LogAdmin | undefined
  let swapDecoder: SwapDecoder
  let statsEncoder: RecordEncoder<StatsObject>
  let stateEncoder: RecordEncoder<StateChange>
  const stateDecoder = createStateChangeDecoder(opts.registry)
  let stopping = false
  let pendingRecords = 0
  let cycleStart = clock.now()
  let resolveReady!: () => void
  const ready = new Promise<void>((resolve) => { resolveReady = resolve })
  let stopped: Promise<void> | undefined
  /** clock times of recent fences (recoverFromFence) */
  let fencedAt: number[] = []
  let standby: StandbyReplicas | undefined
  /** set in run() when the candles topic exists (candle-publisher.ts) */
  let candles: CandlePublisher | undefined
  /** partitions of the input topic (= of the state topic), known when standby copies are kept */
  let partitionCount = 0
  const followOthers = (): void => {
    if (standby === undefined) return
    const others: number[] = []
    for (let p = 0; p < partitionCount; p++) if (!tasks.has(p)) others.push(p)
    standby.follow(others)
  }

  function toDlq (task: PartitionTask, rec: LogRecord, code: string, message: string): void {
    m.dlq.labels(code).inc()
    task.dlq.push({
      topic: topics.dlq,
      key: rec.key,
      value: rec.value,
      headers: {
        'volumer.reason': Buffer.from(code),
        'volumer.message': Buffer.from(message.slice(0, 1000)),
        'volumer.source': Buffer.from(`${rec.topic}:${rec.partition}:${rec.offset}`)
      }
    })
  }

  async function onAssign (partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const mine = partitions.filter((tp) => tp.topic === topics.swaps && !tasks.has(tp.partition))
    if (mine.length === 0) return []
    // Under read_committed the offset fetch is "stable": it waits until a previous owner's open
    // transaction (a killed processor's, or a zombie paused between sendOffsets and commit) is
    // committed or aborted, up to the transaction timeout. Only then is the changelog complete
    // up to those offsets (KIP-447). The checkpoints do not depend on it (loadCheckpoint): they
    // are fetched and decoded meanwhile, in parallel, so a takeover does not add that work to
    // the wait.
    const t0 = performance.now()
    const ctx = { log, store: opts.store, stateDecoder, swapDecoder, groupId, stateTopic: topics.state, windows, skewMs, now: clock.now(), logger }
    const load = async (partition: number): Promise<LoadedCheckpoint> =>
      (await standby?.take(partition)) ?? await loadCheckpoint(ctx, partition)
    const loading = new Map(mine.map((tp) => {
      const p = load(tp.partition).then((loaded) => ({ loaded, seconds: (performance.now() - t0) / 1000 }))
      // handled where it is awaited below; without this a failure during the offset fetch
      // would be an unhandled rejection
      p.catch(() => {})
      return [tp.partition, p]
    }))
    let committed: TopicPartitionOffset[]
    enter('rebalance: committed offsets')
    try {
      committed = await consumer!.committed(mine)
    } catch (err) {
      await Promise.allSettled(loading.values())
      throw err
    }
    const offsetsWaitSeconds = (performance.now() - t0) / 1000
    const startAt = new Map(committed.map((c) => [c.partition, c.offset]))
    enter('rebalance: restore')
    // allSettled, not all: when one restore fails, the processor fails and closes its clients;
    // siblings still restoring would outlive that close (their readers kept the process alive
    // in the chaos test, issue #23). Every restore ends first, then the first failure is thrown.
    const settled = await Promise.allSettled(mine.map(async (tp) => {
      const { loaded, seconds: checkpointSeconds } = await loading.get(tp.partition)!
      const restored = await replayChangelog(ctx, tp.partition, loaded)
      const candleRestore = await candles?.restore(tp.partition, restored.engine.horizonStart)
      // from the assignment: what the partition's readers waited for
      const seconds = (performance.now() - t0) / 1000
      m.restoreSeconds.observe(seconds)
      if (opts.reportAllOnRestore === true) restored.engine.resetReported()
      const c = restored.engine.counters
      tasks.set(tp.partition, {
        partition: tp.partition,
        engine: restored.engine,
        position: -1,
        committed: -1,
        // no checkpoint yet: take one after the first commit, so restores stop replaying from the start
        lastCheckpointAt: restored.checkpoint === null ? -Infinity : clock.now(),
        checkpointedPosition: restored.checkpoint?.inputOffset ?? -1,
        checkpointing: null,
        counted: c.counted, duplicates: c.duplicates, late: c.late,
        startOffset: startAt.get(tp.partition) ?? -1,
        dlq: [],
        deltas: new Map(),
        deltaKeys: restored.deltaKeys,
        baseAt: restored.checkpointAt ?? clock.now(),
        carried: []
      })
      logger.info({
        partition: tp.partition,
        seconds: Number(seconds.toFixed(3)),
        offsetsWaitSeconds: Number(offsetsWaitSeconds.toFixed(3)),
        checkpointSeconds: Number(checkpointSeconds.toFixed(3)),
        readerOpenSeconds: Number(restored.readerOpenSeconds.toFixed(3)),
        pollSeconds: Number(restored.pollSeconds.toFixed(3)),
        tokens: restored.engine.tokenCount,
        standby: loaded.changelogFrom !== undefined,
        checkpointOffset: restored.checkpoint?.inputOffset ?? null,
        changelogRecords: restored.changelogRecords,
        candleRecords: candleRestore?.records,
        candleSeconds: candleRestore === undefined ? undefined : Number(candleRestore.seconds.toFixed(3))
      }, 'partition restored')
    }))
    const failed = settled.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    m.assignedPartitions.set(tasks.size)
    followOthers()
    resolveReady()
    return committed.filter((c) => c.offset >= 0)
  }

  async function onRevoke (partitions: TopicPartition[], info: { lost: boolean }): Promise<void> {
    const mine = partitions.filter((tp) => tp.topic === topics.swaps && tasks.has(tp.partition))
    if (mine.length === 0) return
    enter('rebalance: revoke')
    if (!info.lost) {
      // a failed commit here rebuilds only the partitions that stay: the ones leaving are
      // dropped below, and their next owner resumes from the last commit
      leaving = new Set(mine.map((tp) => tp.partition))
      try {
        await commitCycle()
      } catch (err) {
        logger.warn({ err }, 'could not commit before handing partitions over; the next owner resumes from the last commit')
      } finally {
        leaving = undefined
      }
      if (!uncommitted) {
        await Promise.all(mine.map(async (tp) => {
          const task = tasks.get(tp.partition)
          if (task !== undefined) await checkpoint(task, true)
        }))
      }
    }
    for (const tp of mine) { tasks.delete(tp.partition); candles?.drop(tp.partition); m.lag.remove(String(tp.partition)) }
    m.assignedPartitions.set(tasks.size)
    followOthers()
    logger.info({ partitions: mine.map((tp) => tp.partition), lost: info.lost }, 'partitions revoked')
  }

  async function processBatch (task: PartitionTask, records: LogRecord[]): Promise<boolean> {
    try {
      await swapDecoder.prepare(records.map((r) => r.value))
    } catch (err) {
      if (isVolumerError(err) && err.retriable) {
        // the registry is down: retry the batch later rather than send good records to the DLQ
        logger.warn({ err, partition: task.partition }, 'schema registry unavailable; retrying the batch')
        consumer!.seek({ topic: topics.swaps, partition: task.partition, offset: records[0].offset })
        return false
      }
      // anything else is reported per record by decode() below
    }
    const engine = task.engine
    let n = 0
    for (const rec of records) {
      // a batch after a stall holds seconds of swaps; the clock is read every 16 records
      if ((++n & 15) === 0 && turns.due()) await turns.take()
      task.position = rec.offset + 1
      let obj: unknown
      try {
        obj = swapDecoder.decode(rec.value)
      } catch (err) {
        toDlq(task, rec, isVolumerError(err) ? err.code : 'UNDECODABLE', (err as Error).message)
        continue
      }
      const swap = validateSwapObject(obj)
      if (isSwapReject(swap)) { toDlq(task, rec, swap.code, swap.message); continue }
      const outcome = engine.ingest(swap)
      if (outcome === COUNTED) {
        candles?.add(task.partition, swap)
        const key = swap.chain + ':' + swap.token
        const values = task.deltas.get(key)
        if (values === undefined) task.deltas.set(key, [rec.value!])
        else values.push(rec.value!)
      } else if (outcome !== DUPLICATE && outcome !== LATE) {
        toDlq(task, rec, 'FUTURE_TIME', `blockTime ${new Date(swap.blockTime).toISOString()} is more than ${skewMs} ms ahead of the clock ${new Date(engine.now).toISOString()}`)
      }
    }
    m.swapsIn.inc(records.length)
    pendingRecords += records.length
    return true
  }

  /**
   * One transaction: advance every engine to now, drain what changed into stats and changelog
   * records, add the DLQ records and the input offsets, commit. On failure the engines are ahead
   * of what was committed, so the partitions are rebuilt from the committed state. True when a
   * transaction was committed.
   */
  async function commitCycle (): Promise<boolean> {
    // Woken after a freeze: the group may have given our partitions away, and the broker does
    // not reliably refuse a zombie's transaction (seen in the zombie test). Hear from the group
    // first; the cycle is committed after that poll if the partitions are still ours.
    if (frozen()) { noticeFreeze('before the commit', freezes!.frozenMs()); uncommitted = true; return false }
    const t0 = performance.now()
    const now = clock.now()
    const out: ProduceRecord[] = []
    const offsets: TopicPartitionOffset[] = []
    /** each task's records in `out`: from, to */
    const spans: Array<[PartitionTask, number, number]> = []
    let stats = 0
    let candleRecords = 0
    let changes = 0
    for (const task of tasks.values()) {
      // each partition's drain in one go: at 1,000 swaps/s over 2,000 tokens, every second's
      // step renders ~550 tokens, 10-40 ms of CPU for all four partitions together
      if (turns.due()) await turns.take()
      // Every transaction that writes for a partition carries its offset, even an unchanged
      // one: sendOffsets is where the broker checks the member's generation (KIP-447), so a
      // zombie's decay-only or DLQ-only cycle is refused too. No known offset yet (fresh
      // partition, no records): its changes wait for a later cycle.
      const offset = task.position >= 0 ? task.position : task.committed >= 0 ? task.committed : task.startOffset
      if (offset < 0) continue
      offsets.push({ topic: topics.swaps, partition: task.partition, offset })
      const from = out.length
      for (const r of task.carried) out.push(r)
      const engine = task.engine
      // every swap of the open cycle was ingested at this clock: DELTAs replay at it
      const ingestClock = engine.now
      const full = now - task.baseAt >= fullAfterMs
      const writeDelta = (key: string, swaps: Uint8Array[]): void => {
        for (const part of splitDelta(swaps, stateRecordLimit - 64)) {
          out.push({
            topic: topics.state,
            partition: task.partition,
            key: Buffer.from(key),
            value: stateEncoder.encode({ version: STATE_VERSION, partition: task.partition, tokenState: EMPTY, clock: ingestClock, swaps: part })
          })
          changes++
        }
        task.deltaKeys.add(key)
      }
      /** false when the token's state is larger than a record may be */
      const writeFull = (key: string, chain: string, token: string): boolean => {
        const snap = engine.snapshotToken(chain, token)
        if (snap !== undefined && snap.byteLength + 64 > stateRecordLimit) {
          // Too large for one record: the token stays a DELTA token (its swaps of this cycle,
          // if any, are written as DELTAs) and a checkpoint of the partition is taken right
          // after this commit; a stored checkpoint is what makes DELTAs safe from compaction.
          task.lastCheckpointAt = -Infinity
          if (now - oversizeWarnedAt > 60_000) {
            oversizeWarnedAt = now
            logger.warn({ partition: task.partition, key, bytes: snap.byteLength, limit: stateRecordLimit },
              'token state larger than a state record may be: kept as DELTAs until the next checkpoint')
          }
          return false
        }
        out.push({
          topic: topics.state,
          partition: task.partition,
          key: Buffer.from(key),
          value: snap === undefined ? null : stateEncoder.encode({ version: STATE_VERSION, partition: task.partition, tokenState: snap })
        })
        task.deltaKeys.delete(key)
        changes++
        return true
      }
      engine.advance(now)
      engine.drain((key, value) => {
        out.push({ topic: topics.stats, key: Buffer.from(key), value: value === null ? null : statsEncoder.encode(value) })
        stats++
      }, (key, chain, token, alive) => {
        if (!alive) {
          out.push({ topic: topics.state, partition: task.partition, key: Buffer.from(key), value: null })
          task.deltaKeys.delete(key)
          changes++
          return
        }
        const swaps = task.deltas.get(key)
        // changed by a restore's replay only: the changelog holds that already
        if (swaps === undefined) return
        if (full && writeFull(key, chain, token)) return
        writeDelta(key, swaps)
      })
      task.deltas.clear()
      if (candles !== undefined) candleRecords += candles.drain(task.partition, engine.horizonStart, out)
      if (full && task.deltaKeys.size > 0) {
        // the checkpoint is overdue: make the DELTA tokens' history compaction-proof
        let n = 0
        for (const key of task.deltaKeys) {
          if (n++ === REWRITES_PER_CYCLE) break
          const sep = key.indexOf(':')
          writeFull(key, key.slice(0, sep), key.slice(sep + 1))
        }
        m.fullRewrites.inc(Math.min(n, REWRITES_PER_CYCLE))
      }
      for (const r of task.dlq) out.push(r)
      spans.push([task, from, out.length])
    }
    const advanced = spans.some(([t], i) => t.position >= 0 && offsets[i].offset > t.committed)
    if (out.length === 0 && !advanced) { cycleStart = now; pendingRecords = 0; uncommitted = false; return false }
    if (turns.due()) await turns.take()
    const p = producer!
    const tc = performance.now()
    let stage: 'produce' | 'offsets' | 'commit' = 'produce'
    try {
      enter('begin transaction')
      await p.begin()
      for (const r of out) p.send(r)
      stage = 'offsets'
      enter('send offsets')
      if (offsets.length > 0) await p.sendOffsets(offsets, consumer!.groupMetadata())
      stage = 'commit'
      enter('commit transaction')
      // frozen while draining or inside the transaction: abort, rebuild from what was committed
      if (frozen()) {
        noticeFreeze('inside the transaction', freezes!.frozenMs())
        throw new VolumerError('TRANSACTION_ABORTABLE', 'the processor was frozen during the cycle; not committing before it polls the group', { retriable: true })
      }
      await p.commit()
    } catch (err) {
      m.aborts.inc()
      uncommitted = true
      let abortErr: unknown
      enter('abort transaction')
      try { await p.abort() } catch (e) { abortErr = e }
      for (const task of tasks.values()) { task.dlq = []; task.deltas.clear() }
      pendingRecords = 0
      const fenced = (e: unknown): boolean => isVolumerError(e) && e.code === 'FENCED'
      // a freeze inside the transaction can outlast the transaction timeout: then the abort is
      // the call that learns about the fence
      if (fenced(err) || fenced(abortErr)) { await recoverFromFence(err); return false }
      if (isVolumerError(err) && (err as { fatal?: boolean }).fatal === true) throw err
      if (stage === 'offsets' && abortErr === undefined && isVolumerError(err) && err.code === 'REBALANCE_IN_PROGRESS') {
        // Refused before the commit, so nothing of it is visible: the group moved to a new
        // generation (a member joined or died). The partitions we still own after the
        // rebalance (the next poll runs its callbacks) were never anyone else's, so this
        // cycle's records, offsets included, are still right for them: carry them into the next
        // transaction instead of rebuilding every partition from its checkpoint, which would
        // hold up the rebalance (and a takeover) for as long as that restore takes.
        for (const [task, from, to] of spans) task.carried = out.slice(from, to)
        m.rebalanceCarries.inc()
        refusedPending++
        logger.info({ err }, 'transaction refused by a rebalance; its records go with the next one')
        // A new producer for them: after this refusal librdkafka purges the records still
        // queued (an abortable error) while others are in flight, and the sequence numbers it
        // then gives the same partitions leave a gap; the broker refuses the next transaction's
        // records as out of order ("skipped sequence numbers", 5 of 7 carries in issue #23's
        // runs) and the partitions were rebuilt after all. InitProducerId of the new producer
        // (same transactional id) starts a new epoch whose sequences begin at 0.
        try {
          await replaceProducer()
        } catch (e) {
          logger.warn({ err: e }, 'no new producer after a refused transaction; rebuilding partitions from the committed state')
          for (const task of tasks.values()) task.carried = []
          await replaceProducer()
          await rebuildAll()
          return false
        }
        // the next attempt after the next poll has run the rebalance's callbacks, a cycle on
        cycleStart = now
        return false
      }
      for (const task of tasks.values()) task.carried = []
      if (refusedPending > 0) {
        logger.warn({ err, refused: refusedPending }, 'a transaction with carried records failed')
        refusedPending = 0
      }
      if (abortErr !== undefined) {
        // the producer's transaction state is unknown: a new producer (same id) starts clean
        logger.warn({ err: abortErr, cause: err }, 'transaction abort failed; starting a new producer and rebuilding partitions from the committed state')
        await replaceProducer()
      } else {
        logger.warn({ err }, 'transaction aborted; rebuilding partitions from the committed state')
      }
      await rebuildAll()
      return false
    }
    uncommitted = false
    const committedMs = performance.now() - tc
    if (refusedPending > 0) {
      logger.info({ refused: refusedPending, records: spans.reduce((n, [task]) => n + task.carried.length, 0) }, 'carried records committed')
      refusedPending = 0
    }
    m.commitSeconds.observe(committedMs / 1000)
    // ms: begin → committed, so a reader of the log can tell when the transaction began
    logger.debug({ ms: Number(committedMs.toFixed(1)), records: out.length, partitions: offsets.length }, 'transaction committed')
    m.cycleSeconds.observe((performance.now() - t0) / 1000)
    m.cycles.inc()
    m.statsOut.inc(stats)
    m.candlesOut.inc(candleRecords)
    m.changelogOut.inc(changes)
    // committed (and checkpointable) only once records of its own were processed and committed
    for (let i = 0; i < spans.length; i++) { const t = spans[i][0]; if (t.position >= 0) t.committed = offsets[i].offset }
    let tokens = 0
    for (const task of tasks.values()) {
      const c = task.engine.counters
      m.counted.inc(c.counted - task.counted); task.counted = c.counted
      m.duplicates.inc(c.duplicates - task.duplicates); task.duplicates = c.duplicates
      m.late.inc(c.late - task.late); task.late = c.late
      tokens += task.engine.tokenCount
    }
    m.tokens.set(tokens)
    for (const task of tasks.values()) { task.dlq = []; task.carried = [] }
    pendingRecords = 0
    // the next cycle is due one period after this one started, not after it finished
    cycleStart = now
    return true
  }

  /**
   * FENCED: the broker bumped our producer epoch. Usually because the open transaction outlived
   * transaction.timeout.ms while the process was frozen (GC pause, SIGSTOP, stalled VM) and the
   * coordinator aborted it; nothing of it became visible. Like Kafka Streams (a fenced producer is
   * a TaskMigratedException there), start a new producer and rebuild the partitions we still own
   * from the committed state instead of exiting. A second live instance with our transactional
   * id would fence us again and again: after a few fences in a minute that is the likelier
   * story, and the processor exits.
   */
  async function recoverFromFence (err: unknown): Promise<void> {
    const now = clock.now()
    fencedAt = fencedAt.filter((t) => now - t < 60_000)
    fencedAt.push(now)
    if (fencedAt.length > MAX_FENCES_PER_MINUTE) {
      throw new VolumerError('FENCED', `fenced ${fencedAt.length} times within a minute: is another processor running with transactional id "${opts.transactionalId}"? (each instance needs its own --instance-id)`, { cause: err })
    }
    m.fences.inc()
    logger.warn({ err }, 'producer fenced (its transaction timed out, or another instance took its transactional id); starting a new producer and rebuilding partitions from the committed state')
    await replaceProducer()
    await rebuildAll()
  }

  async function replaceProducer (): Promise<void> {
    enter('new producer')
    try { await producer?.close() } catch { /* fenced producers may refuse even to close */ }
    producer = await log.createTransactionalProducer({ transactionalId: opts.transactionalId, maxMessageBytes: producerMaxBytes, maxBatchBytes: producerBatchBytes })
  }

  /**
   * After an aborted transaction: every owned partition back to its committed state. Only
   * partitions the consumer still has and that are not being handed over (onRevoke): a seek of
   * any other fails inside librdkafka (Erroneous state, Outdated).
   */
  async function rebuildAll (): Promise<void> {
    // every assigned partition, also one whose onAssign failed (it has no task yet)
    const parts = consumer!.assignment().filter((tp) => tp.topic === topics.swaps && leaving?.has(tp.partition) !== true).map((tp) => tp.partition)
    if (refusedPending > 0) {
      logger.warn({ refused: refusedPending }, 'a transaction with carried records failed')
      refusedPending = 0
    }
    // the others' engines are ahead of their commits too: dropped, never checkpointed
    tasks.clear()
    const committed = await onAssign(parts.map((partition) => ({ topic: topics.swaps, partition })))
    uncommitted = false
    const at = new Map(committed.map((c) => [c.partition, c.offset]))
    // no committed offset yet: back to the start (the log resets to its earliest offset)
    for (const partition of parts) consumer!.seek({ topic: topics.swaps, partition, offset: at.get(partition) ?? 0 })
  }

  /**
   * Snapshot right after a commit (so it matches the committed offsets), then store it in the
   * background. The changelog offset is the end of the partition's changelog: only this
   * processor writes it while it owns the partition, and its last transaction has committed.
   */
  /** false when the changelog offsets could not be read (the checkpoint was skipped) */
  async function checkpoint (task: PartitionTask, wait: boolean): Promise<boolean> {
    if (task.checkpointing !== null) { if (wait) await task.checkpointing; if (!wait) return true }
    if (task.committed < 0 || task.committed === task.checkpointedPosition) return true
    const t0 = performance.now()
    // The changelog offset BEFORE the snapshot: if anything lies between them it is an overlap
    // (records already in the snapshot, replayed harmlessly as whole token states), never a gap.
    // one admin for the processor's life: on Kafka each new one is a new connection
    let changelogOffset: number
    try {
      const offs = await changelogEnds()
      changelogOffset = offs.find((o) => o.partition === task.partition)?.high ?? 0
    } catch (err) {
      // A broker or a partition leader down (chaos test, issue #23: "list offsets: Local: No such
      // entry", "Timed out", "describe topic: Timed out"). A checkpoint only shortens restores:
      // skip it, the committed state is safe in Kafka, and try again one interval later.
      task.lastCheckpointAt = clock.now()
      m.checkpointFailures.inc()
      logger.warn({ err, partition: task.partition }, 'checkpoint skipped: changelog offsets unavailable; will retry at the next interval')
      return false
    }
    if (!tasks.has(task.partition)) return true
    // frozen since the commit: another owner may have written to the changelog meanwhile
    if (!wait && frozen()) return true
    // what the engine holds now; the snapshot lets the event loop in between tokens, and only
    // this loop (which waits for it) changes the engine or moves the committed offset
    const inputOffset = task.committed
    const state = await snapshotInSlices(task.engine)
    const createdAt = clock.now()
    task.lastCheckpointAt = createdAt
    // DELTAs so far are inside this snapshot; if it is not stored they are pending again
    const covered = task.deltaKeys
    task.deltaKeys = new Set()
    const save = opts.store.save({ group: groupId, partition: task.partition, inputOffset, changelogOffset, createdAt, state })
      .then(() => {
        task.baseAt = createdAt
        task.checkpointedPosition = inputOffset
        m.checkpointSeconds.observe((performance.now() - t0) / 1000)
        m.checkpointBytes.set(state.byteLength)
        logger.debug({ partition: task.partition, inputOffset, changelogOffset, bytes: state.byteLength }, 'checkpoint stored')
      }, (err: unknown) => {
        for (const key of covered) task.deltaKeys.add(key)
        m.checkpointFailures.inc()
        logger.warn({ err, partition: task.partition }, 'checkpoint not stored; will retry at the next interval')
      })
      .finally(() => { task.checkpointing = null })
    task.checkpointing = save
    if (wait) await save
    return true
  }

  /** the read of the changelog's end offsets still unanswered: no second one joins it */
  let endsInFlight: Promise<PartitionOffsets[]> | undefined
  /** the changelog's end offsets, or an error after CHECKPOINT_OFFSETS_WAIT_MS (the read goes on unawaited) */
  async function changelogEnds (): Promise<PartitionOffsets[]> {
    if (endsInFlight !== undefined) throw new VolumerError('BROKER_UNAVAILABLE', 'the previous read of the changelog end offsets has not answered yet', { retriable: true })
    // one admin for the processor's life: on Kafka each new one is a new connection
    admin ??= await log.createAdmin()
    const reading = admin.offsets(topics.state, 'read_committed')
    endsInFlight = reading
    reading.then(() => {}, () => {}).finally(() => { if (endsInFlight === reading) endsInFlight = undefined })
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new VolumerError('BROKER_UNAVAILABLE', `the changelog end offsets did not answer within ${CHECKPOINT_OFFSETS_WAIT_MS} ms`, { retriable: true })), CHECKPOINT_OFFSETS_WAIT_MS)
    })
    try { return await Promise.race([reading, late]) } finally { clearTimeout(timer) }
  }

  let lagSampledAt = 0
  /** the lag sample in flight: never awaited by the cycle loop (see maybeSampleLag) */
  let lagSampling: Promise<void> | undefined
  /**
   * Consumer lag per owned partition (end offset − next offset to read), every few seconds, in
   * the background: the cycle loop does not wait for it. While a broker is dead the admin's
   * retries take minutes, and a loop waiting for a lag sample reads nothing (issue #23's chaos
   * test: 46–74 s in 'lag sample'). One sample at a time.
   */
  function maybeSampleLag (): void {
    const now = clock.now()
    if (now - lagSampledAt < 5000 || tasks.size === 0 || lagSampling !== undefined) return
    lagSampledAt = now
    lagSampling = sampleLag().finally(() => { lagSampling = undefined })
  }

  async function sampleLag (): Promise<void> {
    try {
      admin ??= await log.createAdmin()
      const ends = await admin.offsets(topics.swaps, 'read_uncommitted')
      let waiting = 0
      for (const e of ends) {
        const task = tasks.get(e.partition)
        if (task === undefined) continue
        const next = task.position >= 0 ? task.position : Math.max(task.committed, e.low)
        m.lag.labels(String(e.partition)).set(Math.max(0, e.high - next))
        waiting += Math.max(0, e.high - next)
      }
      watchdog?.lag(waiting)
    } catch (err) {
      logger.debug({ err }, 'lag sample failed')
    }
  }

  async function maybeCheckpoint (): Promise<void> {
    const now = clock.now()
    for (const task of tasks.values()) {
      if (task.checkpointing !== null || now - task.lastCheckpointAt < checkpointIntervalMs) continue
      // the offsets are read for the whole changelog topic: with them unavailable, the other
      // partitions' tries would each wait out the same failure and hold up the cycle
      if (!(await checkpoint(task, false))) {
        for (const other of tasks.values()) if (other.lastCheckpointAt < now) other.lastCheckpointAt = now
        break
      }
    }
  }

  /**
   * DELTAs are safe only while they are younger than the state topic's min.compaction.lag.ms:
   * the switch to FULL records must come well before that.
   */
  function capFullAfter (wanted: number, d: TopicDescription | undefined): number {
    if (d === undefined || !(d.configs['cleanup.policy'] ?? '').includes('compact')) return wanted
    const lag = Number(d.configs['min.compaction.lag.ms'] ?? 0)
    if (wanted * 2 <= lag) return wanted
    const capped = Math.floor(lag / 2)
    logger.warn({ topic: topics.state, minCompactionLagMs: lag, fullAfterMs: wanted, using: capped },
      capped === 0 ? 'state topic compacts without a lag: writing FULL changelog records only' : 'state topic compaction lag is short: switching to FULL changelog records sooner')
    return capped
  }

  async function run (): Promise<void> {
    await opts.store.migrate()
    statsEncoder = await createStatsEncoder(opts.registry, topics.stats + '-value')
    stateEncoder = await createStateChangeEncoder(opts.registry, topics.state + '-value')
    swapDecoder = createSwapDecoder({ registry: opts.registry })
    admin ??= await log.createAdmin()
    const described = await admin.describeTopics([topics.state, topics.stats, topics.dlq, ...(topics.candles === undefined ? [] : [topics.candles]), ...(topics.candlesHistory === undefined ? [] : [topics.candlesHistory])])
    const candleIntervals = opts.candleIntervals ?? DEFAULT_CANDLE_INTERVALS
    if (topics.candles !== undefined && candleIntervals.length > 0) {
      if (described.some((d) => d.name === topics.candles)) {
        const candlesTopic = described.find((d) => d.name === topics.candles)
        const retention = Number(candlesTopic?.configs['retention.ms'])
        const history = described.some((d) => d.name === topics.candlesHistory) ? topics.candlesHistory : undefined
        if (history === undefined) logger.warn({ topic: topics.candlesHistory }, 'candles-history topic does not exist: edges keep long candle history only while they run')
        candles = createCandlePublisher({ log, topic: topics.candles, historyTopic: history, topicRetentionMs: Number.isFinite(retention) && retention > 0 ? retention : undefined, intervals: candleIntervals, logger })
      } else {
        // candles are an extra: a cluster set up before the topic existed still gets its stats
        logger.warn({ topic: topics.candles }, 'candles topic does not exist (volumer topology apply creates it): no candles are published')
      }
    }
    const stateTopic = described.find((d) => d.name === topics.state)
    fullAfterMs = capFullAfter(fullAfterMs, stateTopic)
    // librdkafka refuses (locally, before the broker sees it) a record larger than its
    // message.max.bytes, 1,000,000 by default, whatever the topic allows
    stateRecordLimit = (maxMessageBytes(stateTopic) ?? DEFAULT_MAX_MESSAGE_BYTES) - RECORD_FRAMING_BYTES
    const limits = described.map((d) => maxMessageBytes(d) ?? DEFAULT_MAX_MESSAGE_BYTES)
    producerMaxBytes = Math.max(DEFAULT_MAX_MESSAGE_BYTES, ...limits)
    producerBatchBytes = Math.min(DEFAULT_MAX_MESSAGE_BYTES, ...limits.map((l) => l - RECORD_FRAMING_BYTES))
    if (opts.standby === true) {
      partitionCount = stateTopic?.partitions ?? 0
      standby = new StandbyReplicas({
        ctx: { log, store: opts.store, stateDecoder, swapDecoder, groupId, stateTopic: topics.state, windows, skewMs, logger },
        now: () => clock.now(),
        logger,
        // FULL-only changelogs (0) still lose tombstones after delete.retention.ms (a day by default)
        maxStaleMs: fullAfterMs > 0 ? fullAfterMs : 3_600_000,
        onCount: (n) => m.standbyPartitions.set(n)
      })
    }
    producer = await log.createTransactionalProducer({ transactionalId: opts.transactionalId, maxMessageBytes: producerMaxBytes, maxBatchBytes: producerBatchBytes })
    consumer = await log.createConsumer({ groupId, topics: [topics.swaps], onAssign, onRevoke, autoOffsetReset: 'earliest' })
    logger.info({ groupId, transactionalId: opts.transactionalId, cycleMs }, 'processor started')
    cycleStart = clock.now()
    freezes = createFreezeDetector()
    watchdog = createStallWatchdog({
      // wall time, not the injected clock: how long the process itself has not progressed
      now: () => performance.now(),
      stallAfterMs: opts.stallAfterMs ?? 60_000,
      onStall: (r) => {
        m.stalled.set(1)
        logger.warn({ ...r, partitions: [...tasks.keys()], consumer: consumer?.diagnostics?.() }, r.kind === 'loop' ? `processor stalled: the cycle loop has waited ${Math.round(r.ms / 1000)} s (in ${r.stage})` : `processor stalled: ${r.lag} records wait and none was read for ${Math.round(r.ms / 1000)} s`)
      },
      onRecover: (r) => { m.stalled.set(0); logger.info({ kind: r.kind, stage: r.stage }, 'processor no longer stalled') }
    })
    try {
      while (!stopping) {
        watchdog.progress()
        const wait = Math.max(1, cycleMs - (clock.now() - cycleStart))
        let batches: PartitionBatch[]
        enter('poll')
        try {
          batches = await consumer.poll(maxRecords, Math.min(wait, cycleMs))
        } catch (err) {
          // a seek that failed, a rebalance callback that did: the group is fine, this member's
          // view of its partitions is not; a rebuild from the committed state is (a fatal error,
          // or a rebuild that fails too, still ends the run)
          if (!isVolumerError(err) || !err.retriable || (err as { fatal?: boolean }).fatal === true) throw err
          logger.warn({ err }, 'consumer error; rebuilding partitions from the committed state')
          await rebuildAll()
          continue
        }
        freezes.mark()
        if (batches.length > 0) watchdog.read()
        for (const batch of batches) {
          const task = tasks.get(batch.partition)
          if (task === undefined || batch.records.length === 0) continue
          if (turns.due()) await turns.take()
          await processBatch(task, batch.records)
        }
        if (clock.now() - cycleStart >= cycleMs || pendingRecords >= maxRecords) {
          // Checkpoints only right after a commit the group accepted: a zombie that has not heard
          // yet that its partitions moved would otherwise store its stale engine with a changelog
          // offset that already covers the new owner's records, and a later restore would skip them.
          enter('commit')
          if (await commitCycle()) { enter('checkpoint'); await maybeCheckpoint() }
          maybeSampleLag()
        }
      }
      await commitCycle()
      if (!uncommitted) for (const task of tasks.values()) await checkpoint(task, true)
    } finally {
      try { await consumer.close() } catch (err) { logger.warn({ err }, 'consumer close failed') }
      try { await producer.close() } catch (err) { logger.warn({ err }, 'producer close failed') }
      for (const task of tasks.values()) if (task.checkpointing !== null) await task.checkpointing
      await standby?.close()
      // A lag sample or a checkpoint's offsets read may still be on its way (the loop does not
      // wait for them): let it end before the admin is closed under it, a few seconds at most,
      // since closing a native client with a request in flight is what its binding handles worst
      const inFlight = [lagSampling, endsInFlight].filter((x) => x !== undefined).map(async (x) => await x?.then(() => {}, () => {}))
      if (inFlight.length > 0) await Promise.race([Promise.all(inFlight), new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_CLOSE_WAIT_MS).unref())])
      await admin?.close().catch(() => {})
      freezes.stop()
      watchdog.stop()
      logger.info('processor stopped')
    }
  }

  return {
    run () {
      stopped = run()
      return stopped
    },
    async stop () {
      stopping = true
      if (stopped !== undefined) await stopped.catch(() => {})
    },
    ready,
    assigned: () => [...tasks.keys()].sort((a, b) => a - b),
    engineOf: (partition) => tasks.get(partition)?.engine,
    stalled: () => watchdog?.stalled() !== undefined
  }
}
