/**
 * Crash safety on the real broker: two processor processes share 12 partitions while a 200,000-
 * swap stream (plus duplicates, disorder and bad records) is produced; at random moments one of
 * them is SIGKILLed and restarted at once with the same instance id, so its new transactional
 * producer fences its dead incarnation. Afterwards the compacted `stats` topic must equal the
 * oracle (zero mismatches), so must the compacted `candles` topic, and every bad input offset must be in the DLQ exactly once
 * (read_committed): nothing lost, nothing counted twice.
 * Run again with --standby, where each kill's survivor takes partitions over from its copies.
 * Needs `scripts/services.sh start`. Runs ~2–3 minutes on 2 cores; VOLUMER_CRASH_SWAPS and VOLUMER_CRASH_KILLS
 * change the size.
 */
import { expect } from 'chai'
import { parseWindowList } from '../../src/engine/windows.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet, type ProcessorProcess } from '../helpers/processor-process.js'
import { createRandom } from '../helpers/seeded-random.js'
import { buildStream, checkDlq, checkStatsAgainstOracle, createInputProducer, oracleOf } from '../helpers/swap-stream.js'
import { checkCandlesAgainstOracle } from '../helpers/candle-oracle.js'

const WINDOWS = '1m,5m,1h,24h'
const SWAPS = Number(process.env.VOLUMER_CRASH_SWAPS ?? 200_000)
const KILLS = Number(process.env.VOLUMER_CRASH_KILLS ?? 20)

