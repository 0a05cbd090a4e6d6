/**
 * The processor as a real process on the real broker, Postgres and an HTTP schema registry: a
 * stream with duplicates, disorder, late, future and corrupt records must leave the compacted
 * `stats` topic equal to the brute-force oracle, statistic for statistic, and every bad record
 * in `swaps-dlq` exactly once with its reason and source offset, across a graceful restart.
 * Needs `scripts/services.sh start` (Kafka 127.0.0.1:19092, Postgres 127.0.0.1:55432).
 */
import { expect } from 'chai'
import { parseWindowList } from '../../src/engine/windows.js'
import { createStateChangeDecoder } from '../../src/codec/index.js'
import { createTestCluster, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { buildStream, checkDlq, checkStatsAgainstOracle, oracleOf } from '../helpers/swap-stream.js'
import { runAcrossRestart } from '../helpers/restart-run.js'

const WINDOWS = '1m,5m,1h,24h'

describe('processor process on Kafka: oracle equality', function () {
  this.timeout(240_000)
  let cluster: TestCluster
  let fleet: ProcessorFleet

  beforeEach(async () => {
    cluster = await createTestCluster({ name: 'pt-oracle', partitions: 6 })
    fleet = new ProcessorFleet(cluster, { windows: WINDOWS })
  })
  afterEach(async () => {
    await fleet?.stopAll()
    await cluster?.close()
  })

  // DELTA changelog records (the default) and FULL token states only (what a processor writes
  // once its checkpoint is overdue): the restart restores from the checkpoint plus either kind
  for (const mode of [
    { name: 'DELTA changelog', env: {} as Record<string, string> },
    { name: 'FULL changelog (--changelog-full-after 0s)', env: { VOLUMER_CHANGELOG_FULL_AFTER: '0s' } }
  ]) {
    it(`stats equal the oracle and every bad record is in the DLQ once, across a graceful restart: ${mode.name}`, async () => {
      fleet = new ProcessorFleet(cluster, { windows: WINDOWS, env: mode.env })
      const now = Date.now()
      const inputs = buildStream({ swaps: 20_000, tokens: 300, seed: 11, now, badEvery: 2500 })
      const input = await runAcrossRestart(cluster, fleet, inputs)

      const oracle = oracleOf(inputs, parseWindowList(WINDOWS), now)
      expect(oracle.counters.duplicates, 'the stream has duplicates').to.be.greaterThan(100)
      expect(oracle.counters.late, 'the stream has late swaps').to.be.greaterThan(0)
      expect(oracle.counters.future, 'the stream has future swaps').to.be.greaterThan(0)
      const stats = await checkStatsAgainstOracle(cluster, oracle)
      expect(stats.mismatches, stats.mismatches.slice(0, 5).join('\n')).to.deep.equal([])
      expect(stats.tokens).to.equal(oracle.tokenKeys().length)

      const dlq = await checkDlq(cluster, inputs, now, input.encoder)
      expect(dlq.duplicates, 'source offsets twice in the DLQ').to.deep.equal([])
      expect(dlq.unexpected, 'DLQ records that match no bad input').to.deep.equal([])
      expect(dlq.missing, 'bad inputs missing from the DLQ').to.deep.equal([])
      console.log(`      ${inputs.length} inputs, ${stats.tokens} tokens equal to the oracle (counted ${oracle.counters.counted}, duplicates ${oracle.counters.duplicates}, late ${oracle.counters.late}), DLQ ${JSON.stringify(dlq.reasons)}`)
      expect(Object.keys(dlq.reasons).sort()).to.deep.equal(['BAD_SIDE', 'FUTURE_TIME', 'INVALID_JSON', 'UNDECODABLE', 'UNKNOWN_SCHEMA'])
      const kinds = await changelogKinds(cluster)
      console.log(`      changelog: ${JSON.stringify(kinds)}`)
      if (mode.name.startsWith('DELTA')) {
        expect(kinds.delta, 'DELTA records').to.be.greaterThan(0)
      } else {
        expect(kinds.delta, 'DELTA records with --changelog-full-after 0s').to.equal(0)
        expect(kinds.full, 'FULL records').to.be.greaterThan(0)
      }
    })
  }
})

/** counts of the state topic's records by kind (read_committed, every partition) */
async function changelogKinds (cluster: TestCluster): Promise<{ delta: number, full: number, tombstones: number }> {
  const decoder = createStateChangeDecoder(cluster.registry)
  const partitions = Array.from({ length: cluster.partitions }, (_, i) => ({ topic: cluster.topics.state, partition: i, from: 'earliest' as const }))
  const reader = await cluster.log.createReader({ partitions })
  const out = { delta: 0, full: 0, tombstones: 0 }
  try {
    while (!reader.isCaughtUp()) {
      for (const b of await reader.poll(10_000, 200)) {
        await decoder.prepare(b.records.map((r) => r.value))
        for (const r of b.records) {
          if (r.value === null) { out.tombstones++; continue }
          if (decoder.decode(r.value).swaps != null) out.delta++
          else out.full++
        }
      }
    }
  } finally {
    await reader.close()
  }
  return out
}
