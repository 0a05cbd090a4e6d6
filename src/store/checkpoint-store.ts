/**
 * Checkpoint store port (owned here; the processor is its user). A checkpoint is a consistent
 * snapshot of one input partition's engine state together with the offsets it covers:
 * restore = `latest(group, partition)` + the `volumer-state` changelog from `changelogOffset`,
 * then consume `swaps` from `inputOffset`. Offsets mean "next offset to read" (src/log/log.ts).
 *
 * Adapters: Postgres (`createPostgresCheckpointStore`) and PGlite (`createPgliteCheckpointStore`),
 * the same SQL (sql-checkpoint-store.ts, migrations.ts).
 *
 * Errors: VolumerError STORE_UNAVAILABLE (retriable: the database is down or restarting; the
 * next call reconnects) and STORE_FAILED (anything else; not retriable).
 */
export interface Checkpoint extends CheckpointInfo {
  /** the engine's partition snapshot, opaque here */
  readonly state: Uint8Array
}

/** A checkpoint without its state: what it covers. */
export interface CheckpointInfo {
  /** consumer group the state belongs to */
  readonly group: string
  /** input (swaps) partition */
  readonly partition: number
  /** next swaps offset to read after this state */
  readonly inputOffset: number
  /** next volumer-state offset to read after this state */
  readonly changelogOffset: number
  /** ms since the epoch, from the caller's clock */
  readonly createdAt: number
}

export interface CheckpointStore {
  /** Creates or upgrades the tables (idempotent; safe when several processes start at once). */
  migrate (): Promise<void>
  /**
   * Stores a checkpoint atomically (all of it or nothing) and prunes the partition's older
   * ones beyond the newest `keep`. Newest = highest inputOffset, then latest saved.
   */
  save (cp: Checkpoint): Promise<void>
  /** The newest checkpoint of the partition, or null when it has none. */
  latest (group: string, partition: number): Promise<Checkpoint | null>
  /** What the newest checkpoint covers, without its state (cheap: a standby's takeover asks it). */
  latestInfo (group: string, partition: number): Promise<CheckpointInfo | null>
  close (): Promise<void>
}

/** Options both adapters share. */
export interface CheckpointStoreOptions {
  /**
   * checkpoints kept per (group, partition); default 2. A restore reads only the newest, and a
   * read in flight keeps the row it reads alive until it ends (MVCC), even when a save prunes it
   * meanwhile. The one older checkpoint is an operator's fallback (delete a bad newest one and
   * restart); every extra one costs a whole partition state on disk.
   */
  keep?: number
}

export const DEFAULT_KEEP = 2
