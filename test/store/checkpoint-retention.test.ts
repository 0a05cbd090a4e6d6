/**
 * Issue #20 §4: the embedded mode's PGlite data directory grew without bound (3.2 GB in 27
 * minutes): pruned checkpoints left dead TOAST chunks nobody vacuumed (PGlite runs Postgres in
 * single-user mode: no autovacuum) and the WAL was never checkpointed away (no checkpointer).
 * After many saves, only the checkpoints a restore can use remain, and the table, the WAL and
 * the whole data directory stop growing.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import type { PGlite } from '@electric-sql/pglite'
import { DEFAULT_KEEP } from '../../src/store/checkpoint-store.js'
import { createPgliteCheckpointStore, openPglite } from '../../src/store/pglite-checkpoint-store.js'
import { saveRounds } from '../helpers/checkpoint-growth.js'

function bytesUnder (dir: string): number {
  let n = 0
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name))
    n += st.isDirectory() ? bytesUnder(join(dir, name)) : st.size
  }
  return n
}

describe('checkpoint retention (PGlite data directory)', function () {
  this.timeout(180_000)
  let dir: string
  let db: PGlite
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'volumer-pglite-retention-'))
    db = await openPglite(join(dir, 'pglite'))
  })
  after(async () => {
    await db?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps the newest checkpoints only; table, WAL and directory bytes stop growing', async () => {
    const store = await createPgliteCheckpointStore({ db })
    await store.migrate()
    const PARTITIONS = 4
    const BYTES = 512 * 1024
    const ROUNDS = 40
    const at: Record<number, { table: number, wal: number, dir: number }> = {}
    await saveRounds(store, {
      group: 'volumer', partitions: PARTITIONS, rounds: ROUNDS, bytes: BYTES,
      measure: async (round) => {
        if (round !== 10 && round !== ROUNDS) return
        const table = Number((await db.query<{ n: string }>("SELECT pg_total_relation_size('volumer_checkpoints') AS n")).rows[0].n)
        at[round] = { table, wal: bytesUnder(join(dir, 'pglite', 'pg_wal')), dir: bytesUnder(dir) }
      },
    })
    const rows = await db.query<{ partition: number, n: number }>('SELECT partition, count(*)::int AS n FROM volumer_checkpoints GROUP BY partition ORDER BY partition')
    expect(rows.rows.map((r) => r.n)).to.deep.equal(Array(PARTITIONS).fill(DEFAULT_KEEP))
    console.log(`      after 10 / ${ROUNDS} rounds of ${PARTITIONS} × ${BYTES / 1024} KiB: table ${at[10].table} / ${at[ROUNDS].table} B, WAL ${at[10].wal} / ${at[ROUNDS].wal} B, dir ${at[10].dir} / ${at[ROUNDS].dir} B (written ${ROUNDS * PARTITIONS * BYTES} B)`)
    // the kept rows, one being written and the space of the one just pruned, with slack
    const live = PARTITIONS * BYTES
    expect(at[ROUNDS].table, 'table bytes').to.be.at.most((DEFAULT_KEEP + 2) * live * 1.25)
    expect(at[ROUNDS].table, 'table bytes stop growing').to.be.at.most(at[10].table * 1.1)
    // two 16 MB segments: the one being written and one recycled
    expect(at[ROUNDS].wal, 'WAL bytes').to.be.at.most(32 * 1024 * 1024)
    expect(at[ROUNDS].dir, 'data directory stops growing').to.be.at.most(at[10].dir * 1.1 + 16 * 1024 * 1024)
    await store.close()
  })
})
