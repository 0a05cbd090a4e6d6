import { PGlite } from '@electric-sql/pglite'
import type { Logger } from 'pino'
import { VolumerError } from '../errors.js'
import type { CheckpointStore, CheckpointStoreOptions } from './checkpoint-store.js'
import { createSqlCheckpointStore } from './sql-checkpoint-store.js'
import type { SqlRunner, SqlSession } from './sql-session.js'

export interface PgliteCheckpointStoreOptions extends CheckpointStoreOptions {
  /** data directory; omitted: in memory (lost at close). The embedded mode uses .run/pglite. */
  dataDir?: string
  /** an already open PGlite (shared with other users); the store will not close it */
  db?: PGlite
  logger?: Logger
}

/**
 * CheckpointStore on PGlite (Postgres compiled to WASM, in process): the embedded mode's
 * store, and the unit tests'. Same SQL and migrations as the Postgres adapter.
 */
/**
 * PGlite runs Postgres in single-user mode: no checkpointer and no autovacuum, so nothing ever
 * recycles WAL segments or reuses the space of deleted rows on its own (issue #20: 1.1 GB of
 * WAL and 2.1 GB of tables after 27 minutes). The store therefore vacuums and checkpoints after
 * each save (RECLAIM below); these settings keep what a checkpoint leaves behind small: WAL
 * segments recycled for reuse up to 32 MB (two 16 MB segments) instead of 80 MB, and a 32 MB
 * buffer pool instead of 128 MB (its pages live in the WASM memory, which never shrinks; the
 * store's writes are large sequential TOAST rows that a bigger pool does not speed up).
 */
export const PGLITE_SETTINGS: readonly string[] = ['min_wal_size=32MB', 'max_wal_size=64MB', 'shared_buffers=32MB']

/** Opens PGlite (Postgres in WASM) at dataDir, or in memory without one, with PGLITE_SETTINGS. */
export async function openPglite (dataDir?: string): Promise<PGlite> {
  return await PGlite.create({ dataDir, startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((s) => ['-c', s])] })
}

// VACUUM: the pruned rows' TOAST chunks become free space the next save reuses (the files do
// not shrink, they stop growing). CHECKPOINT: the WAL before it is no longer needed and its
// segments are recycled (in single-user mode nothing else ever checkpoints before close).
const RECLAIM = ['VACUUM volumer_checkpoints', 'CHECKPOINT']

export async function createPgliteCheckpointStore (opts: PgliteCheckpointStoreOptions = {}): Promise<CheckpointStore> {
  const db = opts.db ?? await openPglite(opts.dataDir)
  const owned = opts.db === undefined
  const session: SqlSession = {
    ...runner(db),
    bytes: 'base64',
    transaction: fn => db.transaction(tx => fn(runner(tx))),
    async close () { if (owned) await db.close() },
  }
  return createSqlCheckpointStore(session, {
    keep: opts.keep,
    reclaim: RECLAIM,
    onReclaimError: (err) => opts.logger?.warn({ err }, 'checkpoint store (PGlite): vacuum/checkpoint after a save failed; the next save tries again'),
    // PGlite runs in this process: it is never "unavailable", every failure is a real one
    mapError: (err, what) => new VolumerError('STORE_FAILED', `checkpoint store (PGlite) ${what} failed: ${(err as Error).message}`, { cause: err }),
  })
}

interface PgliteLike {
  query<R> (text: string, params?: unknown[]): Promise<{ rows: R[] }>
  exec (text: string): Promise<unknown>
}

function runner (db: PgliteLike): SqlRunner {
  return {
    async query<R> (text: string, params?: unknown[]) { return (await db.query<R>(text, params)).rows },
    async exec (text) { await db.exec(text) },
  }
}