describe('processor processes on Kafka: repeated SIGKILLs', function () {
  this.timeout(600_000)
  // each case's own topics and processors, cleaned up after it
  let openCluster: TestCluster | undefined
  let openFleet: ProcessorFleet | undefined

  afterEach(async () => {
    await openFleet?.stopAll()
    await openCluster?.close()
    openFleet = undefined
    openCluster = undefined
  })

  it(`${KILLS}+ SIGKILLs during a ${SWAPS}-swap stream: zero mismatches with the oracle, every DLQ record once`, async () => {
    await crashes(false, SWAPS, KILLS)
  })

  // the survivor of each kill takes the dead one's partitions over from its standby copies
  it(`with --standby: ${Math.ceil(KILLS / 2)}+ SIGKILLs during a ${SWAPS / 2}-swap stream: zero mismatches, every DLQ record once, takeovers from standby copies`, async () => {
    await crashes(true, SWAPS / 2, Math.ceil(KILLS / 2))
  })

  async function crashes (standby: boolean, SWAPS: number, KILLS: number): Promise<void> {
    const cluster = openCluster = await createTestCluster({ name: standby ? 'pt-crash-sb' : 'pt-crash', partitions: 12 })
    const fleet = openFleet = new ProcessorFleet(cluster, { windows: WINDOWS, checkpointInterval: '2s', standby })
    const now = Date.now()
    const rnd = createRandom(20)
    const inputs = buildStream({ swaps: SWAPS, tokens: 2000, seed: 21, now, badEvery: 4000, spanMs: 300_000 })
    const input = await createInputProducer(cluster)

    const procs: ProcessorProcess[] = [fleet.start('a'), fleet.start('b')]
    await Promise.all(procs.map(async (p) => await p.waitReady()))

    // producer: 40 chunks paced by the kills, so every kill lands while input still arrives
    const CHUNKS = 40
    const chunk = Math.ceil(inputs.length / CHUNKS)
    // per kill: the victim's state just before it, and whether the SIGKILL hit a live process
    // (it ended by that signal, not on its own or before)
    const kills: Array<{ instance: string, atSent: number, partitions: number, transactions: number, alive: boolean, signal: string | null }> = []
    let sent = 0
    const producing = (async () => {
      for (let j = 0; sent < inputs.length; j++) {
        while (kills.length < Math.floor(j * KILLS / CHUNKS)) await sleep(50)
        input.send(inputs.slice(sent, sent + chunk))
        sent = Math.min(inputs.length, sent + chunk)
        await input.producer.flush()
        await sleep(300)
      }
    })()

    // killer: wait until a processor owns partitions and has committed, let it run 0.2–2 s
    // more (so the kill lands mid-cycle, mid-checkpoint or mid-commit), SIGKILL it and restart
    // it at once with the same instance id
    let producerDone = false
    void producing.then(() => { producerDone = true })
    while (kills.length < KILLS || !producerDone) {
      const state = [{ partitions: 0, transactions: 0 }, { partitions: 0, transactions: 0 }]
      const until = Date.now() + 60_000
      let eligible: number[] = []
      while (Date.now() < until) {
        for (let i = 0; i < 2; i++) {
          try {
            state[i] = { partitions: await procs[i].metric('volumer_processor_assigned_partitions'), transactions: await procs[i].metric('volumer_processor_transactions_total') }
          } catch { /* starting */ }
        }
        eligible = [0, 1].filter((i) => state[i].partitions > 0 && state[i].transactions > 0)
        if (eligible.length > 0) break
        await sleep(100)
      }
      const i = eligible.length === 0 ? Math.floor(rnd() * 2) : eligible[Math.floor(rnd() * eligible.length)]
      await sleep(200 + Math.floor(rnd() * 1800))
      const victim = procs[i]
      const alive = victim.alive()
      await victim.kill()
      kills.push({ instance: victim.instanceId, atSent: sent, ...state[i], alive, signal: victim.child.signalCode })
      // An instance restarted at once gets the dead one's partitions back (sticky assignment):
      // with --standby, first let the survivor take them over, from its copies
      if (standby) await waitUntil(() => procs[1 - i].owned.size === cluster.partitions, 'the survivor owning every partition', 60_000)
      procs[i] = fleet.start(victim.instanceId)
    }
    await producing
    await input.close()
    await Promise.all(procs.map(async (p) => await p.waitReady(120_000)))
    await cluster.waitCaughtUp(300_000)
    // every exit so far was a SIGKILL of this test: a processor must not exit on its own
    // (issue #23: code 1 during a rebalance, a revoked task read by a commit, a seek refused)
    const ownExits = fleet.all.filter((p) => !p.alive() && !p.killed).map((p) => `${p.instanceId} exited with ${p.child.exitCode}: ${p.tail(4)}`)
    const fenced = procs.flatMap((p) => p.problems()).length
    for (const p of procs) expect(await p.stop(), `${p.instanceId} exit code`).to.equal(0)

    const oracle = oracleOf(inputs, parseWindowList(WINDOWS), now)
    const stats = await checkStatsAgainstOracle(cluster, oracle)
    const dlq = await checkDlq(cluster, inputs, now, input.encoder)
    const candles = await checkCandlesAgainstOracle(cluster, oracle)
    console.log(`      candles: ${candles.candles}, ${candles.mismatches.length} mismatches, ${candles.extra.length} unexpected`)
    console.log(`      ${kills.length} SIGKILLs (${kills.filter((k) => k.alive && k.signal === 'SIGKILL').length} ended a live process; ${kills.filter((k) => k.atSent < inputs.length).length} while producing, ${kills.filter((k) => k.partitions > 0 && k.transactions > 0).length} of a processor owning partitions and committing); ${inputs.length} inputs; ${stats.tokens} tokens, ${stats.mismatches.length} mismatches; DLQ ${dlq.records} records ${JSON.stringify(dlq.reasons)}; ${fenced} warnings in the last processors' logs; ${fleet.all.reduce((n, p) => n + p.rebalanceCarries, 0)} transactions refused by a rebalance carried into the next (committed with it ${fleet.all.reduce((n, p) => n + p.carriesCommitted, 0)}, failed ${fleet.all.reduce((n, p) => n + p.carriesFailed, 0)})`)
    // kills that count: a live incarnation that owned partitions and had committed (so it had
    // restored them), ended by the SIGKILL itself; and every kill was followed by a restart
    const effective = kills.filter((k) => k.alive && k.signal === 'SIGKILL' && k.partitions > 0 && k.transactions > 0)
    expect(kills.filter((k) => !k.alive || k.signal !== 'SIGKILL'), 'kills that did not end a live process by SIGKILL').to.deep.equal([])
    expect(effective.length, 'kills of a live processor owning partitions and committing').to.be.at.least(KILLS)
    expect(fleet.all.length, 'processes started: 2 + one restart per kill').to.equal(2 + kills.length)
    expect(fleet.all.filter((p) => p.restores > 0).length, 'incarnations that restored partitions').to.be.at.least(effective.length)
    expect(ownExits, 'processors that exited on their own').to.deep.equal([])
    expect(stats.mismatches, stats.mismatches.slice(0, 5).join('\n')).to.deep.equal([])
    expect(stats.tokens).to.equal(oracle.tokenKeys().length)
    expect(candles.mismatches, candles.mismatches.slice(0, 5).join('\n')).to.deep.equal([])
    expect(candles.extra, 'candles no swap makes').to.deep.equal([])
    expect(dlq.duplicates, 'source offsets twice in the DLQ').to.deep.equal([])
    expect(dlq.unexpected, 'DLQ records that match no bad input').to.deep.equal([])
    expect(dlq.missing, 'bad inputs missing from the DLQ').to.deep.equal([])
    if (standby) {
      const fromCopies = fleet.all.reduce((n, p) => n + p.standbyRestores, 0)
      console.log(`      ${fromCopies} partitions taken over from standby copies`)
      expect(fromCopies, 'partitions taken over from standby copies').to.be.above(0)
    }
  }
})
