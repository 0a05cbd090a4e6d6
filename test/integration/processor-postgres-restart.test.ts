/**
 * Postgres restarted under a running processor process: the processor must keep committing
 * transactions while the checkpoint store is down (checkpoints are an optimisation of restore,
 * not part of the exactly-once path), and checkpoint again once it is back: the newest
 * checkpoint row's time moves past the restart. Stats still equal the oracle.
 * Runs its own Postgres cluster (scripts/postgres.sh on a free port, temp data dir) so the
 * shared one on 55432 keeps serving other suites.
 */
import { existsSync, readdirSync } from 'node:fs'
import { expect } from 'chai'
import { parseWindowList } from '../../src/engine/windows.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js'
import { buildStream, checkStatsAgainstOracle, createInputProducer, oracleOf } from '../helpers/swap-stream.js'

const WINDOWS = '1m,5m,1h,24h'

describe('processor process on Kafka: Postgres restarted mid-stream', function () {
  this.timeout(240_000)
  let pgServer: PrivatePostgres | undefined
  let cluster: TestCluster
  let fleet: ProcessorFleet

  before(async function () {
    if (!existsSync('/usr/lib/postgresql') || readdirSync('/usr/lib/postgresql').length === 0) this.skip()
    pgServer = await startPrivatePostgres()
    cluster = await createTestCluster({ name: 'pt-pg', partitions: 4, pgUrl: pgServer.url })
    fleet = new ProcessorFleet(cluster, { windows: WINDOWS, checkpointInterval: '1s' })
  })
  after(async () => {
    await fleet?.stopAll()
    await cluster?.close()
    await pgServer?.close()
  })

  it('keeps committing while Postgres is down and checkpoints again after it is back', async () => {
    const now = Date.now()
    const inputs = buildStream({ swaps: 30_000, tokens: 200, seed: 51, now, badEvery: 1000 })
    const input = await createInputProducer(cluster)
    const p = fleet.start('p')
    await p.waitReady()

    let sent = 0
    const producing = (async () => {
      while (sent < inputs.length) {
        input.send(inputs.slice(sent, sent + 200))
        sent = Math.min(inputs.length, sent + 200)
        await input.producer.flush()
        await sleep(100)
      }
    })()

    await waitUntil(async () => (await cluster.checkpoints()).length > 0, 'a first checkpoint', 60_000, 200)
    await pgServer!.stop()
    const downAt = Date.now()
    const txBefore = await p.metric('volumer_processor_transactions_total')
    const inBefore = await p.metric('volumer_processor_swaps_in_total')
    await sleep(5000)
    const txDown = await p.metric('volumer_processor_transactions_total') - txBefore
    const inDown = await p.metric('volumer_processor_swaps_in_total') - inBefore
    await pgServer!.start()
    const upAt = Date.now()
    await waitUntil(async () => {
      const rows = await cluster.checkpoints().catch(() => [])
      return rows.some((r) => r.createdAt > upAt)
    }, 'a checkpoint newer than the restart', 60_000, 250)
    const newest = Math.max(...(await cluster.checkpoints()).map((r) => r.createdAt))
    await producing
    await input.close()
    await cluster.waitCaughtUp(120_000)
    const warnings = [...new Set(p.problems().map((l) => l.msg))]
    expect(await p.stop()).to.equal(0)
    console.log(`      while Postgres was down (${upAt - downAt} ms): ${txDown} transactions, ${inDown} swaps in; first checkpoint after restart ${newest - upAt} ms after it; warnings ${JSON.stringify(warnings)}`)
    expect(txDown, 'transactions committed while Postgres was down').to.be.greaterThan(0)
    expect(inDown, 'swaps consumed while Postgres was down').to.be.greaterThan(0)

    const stats = await checkStatsAgainstOracle(cluster, oracleOf(inputs, parseWindowList(WINDOWS), now))
    expect(stats.mismatches, stats.mismatches.slice(0, 5).join('\n')).to.deep.equal([])
  })
})
