/**
 * Zombie fencing on the real broker: processor A is frozen with SIGSTOP mid-stream (its open
 * cycle holds consumed records, stats changes and DLQ records), B takes its partitions after the
 * session timeout and goes on; then A gets SIGCONT. Whatever A had in flight must never become
 * visible (read_committed): its offsets are refused (KIP-447 generation check) and its
 * transaction aborted. Checked end to end: stats equal the oracle and every bad input is in the
 * DLQ exactly once by source offset. The stream is dense in bad records so that the frozen
 * cycle almost surely holds DLQ records.
 */
import { expect } from 'chai'
import { parseWindowList } from '../../src/engine/windows.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { buildStream, checkDlq, checkStatsAgainstOracle, createInputProducer, oracleOf } from '../helpers/swap-stream.js'

const WINDOWS = '1m,5m,1h,24h'
const PARTITIONS = 6

describe('processor processes on Kafka: a SIGSTOPped zombie is fenced', function () {
  this.timeout(240_000)
  let cluster: TestCluster
  let fleet: ProcessorFleet

  before(async () => {
    cluster = await createTestCluster({ name: 'pt-zombie', partitions: PARTITIONS })
    fleet = new ProcessorFleet(cluster, { windows: WINDOWS })
  })
  after(async () => {
    await fleet?.stopAll()
    await cluster?.close()
  })

  it('nothing the zombie had in flight is counted or dead-lettered twice', async () => {
    const now = Date.now()
    const inputs = buildStream({ swaps: 40_000, tokens: 300, seed: 41, now, badEvery: 100 })
    const input = await createInputProducer(cluster)
    // debug: A logs each committed transaction with its duration (when it began)
    const a = fleet.start('a', { logLevel: 'debug', keepLogs: true })
    await a.waitReady()
    const b = fleet.start('b')
    await b.waitReady()
    await waitUntil(() => a.owned.size > 0 && b.owned.size > 0 && a.owned.size + b.owned.size === PARTITIONS, 'the two processors to share the partitions', 60_000)

    // ~2,000 inputs/s in the background, up to `limit`
    let sent = 0
    let limit = Math.floor(inputs.length * 0.6)
    let done = false
    const producing = (async () => {
      while (!done) {
        if (sent < limit) {
          input.send(inputs.slice(sent, Math.min(limit, sent + 200)))
          sent = Math.min(limit, sent + 200)
          await input.producer.flush()
        }
        await sleep(100)
      }
    })()
    let inputClosed = false
    const stopInput = async (): Promise<void> => {
      done = true
      await producing
      if (!inputClosed) { inputClosed = true; await input.close() }
    }
    // a failed step must not leave the producing loop (and so mocha) running
    try {

      // Round 1, input flowing: when A wakes up it has records to commit, and the broker refuses
      // its offsets (old generation), so the transaction aborts.
      await waitUntil(() => sent > inputs.length * 0.2, 'input to flow', 60_000)
      a.signal('SIGSTOP')
      await waitUntil(() => b.owned.size === PARTITIONS, 'B to take every partition', 60_000)
      await sleep(2000)
      let revoked = a.nextLine((l) => l.msg === 'partitions revoked', 60_000)
      a.signal('SIGCONT')
      const round1 = await revoked
      await waitUntil(() => a.owned.size > 0, 'A to own partitions again', 60_000)
        .catch((err: Error) => { throw new Error(`${err.message}; A alive: ${a.alive()}, exit code ${a.child.exitCode}; A's last log lines:\n${a.tail(12)}`) })
      await sleep(1000)

      // Round 2, input stopped and fully processed by B before A wakes up: A's cycles then carry
      // only decay updates of its stale engines (stats and changelog records) and no new offsets.
      // A zombie must not commit those either: no transaction it begins after waking may commit
      // before it learns that its partitions are gone.
      limit = inputs.length
      await sleep(500)
      if (!a.alive()) throw new Error(`A exited (${a.child.exitCode}); its last log lines:\n${a.tail(20)}`)
      a.signal('SIGSTOP')
      await waitUntil(() => b.owned.size === PARTITIONS, 'B to take every partition', 60_000)
      await waitUntil(() => sent === inputs.length, 'the rest of the input to be produced', 120_000)
      await cluster.waitCaughtUp(120_000)
      revoked = a.nextLine((l) => l.msg === 'partitions revoked', 60_000)
      const woke = Date.now()
      a.signal('SIGCONT')
      const round2 = await revoked
      // transactions A began after waking and committed before it learnt that its partitions
      // were gone (one in flight when it was stopped may complete on waking: that one the
      // broker had before the freeze)
      const zombieCommits = a.lines.filter((l) => l.msg === 'transaction committed' && l.time - (l.ms as number) >= woke && l.time <= round2.time).length
      await stopInput()
      await cluster.waitCaughtUp(120_000)
      const zombieWarnings = [...new Set(a.problems().map((l) => l.msg))]
      for (const p of [a, b]) await p.stop()
      const oracle = oracleOf(inputs, parseWindowList(WINDOWS), now)
      const stats = await checkStatsAgainstOracle(cluster, oracle)
      const dlq = await checkDlq(cluster, inputs, now, input.encoder)
      console.log(`      round 1 revoke ${JSON.stringify({ lost: round1.lost, partitions: round1.partitions })}; round 2 revoke ${JSON.stringify({ lost: round2.lost, partitions: round2.partitions })}, zombie transactions begun and committed after waking ${zombieCommits}; zombie warnings ${JSON.stringify(zombieWarnings)}; ${stats.tokens} tokens, ${stats.mismatches.length} mismatches; DLQ ${dlq.records} records, ${dlq.duplicates.length} duplicated source offsets`)
      const afterWake = a.lines.filter((l) => l.time >= woke - 50).slice(0, 15).map((l) => `+${l.time - woke} ms ${l.msg}`).join('\n')
      expect(zombieCommits, `transactions the zombie committed after SIGCONT, before it learnt its partitions were gone; its log after waking:\n${afterWake}\n`).to.equal(0)
      // which process wrote a stale record: A's commits and warnings from waking on, relative to it
      const aSinceWake = (): string => a.lines.filter((l) => l.time >= woke - 50 && (l.level >= 40 || l.msg !== 'transaction committed' || (l.records as number) > 0)).slice(0, 40).map((l) => `+${l.time - woke} ms (${new Date(l.time).toISOString()}) ${l.msg} ${JSON.stringify({ partitions: l.partitions, records: l.records, lost: l.lost })}`).join('\n')
      expect(stats.mismatches, stats.mismatches.slice(0, 5).join('\n') + `\nA's log from waking (round 2):\n${aSinceWake()}\n`).to.deep.equal([])
      expect(dlq.duplicates, 'source offsets twice in the DLQ').to.deep.equal([])
      expect(dlq.unexpected, 'DLQ records that match no bad input').to.deep.equal([])
      expect(dlq.missing, 'bad inputs missing from the DLQ').to.deep.equal([])
    } finally {
      await stopInput().catch(() => {})
    }
  })
})
