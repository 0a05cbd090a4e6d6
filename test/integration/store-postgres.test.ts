/**
 * The Postgres adapter against a real server started by scripts/postgres.sh.
 *
 * It stops and starts Postgres in the middle, so it runs a private cluster (own port, own data
 * dir under a temp dir) instead of the shared one on 55432 that other suites may be using.
 * Set VOLUMER_PG_BIN to pick the binaries; the suite skips when Postgres is not installed.
 */
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { expect } from 'chai'
import pg from 'pg'
import { createPostgresCheckpointStore } from '../../src/store/postgres-checkpoint-store.js'
import type { Checkpoint, CheckpointStore } from '../../src/store/checkpoint-store.js'
import { VolumerError } from '../../src/errors.js'
import { DEFAULT_KEEP } from '../../src/store/checkpoint-store.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { saveRounds } from '../helpers/checkpoint-growth.js'

const run = promisify(execFile)
const SCRIPT = new URL('../../scripts/postgres.sh', import.meta.url).pathname

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function cp (over: Partial<Checkpoint> = {}): Checkpoint {
  return { group: 'volumer', partition: 0, inputOffset: 1, changelogOffset: 1, createdAt: 1_700_000_000_000, state: new Uint8Array([7]), ...over }
}

async function failure (p: Promise<unknown>): Promise<VolumerError> {
  const e = await p.then(() => null, (err: unknown) => err)
  expect(e, 'expected the call to fail').to.be.instanceOf(VolumerError)
  return e as VolumerError
}

