import type { Logger } from 'pino'
import { createEngine, restoreEngine, type Engine, type WindowSpec } from '../engine/index.js'
import type { Log } from '../log/log.js'
import type { CheckpointStore, Checkpoint } from '../store/checkpoint-store.js'
import type { RecordDecoder, StateChange } from '../codec/record-codecs.js'
import { VolumerError, isVolumerError } from '../errors.js'

export interface RestoreContext {
  log: Log
  store: CheckpointStore
  stateDecoder: RecordDecoder<StateChange>
  groupId: string
  stateTopic: string
  windows: readonly WindowSpec[]
  skewMs: number
  now: number
  logger: Logger
}

export interface RestoredPartition {
  engine: Engine
  checkpoint: Checkpoint | null
  changelogRecords: number
}

/**
 * A partition's engine as of the last committed transaction: the newest checkpoint, then every
 * `volumer-state` record written after it (read_committed, so aborted cycles never count).
 * Changelog records hold a token's whole state, so applying them in order is exact.
 *
 * When the store is unreachable the whole (compacted) changelog is replayed instead: slower,
 * equally exact.
 */
export async function restorePartition (ctx: RestoreContext, partition: number): Promise<RestoredPartition> {
  let checkpoint: Checkpoint | null = null
  try {
    checkpoint = await ctx.store.latest(ctx.groupId, partition)
  } catch (err) {
    ctx.logger.warn({ err, partition }, 'checkpoint store unavailable: replaying the whole changelog instead')
  }
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

  const reader = await ctx.log.createReader({
    partitions: [{ topic: ctx.stateTopic, partition, from: checkpoint === null ? 'earliest' : checkpoint.changelogOffset }]
  })
  let n = 0
  try {
    while (!reader.isCaughtUp()) {
      const batches = await reader.poll(10_000, 500)
      for (const batch of batches) {
        await ctx.stateDecoder.prepare(batch.records.map((r) => r.value))
        for (const rec of batch.records) {
          n++
          if (rec.key === null) continue
          if (rec.value === null) {
            const key = rec.key.toString('utf8')
            const sep = key.indexOf(':')
            if (sep > 0) engine.dropToken(key.slice(0, sep), key.slice(sep + 1))
            continue
          }
          try {
            engine.restoreToken(ctx.stateDecoder.decode(rec.value).tokenState)
          } catch (err) {
            // a record this version cannot read must not silently lose a token's numbers
            if (isVolumerError(err) && err.code === 'BAD_SNAPSHOT') throw err
            throw new VolumerError('BAD_SNAPSHOT', `changelog record ${rec.partition}@${rec.offset} does not decode`, { cause: err })
          }
        }
      }
    }
  } finally {
    await reader.close()
  }
  engine.advance(ctx.now)
  return { engine, checkpoint, changelogRecords: n }
}

function sameWindows (a: readonly WindowSpec[], b: readonly WindowSpec[]): boolean {
  return a.length === b.length && a.every((w, i) => w.name === b[i].name && w.lengthMs === b[i].lengthMs && w.stepMs === b[i].stepMs)
}
