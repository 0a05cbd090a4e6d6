import pg from 'pg'
import { pino, type Logger } from 'pino'
import { VolumerError } from '../errors.js'
import type { CheckpointStore, CheckpointStoreOptions } from './checkpoint-store.js'
import { createSqlCheckpointStore } from './sql-checkpoint-store.js'
import type { SqlRunner, SqlSession } from './sql-session.js'

export interface PostgresCheckpointStoreOptions extends CheckpointStoreOptions {
  /** postgres://user@host:port/db (VOLUMER_PG_URL); never logged (may hold a password) */
  url: string
  /** pool size; default 2 (a processor saves one partition at a time, plus one restore) */
  maxConnections?: number
  /** ms to wait for a connection before failing with STORE_UNAVAILABLE; default 5000 */
  connectTimeoutMs?: number
  /** server-side statement timeout, ms; default 60000 (a 20 MB save takes well under 1 s) */
  statementTimeoutMs?: number
  logger?: Logger
  /** wraps the SQL session (test-only failpoints: test-failpoint.ts) */
  wrapSession?: (session: SqlSession) => SqlSession
}

/**
 * CheckpointStore on Postgres through a `pg` Pool. A Postgres restart kills the pooled
 * connections: the call that meets a dead connection fails with STORE_UNAVAILABLE
 * (retriable), the pool drops that client, and the next call opens a fresh connection.
 */
export function createPostgresCheckpointStore (opts: PostgresCheckpointStoreOptions): CheckpointStore {
  const { url, maxConnections = 2, connectTimeoutMs = 5000, statementTimeoutMs = 60000 } = opts
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new VolumerError('BAD_CONFIG', 'checkpoint store: url must be postgres://user@host:port/db (set VOLUMER_PG_URL)')
  }
  const log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'store' })
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // idle connections are the ones a restart kills silently; keep few, briefly
    idleTimeoutMillis: 10_000,
  })
  // An idle pooled client whose server went away emits 'error' on the pool; without a
  // listener that would crash the process. The pool already discards the client.
  pool.on('error', err => log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'idle Postgres connection lost'))

  const session: SqlSession = {
    ...runner(pool),
    // measured: binary bytea params and hex text results are the fastest pg path (20 MB:
    // save ~240 ms, load ~350 ms); a binary result format did not load faster
    bytes: 'native',
    async transaction (fn) {
      const client = await pool.connect()
      let broken: Error | undefined
      // The pool listens for errors only on idle clients. A checked-out client whose server
      // goes away between two statements emits 'error' with nobody listening, which would
      // crash the process (seen when Postgres stopped mid-save); the next query then fails
      // and is mapped to STORE_UNAVAILABLE like any other.
      const onError = (err: Error): void => { broken = err }
      client.on('error', onError)
      try {
        await client.query('BEGIN')
        const out = await fn(runner(client))
        await client.query('COMMIT')
        return out
      } catch (err) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackErr) {
          broken = rollbackErr as Error
        }
        if (isConnectionError(err)) broken ??= err as Error
        throw err
      } finally {
        // a client that failed mid-transaction on a dead socket must not return to the pool
        client.off('error', onError)
        client.release(broken)
      }
    },
    async close () { await pool.end() },
  }

  return createSqlCheckpointStore(opts.wrapSession?.(session) ?? session, {
    keep: opts.keep,
    // autovacuum would get there too, but only after its naptime and thresholds (migration 2
    // lowers those for roles that may not vacuum); SKIP_LOCKED: a processor whose peer is
    // vacuuming right now leaves it to that one instead of waiting
    reclaim: ['VACUUM (SKIP_LOCKED) volumer_checkpoints'],
    onReclaimError: (err) => log.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'checkpoint store: vacuum after a save failed; autovacuum or the next save will reclaim the space'),
    mapError (err, what) {
      const e = err as { message?: string, code?: string }
      if (isConnectionError(err)) {
        return new VolumerError('STORE_UNAVAILABLE', `checkpoint store ${what}: Postgres unavailable (${e.code ?? e.message})`, { cause: err, retriable: true })
      }
      return new VolumerError('STORE_FAILED', `checkpoint store ${what} failed: ${e.message ?? String(err)}${e.code === undefined ? '' : ' (' + e.code + ')'}`, { cause: err })
    },
  })
}

interface Queryable {
  query (text: string, params?: unknown[]): Promise<{ rows: unknown[] }>
}

function runner (q: Queryable): SqlRunner {
  return {
    async query<R> (text: string, params?: unknown[]) { return (await q.query(text, params)).rows as R[] },
    async exec (text) { await q.query(text) },
  }
}

// SQLSTATE classes 08 (connection exception) and 57P0x (server shutting down / starting up),
// plus the socket-level errors node reports before Postgres can say anything.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

export function isConnectionError (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { code, message } = err as { code?: unknown, message?: unknown }
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true
  }
  if (typeof message === 'string') {
    // pg reports these without a code
    return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message)
  }
  return false
}
