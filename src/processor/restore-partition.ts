import type { Logger } from 'pino'
import { COUNTED, createEngine, restoreEngine, type Engine, type WindowSpec } from '../engine/index.js'
import type { Log, LogRecord } from '../log/log.js'
import type { CheckpointStore, Checkpoint, CheckpointInfo } from '../store/checkpoint-store.js'
import type { RecordDecoder, StateChange } from '../codec/record-codecs.js'
import type { SwapDecoder } from '../codec/index.js'
import { VolumerError, isVolumerError } from '../errors.js'
import { isRecordReject, swapFromRecord } from './swap-from-record.js'

export interface RestoreContext {
  log: Log
  store: CheckpointStore
  stateDecoder: RecordDecoder<StateChange>
  swapDecoder: SwapDecoder
  groupId: string
  stateTopic: string
  windows: readonly WindowSpec[]
  skewMs: number
  now: number
  logger: Logger
  /** how long a restore waits for an unreachable checkpoint store before failing; default 300000 */
  storeWaitMs?: number
}

export interface RestoredPartition {
  engine: Engine
  /** what the restore is based on: the checkpoint loaded, or for a standby the newest stored */
  checkpoint: CheckpointInfo | null
  changelogRecords: number
  /** tokens whose newest changelog record after the checkpoint is a DELTA (see processor.ts) */
  deltaKeys: Set<string>
  /** createdAt of the checkpoint restored from (ms), or null */
  checkpointAt: number | null
  /** seconds spent opening the changelog reader, and polling it (records applied included) */
  readerOpenSeconds: number
  pollSeconds: number
}

/** A partition's newest usable checkpoint, restored into an engine (or an empty engine). */
export interface LoadedCheckpoint {
  engine: Engine
  checkpoint: CheckpointInfo | null
  /** where the changelog replay starts when the engine is ahead of the checkpoint (a standby) */
  changelogFrom?: number
  /** tokens whose newest applied record is a DELTA (with its offset), when records were applied already */
  deltaKeys?: Map<string, number>
}

/*
 * A partition's engine as of the last committed transaction, restored in two halves
 * (loadCheckpoint, then replayChangelog): the newest checkpoint, then every `volumer-state`
 * record written after it (read_committed, so aborted cycles never count).
 * A FULL record replaces a token's state; a DELTA re-ingests the swaps the token counted in one
 * cycle, at the clock they were counted at, so the engine retraces the same steps. A DELTA that
 * a checkpoint already covers (an overlap) changes nothing: its swap ids are duplicates.
 *
 * Without a checkpoint the whole (compacted) changelog is replayed. That is exact as long as no
 * DELTA was compacted away, which the processor ensures by rewriting tokens as FULL records
 * before a DELTA can be older than the topic's min.compaction.lag.ms (docs/processor.md).
 */

/**
 * The first half of a restore. It needs nothing from the group's committed offsets: a
 * checkpoint is only written for a committed cycle, so whatever is newest now is covered by
 * them. The processor runs it while the offset fetch waits for a previous owner's open
 * transaction to end (processor.ts onAssign).
 */
export async function loadCheckpoint (ctx: RestoreContext, partition: number): Promise<LoadedCheckpoint> {
  let checkpoint = await latestCheckpoint(ctx, partition)
  let engine: Engine | undefined
  if (checkpoint !== null) {
    try {
      engine = restoreEngine(checkpoint.state)
      if (!sameWindows(engine.windows, ctx.windows) || engine.skewMs !== ctx.skewMs) {
        ctx.logger.warn({ partition }, 'checkpoint was written with other windows or skew: ignoring it and replaying the changelog')
        engine = undefined
        checkpoint = null
      }
    } catch (err) {
      ctx.logger.error({ err, partition }, 'checkpoint does not decode: ignoring it and replaying the changelog')
      engine = undefined
      checkpoint = null
    }
  }
  if (engine === undefined) engine = createEngine({ windows: ctx.windows, skewMs: ctx.skewMs, now: ctx.now })
  return { engine, checkpoint }
}

/**
 * The restore loop's poll timeout. Short because a partition is often caught up with only a
 * transaction marker left before its end (always so for a standby copy): the Kafka client's
 * batch consume then returns only at its timeout, however soon the end-of-partition event came.
 * With 500 ms a takeover from standby copies spent 1.4–1.5 s here reading 0 records
 * (bench:steady, 12-07; bench/steady-restore-poll.ts measures the loop alone).
 */
const RESTORE_POLL_MS = 50

/**
 * The second half of a restore: the changelog after the checkpoint. Complete only once
 * the group's committed offsets could be fetched (a previous owner's open transaction ended).
 */
