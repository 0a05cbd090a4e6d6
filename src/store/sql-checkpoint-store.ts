import { VolumerError } from '../errors.js'
import { DEFAULT_KEEP, type Checkpoint, type CheckpointInfo, type CheckpointStore, type CheckpointStoreOptions } from './checkpoint-store.js'
import { runMigrations } from './migrations.js'
import type { SqlSession } from './sql-session.js'

/**
 * The CheckpointStore over any SqlSession. `mapError` turns a driver error into a
 * VolumerError (STORE_UNAVAILABLE / STORE_FAILED) - the one place per driver that reads
 * driver error details.
 */
export function createSqlCheckpointStore (session: SqlSession, opts: CheckpointStoreOptions & {
  mapError: (err: unknown, what: string) => VolumerError
  /**
   * SQL statements run after each save, outside its transaction, to give the pruned rows' space back:
   * without it every byte ever saved stays (dead TOAST chunks) until something vacuums
   * (issue #20: 3.2 GB in 27 minutes on PGlite, which has no autovacuum).
   */
  reclaim?: readonly string[]
  onReclaimError?: (err: unknown) => void
}): CheckpointStore {
  const keep = opts.keep ?? DEFAULT_KEEP
  if (!Number.isInteger(keep) || keep < 1) throw new VolumerError('BAD_CONFIG', `checkpoint store: keep must be an integer >= 1, got ${keep}`)
  const { mapError } = opts
  const b64 = session.bytes === 'base64'
  const stateParam = b64 ? "decode($7, 'base64')" : '$7'
  const stateColumn = b64 ? "encode(state, 'base64') AS state" : 'state'

  async function guard<T> (what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof VolumerError) throw err
      throw mapError(err, what)
    }
  }

  return {
    migrate () {
      return guard('migrate', async () => { await runMigrations(session) })
    },

    save (cp) {
      return guard('save', async () => {
        check(cp)
        await session.transaction(async tx => {
          await tx.query(
            `INSERT INTO volumer_checkpoints (group_id, partition, input_offset, changelog_offset, created_at, state_bytes, state)
             VALUES ($1, $2, $3, $4, $5, $6, ${stateParam})`,
            [cp.group, cp.partition, cp.inputOffset, cp.changelogOffset, new Date(cp.createdAt), cp.state.byteLength, b64 ? toBase64(cp.state) : cp.state],
          )
          // prune in the same transaction: readers never see fewer than `keep` or a half-saved one
          await tx.query(
            `DELETE FROM volumer_checkpoints
              WHERE group_id = $1 AND partition = $2
                AND id NOT IN (SELECT id FROM volumer_checkpoints
                                WHERE group_id = $1 AND partition = $2
                                ORDER BY input_offset DESC, id DESC LIMIT $3)`,
            [cp.group, cp.partition, keep],
          )
        })
        // the save is stored: a failed reclaim only delays the space coming back (the next
        // save vacuums again), so it must not fail the save
        if (opts.reclaim !== undefined) {
          try {
            // one statement per call: VACUUM refuses to run inside the implicit transaction
            // of a multi-statement string
            for (const sql of opts.reclaim) await session.exec(sql)
          } catch (err) {
            opts.onReclaimError?.(err)
          }
        }
      })
    },

    latest (group, partition) {
      return guard('latest', async () => {
        const rows = await session.query<Row>(
          `SELECT input_offset, changelog_offset, created_at, state_bytes, ${stateColumn}
             FROM volumer_checkpoints
            WHERE group_id = $1 AND partition = $2
            ORDER BY input_offset DESC, id DESC LIMIT 1`,
          [group, partition],
        )
        if (rows.length === 0) return null
        const r = rows[0]
        // Node's base64 decoder skips the line breaks Postgres's encode() inserts
        const state = typeof r.state === 'string' ? Buffer.from(r.state, 'base64') : r.state
        if (state.byteLength !== Number(r.state_bytes)) {
          throw new VolumerError('STORE_FAILED', `checkpoint ${group}/${partition}: state is ${state.byteLength} bytes, ${r.state_bytes} were saved`)
        }
        return { ...infoOf(group, partition, r), state }
      })
    },

    latestInfo (group, partition) {
      return guard('latestInfo', async () => {
        const rows = await session.query<Omit<Row, 'state' | 'state_bytes'>>(
          `SELECT input_offset, changelog_offset, created_at
             FROM volumer_checkpoints
            WHERE group_id = $1 AND partition = $2
            ORDER BY input_offset DESC, id DESC LIMIT 1`,
          [group, partition],
        )
        return rows.length === 0 ? null : infoOf(group, partition, rows[0])
      })
    },

    close () {
      return session.close()
    },
  }
}

interface Row {
  input_offset: string | number | bigint
  changelog_offset: string | number | bigint
  created_at: Date | string
  state_bytes: number
  state: Uint8Array | string
}

function infoOf (group: string, partition: number, r: Omit<Row, 'state' | 'state_bytes'>): CheckpointInfo {
  return {
    group,
    partition,
    inputOffset: Number(r.input_offset),
    changelogOffset: Number(r.changelog_offset),
    createdAt: r.created_at instanceof Date ? r.created_at.getTime() : Date.parse(String(r.created_at)),
  }
}

function toBase64 (u: Uint8Array): string {
  return (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength)).toString('base64')
}

function check (cp: Checkpoint): void {
  const bad = (what: string): never => { throw new VolumerError('STORE_FAILED', `invalid checkpoint: ${what}`) }
  if (typeof cp.group !== 'string' || cp.group.length === 0) bad('group must be a non-empty string')
  if (!Number.isInteger(cp.partition) || cp.partition < 0) bad(`partition must be an integer >= 0, got ${cp.partition}`)
  if (!Number.isSafeInteger(cp.inputOffset) || cp.inputOffset < 0) bad(`inputOffset must be a safe integer >= 0, got ${cp.inputOffset}`)
  if (!Number.isSafeInteger(cp.changelogOffset) || cp.changelogOffset < 0) bad(`changelogOffset must be a safe integer >= 0, got ${cp.changelogOffset}`)
  if (!Number.isFinite(cp.createdAt)) bad(`createdAt must be ms since the epoch, got ${cp.createdAt}`)
  if (!(cp.state instanceof Uint8Array)) bad('state must be a Uint8Array')
}
