import { PGlite } from '@electric-sql/pglite'
import { VolumerError } from '../errors.js'
import type { CheckpointStore, CheckpointStoreOptions } from './checkpoint-store.js'
import { createSqlCheckpointStore } from './sql-checkpoint-store.js'
import type { SqlRunner, SqlSession } from './sql-session.js'

export interface PgliteCheckpointStoreOptions extends CheckpointStoreOptions {
  /** data directory; omitted: in memory (lost at close). The embedded mode uses .run/pglite. */
  dataDir?: string
  /** an already open PGlite (shared with other users); the store will not close it */
  db?: PGlite
}

/**
 * CheckpointStore on PGlite (Postgres compiled to WASM, in process): the embedded mode's
 * store, and the unit tests'. Same SQL and migrations as the Postgres adapter.
 */
/** Opens PGlite (Postgres in WASM) at dataDir, or in memory without one. */
export async function openPglite (dataDir?: string): Promise<PGlite> {
  return await PGlite.create(dataDir)
}

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
