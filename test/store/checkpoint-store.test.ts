import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { PGlite } from '@electric-sql/pglite'
import { createPgliteCheckpointStore } from '../../src/store/pglite-checkpoint-store.js'
import type { Checkpoint, CheckpointStore } from '../../src/store/checkpoint-store.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { VolumerError } from '../../src/errors.js'
import { Registry } from 'prom-client'
import { instrumentCheckpointStore } from '../../src/store/instrumented-checkpoint-store.js'

function cp (over: Partial<Checkpoint> = {}): Checkpoint {
  return { group: 'volumer', partition: 0, inputOffset: 10, changelogOffset: 4, createdAt: 1_700_000_000_123, state: new Uint8Array([1, 2, 3]), ...over }
}

// One PGlite for the file: starting one costs ~1 s of WASM start-up on this box.
describe('checkpoint store (PGlite)', function () {
  this.timeout(60_000)
  let db: PGlite
  let store: CheckpointStore
  before(async () => { db = await PGlite.create() })
  after(async () => { await db.close() })
  beforeEach(async () => {
    await db.exec('DROP TABLE IF EXISTS volumer_checkpoints; DROP TABLE IF EXISTS volumer_schema_migrations')
    store = await createPgliteCheckpointStore({ db, keep: 2 })
    await store.migrate()
  })
  afterEach(async () => { await store.close() })

  it('returns null before any save, then the checkpoint exactly as saved', async () => {
    expect(await store.latest('volumer', 0)).to.equal(null)
    const state = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff)
    await store.save(cp({ state, inputOffset: 2 ** 40, changelogOffset: 2 ** 41 + 1 }))
    const got = await store.latest('volumer', 0)
    expect(got).to.not.equal(null)
    expect(got!.inputOffset).to.equal(2 ** 40)
    expect(got!.changelogOffset).to.equal(2 ** 41 + 1)
    expect(got!.createdAt).to.equal(1_700_000_000_123)
    expect(Buffer.from(got!.state).equals(Buffer.from(state))).to.equal(true)
    expect(await store.latest('volumer', 1)).to.equal(null)
    expect(await store.latest('other', 0)).to.equal(null)
    // the same checkpoint's offsets without its state (a standby copy's re-base)
    expect(await store.latestInfo('volumer', 0)).to.deep.equal({ group: 'volumer', partition: 0, inputOffset: 2 ** 40, changelogOffset: 2 ** 41 + 1, createdAt: 1_700_000_000_123 })
    expect(await store.latestInfo('volumer', 1)).to.equal(null)
  })

  it('latest = highest input offset, keeps the newest N per partition only', async () => {
    for (let i = 1; i <= 5; i++) await store.save(cp({ inputOffset: i * 100, state: new Uint8Array([i]) }))
    // a stale save (e.g. from a zombie that lost the partition) does not win over newer ones
    await store.save(cp({ inputOffset: 250, state: new Uint8Array([99]) }))
    await store.save(cp({ partition: 1, inputOffset: 7 }))
    const got = await store.latest('volumer', 0)
    expect(got!.inputOffset).to.equal(500)
    expect([...got!.state]).to.deep.equal([5])
    expect((await store.latestInfo('volumer', 0))!.inputOffset, 'latestInfo picks the same one').to.equal(500)
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM volumer_checkpoints WHERE partition = 0')
    expect(rows.rows[0].n).to.equal(2)
    expect((await store.latest('volumer', 1))!.inputOffset).to.equal(7)
  })

  it('migrate is idempotent and records its versions', async () => {
    await store.migrate()
    await Promise.all([store.migrate(), store.migrate()])
    const rows = await db.query<{ version: number }>('SELECT version FROM volumer_schema_migrations ORDER BY version')
    expect(rows.rows.map(r => r.version)).to.deep.equal(MIGRATIONS.map(m => m.version))
  })

  it('a failed save leaves nothing behind (atomic): a failure in the prune, after the INSERT succeeded, rolls the INSERT back', async () => {
    await store.save(cp({ inputOffset: 1 }))
    // The save is INSERT then DELETE (prune) in one transaction. Break the DELETE, the second
    // statement: a trigger that fails every DELETE on the table. Only the transaction can undo
    // the INSERT that succeeded before it (a failure in the INSERT itself would prove nothing).
    await db.exec(`CREATE FUNCTION refuse_delete () RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'prune refused'; END $$;
                   CREATE TRIGGER refuse_delete BEFORE DELETE ON volumer_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();`)
    try {
      const err = await store.save(cp({ inputOffset: 2, state: new Uint8Array([9]) })).then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(VolumerError)
      expect((err as VolumerError).code).to.equal('STORE_FAILED')
      expect((err as Error).message + String((err as VolumerError).cause)).to.include('prune refused')
      expect((await store.latest('volumer', 0))!.inputOffset, 'the newest checkpoint is still the one before').to.equal(1)
      const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM volumer_checkpoints')
      expect(rows.rows[0].n, 'rows in the table').to.equal(1)
    } finally {
      await db.exec('DROP TRIGGER refuse_delete ON volumer_checkpoints; DROP FUNCTION refuse_delete()')
    }
  })

  it('rejects malformed checkpoints before touching the database', async () => {
    for (const bad of [cp({ group: '' }), cp({ partition: -1 }), cp({ inputOffset: 1.5 }), cp({ changelogOffset: 2 ** 60 }), cp({ createdAt: NaN })]) {
      const err = await store.save(bad).then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(VolumerError).with.property('code', 'STORE_FAILED')
    }
  })

  it('persists in a data directory across reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'volumer-pglite-'))
    try {
      const a = await createPgliteCheckpointStore({ dataDir: dir })
      await a.migrate()
      await a.save(cp({ inputOffset: 42 }))
      await a.close()
      const b = await createPgliteCheckpointStore({ dataDir: dir })
      await b.migrate()
      expect((await b.latest('volumer', 0))!.inputOffset).to.equal(42)
      await b.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('instrumented checkpoint store', function () {
  this.timeout(60_000)
  it('counts saves, loads, sizes and errors by code', async () => {
    const registry = new Registry()
    const store = instrumentCheckpointStore(await createPgliteCheckpointStore(), registry)
    try {
      await store.migrate()
      await store.save(cp({ state: new Uint8Array(1234) }))
      expect((await store.latest('volumer', 0))!.state.byteLength).to.equal(1234)
      await store.save(cp({ partition: -1 })).catch(() => {})
      const text = await registry.metrics()
      expect(text).to.match(/volumer_store_save_seconds_count 1\b/)
      expect(text).to.match(/volumer_store_load_seconds_count 1\b/)
      expect(text).to.match(/volumer_store_state_bytes 1234\b/)
      expect(text).to.match(/volumer_store_errors_total\{op="save",code="STORE_FAILED"\} 1\b/)
    } finally {
      await store.close()
    }
  })
})