export async function replayChangelog (ctx: RestoreContext, partition: number, loaded: LoadedCheckpoint): Promise<RestoredPartition> {
  const { engine, checkpoint } = loaded
  const t0 = performance.now()
  const from = loaded.changelogFrom ?? (checkpoint === null ? 'earliest' : checkpoint.changelogOffset)
  const reader = await ctx.log.createReader({ partitions: [{ topic: ctx.stateTopic, partition, from }] })
  const t1 = performance.now()
  const replay: ReplayProgress = { records: 0, notCounted: 0, deltaKeys: loaded.deltaKeys ?? new Map() }
  try {
    while (!reader.isCaughtUp()) {
      const batches = await reader.poll(10_000, RESTORE_POLL_MS)
      for (const batch of batches) await applyChangelog(ctx, engine, batch.records, replay)
    }
  } finally {
    await reader.close()
  }
  const t2 = performance.now()
  // only an overlap with the checkpoint explains these (duplicates of swaps it holds)
  if (replay.notCounted > 0) ctx.logger.info({ partition, notCounted: replay.notCounted }, 'changelog swaps already in the checkpoint were skipped')
  engine.advance(ctx.now)
  return { engine, checkpoint, changelogRecords: replay.records, deltaKeys: new Set(replay.deltaKeys.keys()), checkpointAt: checkpoint?.createdAt ?? null, readerOpenSeconds: (t1 - t0) / 1000, pollSeconds: (t2 - t1) / 1000 }
}

/** What applying changelog records has done so far (a restore's, or a standby's, running totals). */
export interface ReplayProgress {
  records: number
  /** swaps of DELTAs the engine did not count: duplicates of what a checkpoint already holds */
  notCounted: number
  /** tokens whose newest applied record is a DELTA, and that record's offset */
  deltaKeys: Map<string, number>
  /** called when a DELTA has moved the engine's clock forward, before its swaps (the standby drains there) */
  afterAdvance?: () => void
}

/** Applies `volumer-state` records, in partition order, to an engine. */
export async function applyChangelog (ctx: Pick<RestoreContext, 'stateDecoder' | 'swapDecoder'>, engine: Engine, records: readonly LogRecord[], progress: ReplayProgress): Promise<void> {
  await ctx.stateDecoder.prepare(records.map((r) => r.value))
  const deltaKeys = progress.deltaKeys
  for (const rec of records) {
    progress.records++
    if (rec.key === null) continue
    const key = rec.key.toString('utf8')
    if (rec.value === null) {
      deltaKeys.delete(key)
      const sep = key.indexOf(':')
      if (sep > 0) engine.dropToken(key.slice(0, sep), key.slice(sep + 1))
      continue
    }
    let change: StateChange
    try {
      change = ctx.stateDecoder.decode(rec.value)
      if (change.swaps == null) {
        engine.restoreToken(change.tokenState)
        deltaKeys.delete(key)
        continue
      }
    } catch (err) {
      // a record this version cannot read must not silently lose a token's numbers
      if (isVolumerError(err) && err.code === 'BAD_SNAPSHOT') throw err
      throw new VolumerError('BAD_SNAPSHOT', `changelog record ${rec.partition}@${rec.offset} does not decode`, { cause: err })
    }
    deltaKeys.set(key, rec.offset)
    const clock = change.clock ?? 0
    if (clock > engine.now) {
      engine.advance(clock)
      if (progress.afterAdvance !== undefined) progress.afterAdvance()
    }
    await ctx.swapDecoder.prepare(change.swaps)
    for (const value of change.swaps) {
      const swap = swapFromRecord(ctx.swapDecoder, value)
      if (isRecordReject(swap)) throw new VolumerError('BAD_SNAPSHOT', `changelog record ${rec.partition}@${rec.offset} holds a swap that no longer decodes: ${swap.code} ${swap.message}`)
      if (engine.ingest(swap) !== COUNTED) progress.notCounted++
    }
  }
}

/**
 * The newest checkpoint, waiting for the store if it is down: the changelog alone is not a
 * substitute once compaction has removed DELTAs the checkpoint covers.
 */
async function latestCheckpoint (ctx: RestoreContext, partition: number): Promise<Checkpoint | null> {
  const waitMs = ctx.storeWaitMs ?? 300_000
  const t0 = performance.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.store.latest(ctx.groupId, partition)
    } catch (err) {
      if (performance.now() - t0 > waitMs) throw new VolumerError('STORE_UNAVAILABLE', `checkpoint store unreachable for ${Math.round(waitMs / 1000)} s while restoring partition ${partition}`, { cause: err })
      const delay = Math.min(5000, 100 * 2 ** attempt)
      ctx.logger.warn({ err, partition, retryInMs: delay }, 'checkpoint store unavailable: restore waits for it')
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

function sameWindows (a: readonly WindowSpec[], b: readonly WindowSpec[]): boolean {
  return a.length === b.length && a.every((w, i) => w.name === b[i].name && w.lengthMs === b[i].lengthMs && w.stepMs === b[i].stepMs)
}
