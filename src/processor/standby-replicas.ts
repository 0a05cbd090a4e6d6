import type { Logger } from 'pino'
import type { Engine } from '../engine/index.js'
import type { Reader } from '../log/log.js'
import type { CheckpointInfo } from '../store/checkpoint-store.js'
import { loadCheckpoint, applyChangelog, type LoadedCheckpoint, type ReplayProgress, type RestoreContext } from './restore-partition.js'

/**
 * Warm copies of partitions this processor does not own (Kafka Streams' standby replicas):
 * each is restored from its newest checkpoint once, then follows the partition's `volumer-state`
 * changelog (read_committed) as the owner commits. When the owner dies and the partition is
 * assigned here, the restore is only the few records the copy has not read yet, instead of a
 * checkpoint load plus everything written since it: a takeover then costs the session timeout
 * and the rebalance, not the state's size.
 *
 * The copy's engine moves its clock only to the clocks the owner's DELTAs carry, and drains
 * (reporting nothing) right after such a move, before that DELTA's swaps: at that point it has
 * applied every record of the owner's previous cycle, and that cycle published its numbers at
 * exactly that clock. So the copy's "already reported" fingerprints are what the owner last
 * published, as a checkpoint's are, and after a takeover only tokens whose numbers differ are
 * published again. It drains at most once a second (drainEveryMs), and renders nothing
 * (`drain(null)`): a token changed since the copy's last drain is merely published once more
 * after a takeover, with the numbers the owner would have published.
 */
export interface StandbyOptions {
  ctx: Omit<RestoreContext, 'now'>
  now: () => number
  logger: Logger
  /**
   * A copy that has not been caught up for this long (ms) is not used: the changelog records it
   * has yet to read may be older than the state topic's compaction lag, and compaction may have
   * removed DELTAs from them. The processor passes its --changelog-full-after (at most half that lag).
   */
  maxStaleMs: number
  /** drain a copy's engine at most this often (ms of wall time); default 1000 */
  drainEveryMs?: number
  onCount?: (partitions: number) => void
}

interface Replica {
  readonly partition: number
  readonly engine: Engine
  /** what the copy started from (the state itself is not kept) */
  readonly checkpoint: CheckpointInfo | null
  /** next changelog offset to apply */
  position: number | 'earliest'
  readonly progress: ReplayProgress
  /** wall ms when the copy was last known to have read everything committed */
  caughtUpAt: number
  drainedAt: number
}

const REFRESH_END_MS = 2000
const POLL_MS = 200
/** records per poll: a copy applies them on the processor's thread, between its cycles */
const BATCH = 500

export class StandbyReplicas {
  readonly #o: StandbyOptions
  readonly #replicas = new Map<number, Replica>()
  #want = new Set<number>()
  #reader: Reader | undefined
  /** the partitions #reader reads */
  #readerSet = new Set<number>()
  #refreshedAt = 0
  /**
   * The loop's current apply: take() waits for it so it never hands over a half-applied batch.
   * Not a load: a load waits for the checkpoint store (minutes, if it is down), and a takeover
   * must not; a copy still loading is not there yet, and the partition is restored as usual.
   */
  #busy: Promise<unknown> = Promise.resolve()
  /**
   * Copies being loaded, by partition. take() waits for one: a restore would load the same
   * newest checkpoint again from the start (4.7 s for 6 partitions in bench:steady's 1 h mode),
   * and would wait for an unreachable store just as long.
   */
  readonly #loading = new Map<number, Promise<void>>()
  #stopped = false
  #wake: (() => void) | undefined
  readonly #loop: Promise<void>

  constructor (options: StandbyOptions) {
    this.#o = options
    this.#loop = this.#run()
  }

  /** Keep copies of exactly these partitions (those the processor does not own). */
  follow (partitions: Iterable<number>): void {
    this.#want = new Set(partitions)
    this.#wake?.()
  }

