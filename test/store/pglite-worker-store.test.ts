/**
 * The embedded mode's checkpoint store: PGlite on a worker thread. Same contract as the
 * in-thread store (checkpoint-store.test.ts), and the main thread keeps running while a large
 * checkpoint is written (issue #20 §3/§4: /healthz stalled during checkpoints).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { createPgliteWorkerCheckpointStore } from '../../src/store/pglite-worker-checkpoint-store.js'
import { createPgliteCheckpointStore } from '../../src/store/pglite-checkpoint-store.js'
import type { Checkpoint, CheckpointStore } from '../../src/store/checkpoint-store.js'
import { VolumerError } from '../../src/errors.js'

function cp (over: Partial<Checkpoint> = {}): Checkpoint {
  return { group: 'volumer', partition: 0, inputOffset: 10, changelogOffset: 4, createdAt: 1_700_000_000_123, state: new Uint8Array([1, 2, 3]), ...over }
}

/** the longest the main thread went without running a 5 ms timer while fn ran */
async function longestStall (fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now()
  let worst = 0
  const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now }, 5)
  try {
    await fn()
  } finally {
    clearInterval(timer)
  }
  return Math.max(worst, performance.now() - last)
}

describe('checkpoint store (PGlite on a worker thread)', function () {
  this.timeout(120_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'volumer-pglite-worker-')) })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('saves, loads, prunes and reports errors like the in-thread store, and persists across reopen', async () => {
    const store = createPgliteWorkerCheckpointStore({ dataDir: join(dir, 'a'), keep: 2 })
    try {
      await store.migrate()
      expect(await store.latest('volumer', 0)).to.equal(null)
      const state = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff)
      await store.save(cp({ state, inputOffset: 2 ** 40, changelogOffset: 2 ** 41 + 1 }))
      expect(state.byteLength, 'the caller keeps its buffer').to.equal(70_000)
      const got = await store.latest('volumer', 0)
      expect(got).to.deep.include({ group: 'volumer', partition: 0, inputOffset: 2 ** 40, changelogOffset: 2 ** 41 + 1, createdAt: 1_700_000_000_123 })
      expect(Buffer.from(got!.state).equals(Buffer.from(state))).to.equal(true)
      expect(await store.latestInfo('volumer', 0)).to.deep.equal({ group: 'volumer', partition: 0, inputOffset: 2 ** 40, changelogOffset: 2 ** 41 + 1, createdAt: 1_700_000_000_123 })
      for (let i = 1; i <= 4; i++) await store.save(cp({ partition: 1, inputOffset: i, state: new Uint8Array([i]) }))
      expect([...(await store.latest('volumer', 1))!.state]).to.deep.equal([4])
      const err = await store.save(cp({ partition: -1 })).then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(VolumerError).with.property('code', 'STORE_FAILED')
    } finally {
      await store.close()
    }
    const again = createPgliteWorkerCheckpointStore({ dataDir: join(dir, 'a') })
    try {
      await again.migrate()
      expect((await again.latest('volumer', 1))!.inputOffset).to.equal(4)
    } finally {
      await again.close()
    }
  })

  it('a closed store fails calls with STORE_FAILED instead of hanging', async () => {
    const store = createPgliteWorkerCheckpointStore()
    await store.migrate()
    await store.close()
    const err = await store.latest('volumer', 0).then(() => null, (e: unknown) => e)
    expect(err).to.be.instanceOf(VolumerError).with.property('code', 'STORE_FAILED')
  })

  it('the main thread keeps running while a 16 MB checkpoint is saved and loaded', async () => {
    const state = randomBytes(16 * 1024 * 1024)
    const stalls: Record<string, number> = {}
    const stores: Array<[string, CheckpointStore]> = [
      ['in-thread', await createPgliteCheckpointStore({ dataDir: join(dir, 'b') })],
      ['worker', createPgliteWorkerCheckpointStore({ dataDir: join(dir, 'c') })],
    ]
    try {
      for (const [name, store] of stores) await store.migrate()
      // alternating, twice each: the box is shared, so compare side by side
      for (let round = 1; round <= 2; round++) {
        for (const [name, store] of stores) {
          const s = await longestStall(async () => {
            await store.save(cp({ inputOffset: round, state }))
            const got = await store.latest('volumer', 0)
            expect(got!.state.byteLength).to.equal(state.length)
          })
          stalls[name] = Math.max(stalls[name] ?? 0, s)
        }
      }
    } finally {
      for (const [, store] of stores) await store.close()
    }
    console.log(`      longest main-thread stall over a 16 MB save + load: in-thread ${stalls['in-thread'].toFixed(0)} ms, worker ${stalls.worker.toFixed(0)} ms`)
    expect(stalls.worker).to.be.below(stalls['in-thread'] / 2)
  })
})
