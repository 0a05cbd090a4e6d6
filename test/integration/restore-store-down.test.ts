/**
 * A restore with Postgres down (issue 23: docs/operations.md said it replays the whole compacted
 * changelog, docs/processor.md that it fails with STORE_UNAVAILABLE). What loadCheckpoint does
 * (src/processor/restore-partition.ts): it waits for the checkpoint store, retrying, and fails
 * with STORE_UNAVAILABLE after `storeWaitMs`; it never builds an engine without the checkpoint.
 * On a private Postgres (scripts/postgres.sh, own port and data dir) that the test stops.
 */
import { expect } from 'chai'
import { existsSync, readdirSync } from 'node:fs'
import pino from 'pino'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { createInProcessSchemaRegistry, createStateChangeDecoder, createSwapDecoder } from '../../src/codec/index.js'
import { createPostgresCheckpointStore } from '../../src/store/postgres-checkpoint-store.js'
import type { CheckpointStore } from '../../src/store/checkpoint-store.js'
import { createEngine, COUNTED } from '../../src/engine/index.js'
import { parseWindowList } from '../../src/engine/windows.js'
import { loadCheckpoint, type RestoreContext } from '../../src/processor/restore-partition.js'
import { VolumerError } from '../../src/errors.js'
import { makeSwap } from '../helpers/swap-factory.js'
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js'

describe('restore with the checkpoint store down (real Postgres, stopped)', function () {
  this.timeout(180_000)
  const windows = parseWindowList('1m,5m')
  const now = Date.parse('2021-06-16T02:00:00Z')
  let pgs: PrivatePostgres | undefined
  let store: CheckpointStore
  let ctx: RestoreContext

  before(async function () {
    if (!existsSync('/usr/lib/postgresql') || readdirSync('/usr/lib/postgresql').length === 0) this.skip()
    pgs = await startPrivatePostgres()
    store = createPostgresCheckpointStore({ url: pgs.url, connectTimeoutMs: 1000 })
    await store.migrate()
    // a checkpoint holding one counted swap
    const engine = createEngine({ windows, skewMs: 60_000, now })
    expect(engine.ingest(makeSwap({ id: 's1', chain: 'ethereum', token: '0xaa', trader: '0xt', side: 'BUY', amount: '2', amountUsd: '10', blockTime: now - 1000, blockNumber: 1, logIndex: 0 }))).to.equal(COUNTED)
    await store.save({ group: 'g', partition: 0, inputOffset: 7, changelogOffset: 3, createdAt: now, state: engine.snapshot() })
    const registry = await createInProcessSchemaRegistry()
    ctx = {
      log: createMemoryLog(), store, stateDecoder: createStateChangeDecoder(registry), swapDecoder: createSwapDecoder({ registry }),
      groupId: 'g', stateTopic: 'volumer-state', windows, skewMs: 60_000, now, logger: pino({ level: 'silent' })
    }
  })

  after(async () => {
    await store?.close().catch(() => {})
    await pgs?.close()
  })

  it('fails with STORE_UNAVAILABLE once storeWaitMs has passed, instead of restoring without the checkpoint', async () => {
    await pgs!.stop()
    const t0 = Date.now()
    const err = await loadCheckpoint({ ...ctx, storeWaitMs: 2000 }, 0).then(() => null, (e: unknown) => e)
    expect(err, 'loadCheckpoint rejected').to.be.instanceOf(VolumerError)
    expect((err as VolumerError).code).to.equal('STORE_UNAVAILABLE')
    expect((err as Error).message).to.match(/unreachable for 2 s while restoring partition 0/)
    expect(Date.now() - t0, 'it waited for the store first').to.be.at.least(2000)
  })

  it('waits for the store while it is down and restores the checkpoint once it is back', async () => {
    // still stopped from the test before (or stopped here when run alone)
    await pgs!.stop()
    const loading = loadCheckpoint({ ...ctx, storeWaitMs: 120_000 }, 0)
    let settled = false
    void loading.then(() => { settled = true }, () => { settled = true })
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(settled, 'settled while Postgres was down').to.equal(false)
    await pgs!.start()
    const loaded = await loading
    expect(loaded.checkpoint).to.deep.include({ group: 'g', partition: 0, inputOffset: 7, changelogOffset: 3 })
    expect(loaded.engine.tokenCount).to.equal(1)
    expect(loaded.engine.counters.counted).to.equal(1)
  })
})