  /**
   * Hands a partition's copy over for a restore (and stops following it): the engine, the
   * checkpoint it started from, and where the changelog replay must continue. Undefined when
   * there is no usable copy; the caller restores the usual way.
   */
  async take (partition: number): Promise<LoadedCheckpoint | undefined> {
    await this.#loading.get(partition)?.catch(() => {})
    // An apply in flight finishes first (the loop may start the next one meanwhile: wait until
    // none is running); the replica then leaves the map with no await in between, so the loop
    // never touches it again.
    for (let busy = this.#busy; ; busy = this.#busy) {
      await busy.catch(() => {})
      if (busy === this.#busy) break
    }
    this.#want.delete(partition)
    const r = this.#replicas.get(partition)
    if (r === undefined) return undefined
    this.#replicas.delete(partition)
    this.#o.onCount?.(this.#replicas.size)
    const stale = performance.now() - r.caughtUpAt
    // A copy that has not caught up yet (loaded a moment ago: a processor restarted shortly
    // before the takeover) is still a restore from its checkpoint with part of the changelog
    // already applied, as long as that checkpoint is young enough for the changelog after it to
    // be whole: what the copy has yet to read was written after the checkpoint. The replay goes
    // on from the copy's position. Before, such a copy was dropped and the partition restored
    // from the checkpoint again (bench:steady 1 h, 12-07: takeover 8.0 s instead of 4.4 s).
    const baseAge = r.checkpoint === null ? Infinity : this.#o.now() - r.checkpoint.createdAt
    if (r.position === 'earliest' || (stale > this.#o.maxStaleMs && baseAge > this.#o.maxStaleMs)) {
      this.#o.logger.warn({ partition, staleMs: Math.round(stale), checkpointAgeMs: Math.round(baseAge) }, 'standby copy not used: it has not kept up with the changelog')
      return undefined
    }
    if (stale > this.#o.maxStaleMs) this.#o.logger.info({ partition, position: r.position, checkpointAgeMs: Math.round(baseAge) }, 'standby copy not caught up yet: the restore reads the rest of the changelog')
    // Re-based on the newest stored checkpoint: the owner has checkpointed since the copy
    // started, and DELTAs before that checkpoint need no FULL rewrite for compaction's sake
    // (processor.ts deltaKeys); without it the new owner's first cycles would rewrite them.
    let base = r.checkpoint
    let deltaKeys = r.progress.deltaKeys
    try {
      const newest = await this.#o.ctx.store.latestInfo(this.#o.ctx.groupId, partition)
      if (newest !== null && (base === null || newest.changelogOffset > base.changelogOffset)) {
        base = newest
        deltaKeys = new Map([...deltaKeys].filter(([, offset]) => offset >= newest.changelogOffset))
      }
    } catch (err) {
      this.#o.logger.warn({ err, partition }, 'newest checkpoint unknown; the standby copy keeps the one it started from')
    }
    return { engine: r.engine, checkpoint: base, changelogFrom: r.position, deltaKeys }
  }

  /** partitions with a loaded copy */
  partitions (): number[] {
    return [...this.#replicas.keys()].sort((a, b) => a - b)
  }

  async close (): Promise<void> {
    this.#stopped = true
    this.#wake?.()
    await this.#loop
  }

  async #run (): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#step()
      } catch (err) {
        // a copy is an optimisation: on any failure start the copies over, a little later
        this.#o.logger.warn({ err }, 'standby copies failed; reloading them')
        this.#replicas.clear()
        this.#o.onCount?.(0)
        await this.#closeReader()
        await this.#sleep(1000)
      }
    }
    await this.#closeReader()
    this.#replicas.clear()
  }

  async #step (): Promise<void> {
    for (const p of [...this.#replicas.keys()]) {
      if (!this.#want.has(p)) this.#replicas.delete(p)
    }
    const missing = [...this.#want].filter((p) => !this.#replicas.has(p))
    if (missing.length > 0) await this.#load(missing)
    if (this.#stopped) return
    const parts = [...this.#replicas.keys()].sort((a, b) => a - b)
    this.#o.onCount?.(parts.length)
    if (parts.length === 0) {
      await this.#closeReader()
      await this.#sleep(60_000)
      return
    }
    if (parts.length !== this.#readerSet.size || parts.some((p) => !this.#readerSet.has(p))) {
      await this.#closeReader()
      const reader = await this.#o.ctx.log.createReader({
        partitions: parts.map((p) => ({ topic: this.#o.ctx.stateTopic, partition: p, from: this.#replicas.get(p)!.position }))
      })
      if (this.#stopped) { await reader.close(); return }
      this.#reader = reader
      this.#readerSet = new Set(parts)
      this.#refreshedAt = performance.now()
    }
    const reader = this.#reader!
    if (performance.now() - this.#refreshedAt >= REFRESH_END_MS) {
      await reader.refreshEnd()
      this.#refreshedAt = performance.now()
    }
    const batches = await reader.poll(BATCH, POLL_MS)
    const applying = this.#apply(reader, batches)
    this.#busy = applying
    await applying
  }

  async #apply (reader: Reader, batches: Awaited<ReturnType<Reader['poll']>>): Promise<void> {
    const now = performance.now()
    for (const batch of batches) {
      const r = this.#replicas.get(batch.partition)
      // taken (or no longer wanted) while the poll waited
      if (r === undefined || batch.records.length === 0) continue
      await applyChangelog(this.#o.ctx, r.engine, batch.records, r.progress)
      // let the processor's own cycle run between batches
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    const caughtUp = reader.isCaughtUp()
    for (const r of this.#replicas.values()) {
      if (!this.#readerSet.has(r.partition)) continue
      r.position = reader.position({ topic: this.#o.ctx.stateTopic, partition: r.partition })
      if (caughtUp) r.caughtUpAt = now
    }
  }

  async #load (partitions: number[]): Promise<void> {
    const ctx = { ...this.#o.ctx, now: this.#o.now() }
    await Promise.all(partitions.map((partition) => {
      const loading = this.#loadOne(ctx, partition).finally(() => this.#loading.delete(partition))
      this.#loading.set(partition, loading)
      return loading
    }))
  }

  async #loadOne (ctx: RestoreContext, partition: number): Promise<void> {
    const loaded = await loadCheckpoint(ctx, partition)
    // no longer wanted (taken meanwhile, or the assignment changed): #step drops it
    if (this.#stopped) return
    const drainEveryMs = this.#o.drainEveryMs ?? 1000
    const engine = loaded.engine
    const r: Replica = {
      partition,
      engine,
      checkpoint: infoOf(loaded.checkpoint),
      position: loaded.checkpoint?.changelogOffset ?? 'earliest',
      progress: {
        records: 0,
        notCounted: 0,
        deltaKeys: new Map(),
        afterAdvance: () => {
          const t = performance.now()
          if (t - r.drainedAt < drainEveryMs) return
          r.drainedAt = t
          engine.drain(null)
        }
      },
      caughtUpAt: -Infinity,
      drainedAt: -Infinity
    }
    this.#replicas.set(partition, r)
    this.#o.logger.debug({ partition, tokens: engine.tokenCount, checkpointOffset: loaded.checkpoint?.inputOffset ?? null }, 'standby copy loaded')
  }

  async #closeReader (): Promise<void> {
    const reader = this.#reader
    this.#reader = undefined
    this.#readerSet = new Set()
    if (reader !== undefined) await reader.close().catch(() => {})
  }

  async #sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms)
      function done (): void { clearTimeout(t); resolve() }
      this.#wake = done
    })
    this.#wake = undefined
  }
}

function infoOf (cp: CheckpointInfo | null): CheckpointInfo | null {
  return cp === null ? null : { group: cp.group, partition: cp.partition, inputOffset: cp.inputOffset, changelogOffset: cp.changelogOffset, createdAt: cp.createdAt }
}