describe('checkpoint store (Postgres, real server)', function () {
  this.timeout(120_000)
  let dir: string
  let env: NodeJS.ProcessEnv
  let url: string
  let store: CheckpointStore
  const pg_ = (cmd: string) => run('bash', [SCRIPT, cmd], { env })

  before(async function () {
    if (!existsSync('/usr/lib/postgresql') || readdirSync('/usr/lib/postgresql').length === 0) this.skip()
    dir = mkdtempSync(join(tmpdir(), 'volumer-store-pg-'))
    chmodSync(dir, 0o755) // the server runs as user postgres and must reach its data dir
    const port = await freePort()
    env = { ...process.env, VOLUMER_PG_PORT: String(port), VOLUMER_RUN_DIR: dir, VOLUMER_PG_DATA: join(dir, 'pg') }
    await pg_('start')
    await pg_('wait')
    url = `postgres://postgres@127.0.0.1:${port}/volumer`
    store = createPostgresCheckpointStore({ url, keep: 2 })
    await store.migrate()
  })

  after(async () => {
    if (env === undefined) return
    await store?.close()
    await pg_('reset').catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  it('saves and loads, keeps the newest two, migrates idempotently from two processes at once', async () => {
    const other = createPostgresCheckpointStore({ url })
    await Promise.all([store.migrate(), other.migrate()])
    await other.close()
    expect(await store.latest('volumer', 3)).to.equal(null)
    for (let i = 1; i <= 4; i++) await store.save(cp({ partition: 3, inputOffset: i * 10, changelogOffset: i, state: new Uint8Array([i]) }))
    const got = await store.latest('volumer', 3)
    expect(got).to.deep.include({ group: 'volumer', partition: 3, inputOffset: 40, changelogOffset: 4, createdAt: 1_700_000_000_000 })
    expect([...got!.state]).to.deep.equal([4])
    expect(await store.latestInfo('volumer', 3)).to.deep.equal({ group: 'volumer', partition: 3, inputOffset: 40, changelogOffset: 4, createdAt: 1_700_000_000_000 })
    expect(await store.latestInfo('volumer', 9)).to.equal(null)
    const c = new pg.Client(url)
    await c.connect()
    const n = await c.query('SELECT count(*)::int AS n FROM volumer_checkpoints WHERE partition = 3')
    const versions = await c.query('SELECT version FROM volumer_schema_migrations')
    await c.end()
    expect(n.rows[0].n).to.equal(2)
    expect(versions.rows.length).to.equal(MIGRATIONS.length)
  })

  it('survives a Postgres restart: saves fail retriably during the outage, the next one succeeds', async () => {
    await store.save(cp({ partition: 5, inputOffset: 100 }))
    await pg_('stop')
    const down = await failure(store.save(cp({ partition: 5, inputOffset: 200 })))
    expect(down.code).to.equal('STORE_UNAVAILABLE')
    expect(down.retriable).to.equal(true)
    const downRead = await failure(store.latest('volumer', 5))
    expect(downRead.code).to.equal('STORE_UNAVAILABLE')
    await pg_('start')
    await pg_('wait')
    await store.save(cp({ partition: 5, inputOffset: 300 }))
    expect((await store.latest('volumer', 5))!.inputOffset).to.equal(300)
  })

  it('a restart between two calls on pooled connections costs at most one retriable failure', async () => {
    // both pooled connections busy once, so both are idle in the pool when the server goes
    await Promise.all([store.latest('volumer', 5), store.latest('volumer', 3)])
    await pg_('stop')
    await pg_('start')
    await pg_('wait')
    let failures = 0
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await store.save(cp({ partition: 6, inputOffset: 1 }))
        break
      } catch (err) {
        expect(err).to.be.instanceOf(VolumerError).with.property('retriable', true)
        failures++
      }
    }
    expect(failures).to.be.at.most(1)
    expect((await store.latest('volumer', 6))!.inputOffset).to.equal(1)
  })

  it('issue #20/#19: after many saves only the newest checkpoints remain and the table stops growing', async () => {
    // the default keep, as a processor runs; a group of its own (other cases use 'volumer')
    const own = createPostgresCheckpointStore({ url })
    const c = new pg.Client(url)
    await c.connect()
    try {
      const PARTITIONS = 4
      const BYTES = 512 * 1024
      const ROUNDS = 40
      const at: Record<number, { table: number, wal: number }> = {}
      await saveRounds(own, {
        group: 'growth', partitions: PARTITIONS, rounds: ROUNDS, bytes: BYTES,
        measure: async (round) => {
          if (round !== 10 && round !== ROUNDS) return
          const r = await c.query("SELECT pg_total_relation_size('volumer_checkpoints') AS t, (SELECT sum(size) FROM pg_ls_waldir()) AS w")
          at[round] = { table: Number(r.rows[0].t), wal: Number(r.rows[0].w) }
        },
      })
      const rows = await c.query("SELECT partition, count(*)::int AS n FROM volumer_checkpoints WHERE group_id = 'growth' GROUP BY partition ORDER BY partition")
      expect(rows.rows.map((r: { n: number }) => r.n)).to.deep.equal(Array(PARTITIONS).fill(DEFAULT_KEEP))
      console.log(`      after 10 / ${ROUNDS} rounds of ${PARTITIONS} × ${BYTES / 1024} KiB: table ${at[10].table} / ${at[ROUNDS].table} B, WAL ${at[10].wal} / ${at[ROUNDS].wal} B (written ${ROUNDS * PARTITIONS * BYTES} B)`)
      const live = PARTITIONS * BYTES
      expect(at[ROUNDS].table, 'table bytes').to.be.at.most((DEFAULT_KEEP + 2) * live * 1.25 + 2 * 1024 * 1024)
      expect(at[ROUNDS].table, 'table bytes stop growing').to.be.at.most(at[10].table * 1.1)
    } finally {
      await c.query("DELETE FROM volumer_checkpoints WHERE group_id = 'growth'")
      await c.end()
      await own.close()
    }
  })

  it('20 MB state: save and load times, stored size', async () => {
    const state = randomBytes(20 * 1024 * 1024)
    const times: Record<string, number> = {}
    let t = performance.now()
    await store.save(cp({ partition: 9, inputOffset: 1, state }))
    times.saveMs = performance.now() - t
    t = performance.now()
    const got = await store.latest('volumer', 9)
    times.loadMs = performance.now() - t
    expect(Buffer.from(got!.state.buffer, got!.state.byteOffset, got!.state.byteLength).equals(state)).to.equal(true)
    const c = new pg.Client(url)
    await c.connect()
    const size = await c.query("SELECT pg_column_size(state) AS col, pg_total_relation_size('volumer_checkpoints') AS rel FROM volumer_checkpoints WHERE partition = 9")
    await c.end()
    console.log(`      20 MB (random bytes) on Postgres: save ${times.saveMs.toFixed(0)} ms, load ${times.loadMs.toFixed(0)} ms, stored column ${size.rows[0].col} bytes, table ${size.rows[0].rel} bytes`)
    expect(Number(size.rows[0].col)).to.be.at.least(state.length)
  })
})
