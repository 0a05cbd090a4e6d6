/**
 * Takeover on the real broker: of two processor processes sharing 12 partitions, one is
 * SIGKILLed; the survivor must serve the dead one's partitions. Measured: time from the kill to
 * the committed stats update of a swap produced to each moved partition right after the kill.
 * Run without and with --standby (the survivor then keeps copies of the other's partitions
 * and only replays the changelog they have not read yet). The consumer session timeout bounds it (default 6 s, the broker's group.min.session.timeout.ms
 * default); set VOLUMER_TEST_SESSION_TIMEOUT (e.g. 1s) when the broker allows lower.
 */
import { expect } from 'chai'
import { parseDuration, parseWindowList } from '../../src/engine/windows.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { buildStream, checkStatsAgainstOracle, createInputProducer, oracleOf } from '../helpers/swap-stream.js'
import { measureTakeover } from '../helpers/takeover.js'

const WINDOWS = '1m,5m,1h,24h'
// the project's broker allows sessions down to 1 s (scripts/kafka.sh)
const SESSION = process.env.VOLUMER_TEST_SESSION_TIMEOUT ?? '2s'
// the processor's default transaction timeout (volumer processor --transaction-timeout) and the
// broker's abort-cleanup interval: a member killed inside a transaction blocks read_committed
// readers of the partitions it wrote until the broker aborts that transaction
const ABORTED_AFTER_MS = 5000 + 1000

describe('processor processes on Kafka: takeover after SIGKILL', function () {
  this.timeout(180_000)
  let cluster: TestCluster | undefined
  let fleet: ProcessorFleet | undefined

  // each case on topics and a group of its own
  afterEach(async () => {
    await fleet?.stopAll()
    await cluster?.close()
    fleet = undefined
    cluster = undefined
  })

  for (const standby of [false, true]) {
    const how = standby ? 'from its standby copies (--standby)' : 'restored concurrently'
    it(`the survivor serves the killed processor's partitions within max(session timeout, transaction abort) + 3 s (moved partitions ${how})`, async () => {
      await takeover(standby)
    })
  }

  async function takeover (standby: boolean): Promise<void> {
    const c = cluster = await createTestCluster({ name: standby ? 'pt-takeover-sb' : 'pt-takeover', partitions: 12 })
    const f = fleet = new ProcessorFleet(c, { windows: WINDOWS, sessionTimeout: SESSION })
    const now = Date.now()
    const inputs = buildStream({ swaps: 5000, tokens: 200, seed: 31, now, badEvery: 0 })
    const input = await createInputProducer(c)
    input.send(inputs)
    await input.close()
    const a = f.start('a', { standby })
    await a.waitReady()
    const b = f.start('b', { standby })
    await b.waitReady()
    // cooperative rebalancing may move partitions in more than one round: wait until it settles
    const shared = (): boolean => a.owned.size > 0 && b.owned.size > 0 && a.owned.size + b.owned.size === 12
    await waitUntil(shared, 'the two processors to share the 12 partitions', 60_000)
    await sleep(2000)
    await waitUntil(shared, 'the two processors to share the 12 partitions', 60_000)
    await c.waitCaughtUp(60_000)

    const killedAt = Date.now()
    const t = await measureTakeover(c, a)
    if (process.env.VOLUMER_TEST_DEBUG !== undefined) for (const l of b.lines) if (l.time >= killedAt - 100) console.log((l.time - killedAt) + ' ms', JSON.stringify(l).slice(0, 300))
    console.log(`      session timeout ${SESSION}: ${t.partitions.length} partitions moved; kill → first probe on stats ${t.firstMs.toFixed(0)} ms, last ${t.lastMs.toFixed(0)} ms ${JSON.stringify(Object.fromEntries(Object.entries(t.perPartitionMs).map(([p, ms]) => [p, Math.round(ms)])))}`)
    expect(b.owned.size, 'the survivor owns every partition').to.equal(12)
    // every moved partition came from a copy that was following the changelog
    if (standby) expect(b.standbyRestores, 'partitions the survivor restored from standby copies').to.equal(t.partitions.length)
    // and none of them fell back to its base checkpoint (latestInfo failing would only warn)
    if (standby) expect(b.lines.filter((l) => l.msg === 'newest checkpoint unknown; the standby copy keeps the one it started from'), 'copies not re-based').to.deep.equal([])
    // session timeout + a rebalance + ONE restore + a cycle. Regression: onAssign restored moved
    // partitions one after another (~1 s each here), so 6 moved partitions took 12–13 s.
    // SPEC's floor is 5 s: needs a broker group.min.session.timeout.ms below 6 s (docs/operations.md)
    expect(t.lastMs, 'kill → last moved partition served (ms)').to.be.below(Math.max(parseDuration(SESSION), ABORTED_AFTER_MS) + 3000)
    await c.waitCaughtUp(60_000)
    expect(await b.stop()).to.equal(0)

    const stats = await checkStatsAgainstOracle(c, oracleOf(inputs, parseWindowList(WINDOWS), now))
    // the probes are not in the oracle's input: everything else must match
    const real = stats.mismatches.filter((m) => !m.startsWith('ethereum:probe-'))
    expect(real, real.slice(0, 5).join('\n')).to.deep.equal([])
  }
})
