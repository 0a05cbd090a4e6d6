/**
 * The test-only checkpoint failpoints (src/store/test-failpoint.ts) on the real Postgres store: the
 * chaos test relies on each firing exactly once, at its boundary, and leaving nothing in Postgres.
 * `die` records instead of SIGKILLing the test process; the chaos test runs the real one.
 * Uses the shared Postgres (VOLUMER_PG_URL) under a random group, deleted afterwards.
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import pg from 'pg'
import { createPostgresCheckpointStore } from '../../src/store/postgres-checkpoint-store.js'
import type { Checkpoint, CheckpointStore } from '../../src/store/checkpoint-store.js'
import { sessionWithFailpoint, storeWithFailpoint, testFailpointFrom, type TestFailpoint } from '../../src/store/test-failpoint.js'
import { PG_URL } from '../helpers/cluster.js'

describe('test-only checkpoint failpoints (VOLUMER_TEST_FAILPOINT)', function () {
  this.timeout(60_000)
  const group = `failpoint-${randomBytes(4).toString('hex')}`
  const cp = (inputOffset: number): Checkpoint => ({ group, partition: 0, inputOffset, changelogOffset: inputOffset, createdAt: Date.now(), state: new Uint8Array([inputOffset & 0xff]) })
  const stores: CheckpointStore[] = []
  const fired: Array<Record<string, unknown>> = []
  const die = (fp: TestFailpoint, detail: Record<string, unknown>): void => { fired.push({ point: fp.point, ...detail }) }

  function open (env: string): CheckpointStore {
    const fp = testFailpointFrom({ VOLUMER_TEST_FAILPOINT: env })
    const s = storeWithFailpoint(createPostgresCheckpointStore({ url: PG_URL, wrapSession: (x) => sessionWithFailpoint(x, fp, die) }), fp, die)
    stores.push(s)
    return s
  }

  beforeEach(() => { fired.length = 0 })
  after(async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
    await pool.query('DELETE FROM volumer_checkpoints WHERE group_id = $1', [group]).catch(() => {})
    await pool.end()
    for (const s of stores) await s.close().catch(() => {})
  })

  it('parses point[@N], defaults N to 1, and refuses anything else as BAD_CONFIG', () => {
    expect(testFailpointFrom({})).to.equal(undefined)
    expect(testFailpointFrom({ VOLUMER_TEST_FAILPOINT: '' })).to.equal(undefined)
    expect(testFailpointFrom({ VOLUMER_TEST_FAILPOINT: 'during-checkpoint-write' })).to.deep.equal({ point: 'during-checkpoint-write', at: 1 })
    expect(testFailpointFrom({ VOLUMER_TEST_FAILPOINT: 'after-commit-before-checkpoint@3' })).to.deep.equal({ point: 'after-commit-before-checkpoint', at: 3 })
    for (const bad of ['crash', 'during-checkpoint-write@0', 'during-checkpoint-write@x', 'after-commit-before-checkpoint@']) {
      expect(() => testFailpointFrom({ VOLUMER_TEST_FAILPOINT: bad }), bad).to.throw().with.property('code', 'BAD_CONFIG')
    }
  })

  it('after-commit-before-checkpoint fires on the Nth save only, before anything reaches Postgres', async () => {
    const s = open('after-commit-before-checkpoint@2')
    await s.migrate()
    await s.save(cp(10))
    expect(fired).to.deep.equal([])
    await s.save(cp(20)).then(() => expect.fail('the failpoint save must not succeed'), () => {})
    expect(fired).to.deep.equal([{ point: 'after-commit-before-checkpoint', partition: 0, inputOffset: 20 }])
    expect((await s.latest(group, 0))?.inputOffset).to.equal(10)
    await s.save(cp(30))
    expect(fired).to.have.length(1)
    expect((await s.latest(group, 0))?.inputOffset).to.equal(30)
  })

  it('during-checkpoint-write fires after the INSERT inside the save\'s transaction, which is rolled back', async () => {
    const s = open('during-checkpoint-write@2')
    await s.migrate()
    await s.save(cp(40))
    expect(fired).to.deep.equal([])
    await s.save(cp(50)).then(() => expect.fail('the failpoint save must not succeed'), () => {})
    expect(fired).to.deep.equal([{ point: 'during-checkpoint-write', statement: 'INSERT', partition: 0 }])
    expect((await s.latest(group, 0))?.inputOffset, 'the INSERT was rolled back').to.equal(40)
    await s.save(cp(60))
    expect(fired).to.have.length(1)
    expect((await s.latest(group, 0))?.inputOffset).to.equal(60)
  })
})
