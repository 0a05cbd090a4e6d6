import type { SqlSession } from './sql-session.js'

/**
 * Versioned schema changes, applied in order, each once, recorded in volumer_schema_migrations.
 * Never edit a shipped migration: add the next version.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'checkpoints',
    sql: `
      CREATE TABLE volumer_checkpoints (
        id               bigserial   PRIMARY KEY,
        group_id         text        NOT NULL,
        partition        integer     NOT NULL,
        input_offset     bigint      NOT NULL,
        changelog_offset bigint      NOT NULL,
        created_at       timestamptz NOT NULL,
        state_bytes      integer     NOT NULL,
        state            bytea       NOT NULL
      );
      -- latest() and pruning walk one partition's rows newest first
      CREATE INDEX volumer_checkpoints_newest
        ON volumer_checkpoints (group_id, partition, input_offset DESC, id DESC);
      -- engine snapshots are compact binary already: skip TOAST's pglz attempt on save
      -- (measured: see docs, bench numbers in the store-postgres integration test output)
      ALTER TABLE volumer_checkpoints ALTER COLUMN state SET STORAGE EXTERNAL;
    `,
  },
  {
    version: 2,
    name: 'checkpoints-autovacuum',
    // Each save prunes a whole partition state (thousands of TOAST chunks). The store vacuums
    // after each save; these make autovacuum (Postgres only: PGlite has none) do the same soon
    // where the store's own VACUUM is not allowed (a role that does not own the table):
    // a handful of dead rows or a few MB of dead chunks are worth a vacuum here.
    sql: `
      ALTER TABLE volumer_checkpoints SET (
        autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 4,
        toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 2000
      );
    `,
  },
]

// any constant unique to Volumer: serialises concurrent migrate() calls across processes
const MIGRATION_LOCK = 0x766f6c75

export async function runMigrations (session: SqlSession, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return session.transaction(async tx => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.exec(`CREATE TABLE IF NOT EXISTS volumer_schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const rows = await tx.query<{ version: number }>('SELECT version FROM volumer_schema_migrations')
    const done = new Set(rows.map(r => Number(r.version)))
    const applied: number[] = []
    for (const m of migrations) {
      if (done.has(m.version)) continue
      await tx.exec(m.sql)
      await tx.query('INSERT INTO volumer_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
    }
    return applied
  })
}
