/**
 * Checkpoint save/load of one large partition state (default 20 MB of random bytes: a
 * worst case for size, nothing to compress), on PGlite (in memory) and, when VOLUMER_PG_URL
 * is set, on Postgres. Median of a few rounds.
 *
 *   node --import tsx bench/store.bench.ts        prints the figures, writes bench/results/store.json
 *   STORE_BENCH_MB=5 STORE_BENCH_ROUNDS=3 …       smaller / fewer
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { CheckpointStore } from '../src/store/checkpoint-store.js'
import { createPgliteCheckpointStore } from '../src/store/pglite-checkpoint-store.js'
import { createPostgresCheckpointStore } from '../src/store/postgres-checkpoint-store.js'

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
const lite = await createPgliteCheckpointStore({ keep: 2 })
result.pglite = await measure(lite)
await lite.close()
if (process.env.VOLUMER_PG_URL !== undefined) {
  const pgStore = createPostgresCheckpointStore({ url: process.env.VOLUMER_PG_URL, keep: 2 })
  result.postgres = await measure(pgStore)
  await pgStore.close()
}
Object.assign(result, { storedBytes: 'state column = state size (STORAGE EXTERNAL, no compression); table ≈ keep × state', node: process.version, cpu: cpus()[0]?.model ?? 'unknown', at: new Date().toISOString() })
console.log(JSON.stringify(result, null, 2))
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(out + 'store.json', JSON.stringify(result, null, 2) + '\n')
