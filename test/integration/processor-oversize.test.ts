/**
 * One hot token must not stall its partition (issue #23): 20,000 valid swaps of a single token,
 * one processor. A cycle takes up to 20,000 records, so that token's changelog record for one
 * cycle (a DELTA holds every swap it counted) passes librdkafka's default message.max.bytes
 * (1,000,000) although the state topic allows 8 MiB. Before the fix each such cycle aborted and
 * was rebuilt, over and over (26 aborts and 3,863 of 20,000 committed after 30 s). Now every
 * record stays under the state topic's limit and the input is committed without an abort, with
 * the stats equal to the oracle across a restart that replays the changelog.
 * Needs `scripts/services.sh start` (Kafka 127.0.0.1:19092, Postgres 127.0.0.1:55432).
 */
import { expect } from 'chai'
import { parseWindowList } from '../../src/engine/windows.js'
import { createTestCluster, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { buildStream, checkStatsAgainstOracle, createInputProducer, oracleOf } from '../helpers/swap-stream.js'

const WINDOWS = '1m,5m,1h,24h'

describe('processor process on Kafka: one token larger than a default-sized record', function () {
  this.timeout(240_000)
  let cluster: TestCluster
  let fleet: ProcessorFleet

  beforeEach(async () => {
    cluster = await createTestCluster({ name: 'pt-oversize', partitions: 2 })
  })
  afterEach(async () => {
    await fleet?.stopAll()
    await cluster?.close()
  })

  const modes: Array<{ name: string, stateMaxBytes: number | undefined, swaps?: number, env: Record<string, string> }> = [
    // the topology's 8 MiB state topic: the producer must be allowed what the topic allows
    { name: 'state topic at 8 MiB', stateMaxBytes: undefined, env: {} as Record<string, string> },
    // a state topic smaller than one cycle's DELTA of the token: the DELTA goes in parts
    { name: 'state topic at 256 KiB: DELTAs in parts', stateMaxBytes: 262_144, env: {} },
    // FULL records only, and the token's state larger than a record may be: it stays in DELTAs
    // until a checkpoint. Since snapshot v4 (8-byte dedup keys) 20,000 swaps of one token are a
    // ~204 KB state (~1 MB before), under 256 KiB: this mode sends 32,000
    { name: 'state topic at 256 KiB, FULL records only', stateMaxBytes: 262_144, swaps: 32_000, env: { VOLUMER_CHANGELOG_FULL_AFTER: '0s' } }
  ]
  for (const mode of modes) {
    it(`20,000 swaps of one token are committed without an abort, and restore to the oracle: ${mode.name}`, async () => {
      if (mode.stateMaxBytes !== undefined) {
        const admin = await cluster.log.createAdmin()
        try { await admin.alterConfigs(cluster.topics.state, { 'max.message.bytes': String(mode.stateMaxBytes) }) } finally { await admin.close() }
      }
      fleet = new ProcessorFleet(cluster, { windows: WINDOWS, env: mode.env })
      const now = Date.now()
      const inputs = buildStream({ swaps: (mode.swaps ?? 20_000) + 400, tokens: 1, seed: 23, now, badEvery: 0, duplicateRate: 0.02 })
      const first = inputs.length - 400
      const input = await createInputProducer(cluster)
      input.send(inputs.slice(0, first))
      await input.producer.flush()

      // a long checkpoint interval: the first checkpoint comes after the first commit, the rest of
      // the state is in the changelog only, and the restart after SIGKILL must replay it
      let p = fleet.start('p1', { checkpointInterval: '10m' })
      await p.waitReady()
      await cluster.waitCaughtUp(60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}; aborts ${await p.metric('volumer_processor_transaction_aborts_total')}; last lines:\n${p.tail(6)}`)
      })
      const aborts = await p.metric('volumer_processor_transaction_aborts_total')
      const changelog = await p.metric('volumer_processor_changelog_records_total')
      const problems = p.problems().slice(0, 3).map((l) => JSON.stringify(l)).join('\n')
      const keptAsDeltas = p.lines.some((l) => l.msg === 'token state larger than a state record may be: kept as DELTAs until the next checkpoint')
      await p.kill()
      expect(keptAsDeltas, 'the token state was too large for a FULL record').to.equal(mode.env.VOLUMER_CHANGELOG_FULL_AFTER === '0s')
      expect(aborts, `aborted transactions; the first warnings:\n${problems}\n`).to.equal(0)

      // the last 400 swaps after the restore: their stats are right only if the restore was
      p = fleet.start('p1', { checkpointInterval: '10m' })
      await p.waitReady()
      input.send(inputs.slice(first))
      await input.close()
      await cluster.waitCaughtUp(60_000)
      expect(await p.stop(), 'exit code after SIGTERM').to.equal(0)

      const oracle = oracleOf(inputs, parseWindowList(WINDOWS), now)
      const stats = await checkStatsAgainstOracle(cluster, oracle)
      console.log(`      ${inputs.length} inputs of one token, ${aborts} aborts, ${changelog} changelog records; ${stats.tokens} tokens, ${stats.mismatches.length} mismatches`)
      expect(stats.mismatches, stats.mismatches.slice(0, 5).join('\n')).to.deep.equal([])
      expect(stats.tokens).to.equal(oracle.tokenKeys().length)
    })
  }
})
