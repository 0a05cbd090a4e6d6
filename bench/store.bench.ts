/**
 * Checkpoint save/load of one large partition state (default 20 MB of random bytes: a
 * worst case for size, nothing to compress), on PGlite (in memory) and, when VOLUMER_PG_URL
 * is set, on Postgres. Median of a few rounds.
 *
 *   node --import tsx bench/store.bench.ts        prints the figures, writes bench/results/store.json
 *   STORE_BENCH_MB=5 STORE_BENCH_ROUNDS=3 …       smaller / fewer
 *
 * Then growth (issue #19 §2, #20 §4): an hour of a processor's checkpoints, compressed (saved
 * back to back): STORE_GROWTH_ROUNDS (default 60, one per default 60 s interval) × 12
 * partitions × STORE_GROWTH_MB (default 2) of state, on PGlite in a data directory and on a
 * private Postgres cluster (scripts/postgres.sh, when installed), with the table bytes
 * (pg_total_relation_size) and WAL bytes (pg_ls_waldir / the pg_wal folder) every 10 rounds,
 * written to bench/results/store-growth.json. STORE_GROWTH_ROUNDS=0 skips it;
 * STORE_BENCH_ROUNDS=0 runs only it.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { fileURLToPath } from 'node:url'
import type { CheckpointStore } from '../src/store/checkpoint-store.js'
import { createPgliteCheckpointStore, openPglite } from '../src/store/pglite-checkpoint-store.js'
import { createPostgresCheckpointStore } from '../src/store/postgres-checkpoint-store.js'
import { startPrivatePostgres } from '../test/helpers/private-postgres.js'

const MB = Number(process.env.STORE_BENCH_MB ?? 20)
const ROUNDS = Number(process.env.STORE_BENCH_ROUNDS ?? 5)
const state = randomBytes(MB * 1024 * 1024)

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.floor(s.length / 2)])
}

async function measure (store: CheckpointStore): Promise<{ saveMs: number, loadMs: number }> {
  await store.migrate()
  const save: number[] = []
  const load: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now()
    await store.save({ group: 'bench', partition: 0, inputOffset: i + 1, changelogOffset: i, createdAt: Date.now(), state })
    save.push(performance.now() - t)
    t = performance.now()
    const got = await store.latest('bench', 0)
    load.push(performance.now() - t)
    if (got === null || got.state.byteLength !== state.length) throw new Error('checkpoint did not come back whole')
  }
  return { saveMs: median(save), loadMs: median(load) }
}

const result: Record<string, unknown> = { bench: 'store', what: `one ${MB} MB checkpoint (random bytes), median of ${ROUNDS} save/latest rounds`, stateBytes: state.length }
if (ROUNDS > 0) {
  const lite = await createPgliteCheckpointStore({ keep: 2 })
  result.pglite = await measure(lite)
  await lite.close()
  if (process.env.VOLUMER_PG_URL !== undefined) {
    const pgStore = createPostgresCheckpointStore({ url: process.env.VOLUMER_PG_URL, keep: 2 })
    result.postgres = await measure(pgStore)
    await pgStore.close()
  }
}
const GROWTH_ROUNDS = Number(process.env.STORE_GROWTH_ROUNDS ?? 60)
const GROWTH_MB = Number(process.env.STORE_GROWTH_MB ?? 2)
const GROWTH_PARTITIONS = 12
if (GROWTH_ROUNDS > 0) {
  type Sample = { round: number, tableBytes: number, walBytes: number, roundMs: number }
  const growth = async (store: CheckpointStore, sizes: () => Promise<{ table: number, wal: number }>): Promise<Sample[]> => {
    await store.migrate()
    const samples: Sample[] = []
    const s = randomBytes(GROWTH_MB * 1024 * 1024)
    for (let round = 1; round <= GROWTH_ROUNDS; round++) {
      const t = performance.now()
      for (let p = 0; p < GROWTH_PARTITIONS; p++) {
        s[0] = round & 0xff
        await store.save({ group: 'growth', partition: p, inputOffset: round, changelogOffset: round, createdAt: Date.now(), state: s })
      }
      if (round % 10 === 0 || round === 1) {
        const { table, wal } = await sizes()
        samples.push({ round, tableBytes: table, walBytes: wal, roundMs: Math.round(performance.now() - t) })
        console.log(`growth round ${round}: table ${(table / 1e6).toFixed(1)} MB, WAL ${(wal / 1e6).toFixed(1)} MB, round ${Math.round(performance.now() - t)} ms`)
      }
    }
    return samples
  }
  const written = GROWTH_ROUNDS * GROWTH_PARTITIONS * GROWTH_MB * 1024 * 1024
  const g: Record<string, unknown> = { what: `${GROWTH_ROUNDS} rounds × ${GROWTH_PARTITIONS} partitions × ${GROWTH_MB} MB saved back to back (an hour of 60 s checkpoints, compressed); ${(written / 1e6).toFixed(0)} MB written` }
  const dir = mkdtempSync(join(tmpdir(), 'volumer-store-growth-'))
  try {
    const db = await openPglite(join(dir, 'pglite'))
    const liteStore = await createPgliteCheckpointStore({ db })
    g.pglite = await growth(liteStore, async () => ({
      table: Number((await db.query<{ n: string }>("SELECT pg_total_relation_size('volumer_checkpoints') AS n")).rows[0].n),
      wal: readdirSync(join(dir, 'pglite', 'pg_wal')).reduce((n, f) => { const st = statSync(join(dir, 'pglite', 'pg_wal', f)); return n + (st.isFile() ? st.size : 0) }, 0),
    }))
    await liteStore.close()
    await db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  if (existsSync('/usr/lib/postgresql')) {
    const server = await startPrivatePostgres()
    const client = new pg.Client(server.url)
    try {
      await client.connect()
      const settings = await client.query("SELECT name, setting, unit FROM pg_settings WHERE name IN ('max_wal_size', 'min_wal_size', 'checkpoint_timeout', 'wal_keep_size')")
      g.postgresSettings = Object.fromEntries(settings.rows.map((r: { name: string, setting: string, unit: string | null }) => [r.name, r.setting + (r.unit ?? '')]))
      const pgGrowthStore = createPostgresCheckpointStore({ url: server.url })
      g.postgres = await growth(pgGrowthStore, async () => {
        const r = await client.query("SELECT pg_total_relation_size('volumer_checkpoints') AS t, (SELECT sum(size) FROM pg_ls_waldir()) AS w")
        return { table: Number(r.rows[0].t), wal: Number(r.rows[0].w) }
      })
      await pgGrowthStore.close()
    } finally {
      await client.end().catch(() => {})
      await server.close()
    }
  }
  Object.assign(g, { node: process.version, load1: loadavg()[0], machine: 'shared with other engineers', at: new Date().toISOString() })
  console.log(JSON.stringify(g, null, 2))
  const out = fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(out, { recursive: true })
  writeFileSync(out + 'store-growth.json', JSON.stringify(g, null, 2) + '\n')
}
if (ROUNDS === 0) process.exit(0)
Object.assign(result, { storedBytes: 'state column = state size (STORAGE EXTERNAL, no compression); table ≈ (keep + 1) × state per partition once pruned rows are vacuumed', node: process.version, cpu: cpus()[0]?.model ?? 'unknown', load1: loadavg()[0], machine: 'shared with other engineers', at: new Date().toISOString() })
console.log(JSON.stringify(result, null, 2))
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(out + 'store.json', JSON.stringify(result, null, 2) + '\n')
