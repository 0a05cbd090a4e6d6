/**
 * Chaos on a real three-node cluster (scripts/kafka-cluster.sh: replication 3, min.insync.replicas
 * 2, replicated transaction state log), in the spirit of Kafka's transactions_test.py and
 * streams_eos_test.py. Three processor processes share 12 partitions while a 200,000-swap
 * adversarial stream is produced (duplicates with altered fields, late, future and invalid lines:
 * test/helpers/swap-stream.ts, as the single-broker crash test), and meanwhile, in a seeded
 * shuffled order that the producer waits for:
 *   - broker SIGKILLs and restarts: the node leading a processor's transaction coordinator (twice)
 *     and the node leading a swaps partition, each restarted and waited for until fully replicated;
 *   - processor SIGKILLs (restarted at once with the same instance id);
 *   - SIGSTOP zombies held past the session timeout, then SIGCONT;
 *   - a restart of the test's private Postgres (never the shared one);
 *   - a processor killed at each checkpoint boundary by the test-only failpoint
 *     (VOLUMER_TEST_FAILPOINT, src/store/test-failpoint.ts).
 * Then: 0 mismatches with the oracle, every bad record exactly once in the DLQ (read_committed,
 * while a read_uncommitted reader also sees the aborted copies), no transaction left open, an edge
 * serving exactly the stats topic, and no processor exiting on its own.
 *
 * A private Prometheus (test/helpers/prometheus.ts: Debian's, scripts/prometheus.sh) scrapes the
 * processors (targets rewritten each time an instance restarts on a new metrics port; `instance`
 * is the instance id) and the edge, and evaluates redpanda/alerts.yml with `for:` and range windows
 * shortened (PROM_FOR, PROM_RANGE). The first processor SIGKILL is restarted only after
 * DOWN_RESTART_DELAY_MS, as a supervisor's back-off would, so that VolumerProcessorDown must fire
 * for a SIGKILL (an immediate restart answers scrapes again within a second or two). Asserted:
 * VolumerProcessorDown fired for a SIGKILLed instance, VolumerProcessorRestarted fired, and every
 * alert has resolved after the faults stop; what fired, and when, is in the summary.
 *
 * `npm run test:chaos` (not in `make test`). Uses a running cluster or starts one (and deletes
 * it afterwards). VOLUMER_CHAOS_SWAPS, VOLUMER_CHAOS_KILLS change the size; VOLUMER_CHAOS_SEED the
 * order of the faults. Prints a summary line for docs/operations.md.
 */
import { expect } from 'chai'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseWindowList } from '../../src/engine/windows.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { EdgeFleet } from '../helpers/edge-process.js'
import { readStatsTopic, waitTokensEqual } from '../helpers/edge-checks.js'
import { openKafkaCluster, type KafkaClusterControl } from '../helpers/kafka-cluster-control.js'
import { readAll } from '../helpers/log-fixture.js'
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js'
import { ProcessorFleet, type LogLine, type ProcessorProcess } from '../helpers/processor-process.js'
import { TestPrometheus, type AlertHistory } from '../helpers/prometheus.js'
import { REPO_ROOT } from '../helpers/sample-data.js'
import { createRandom } from '../helpers/seeded-random.js'
import { buildStream, checkDlq, checkStatsAgainstOracle, createInputProducer, oracleOf, type Input } from '../helpers/swap-stream.js'

const WINDOWS = '1m,5m,1h,24h'
const SWAPS = Number(process.env.VOLUMER_CHAOS_SWAPS ?? 200_000)
const PROCESSOR_KILLS = Number(process.env.VOLUMER_CHAOS_KILLS ?? 10)
const SEED = Number(process.env.VOLUMER_CHAOS_SEED ?? 23)
const INSTANCES = ['a', 'b', 'c']
const SESSION_TIMEOUT_MS = 3000
/** a zombie is held this long: past the session timeout, so the group moves its partitions */
const ZOMBIE_HOLD_MS = 3 * SESSION_TIMEOUT_MS
/** a broker stays dead this long: past broker.session.timeout.ms (3 s), so its partitions move */
const BROKER_DOWN_MS = 8000
/** the test Prometheus: scrape and evaluation interval (and scrape timeout), every `for:`, every range window */
const PROM_INTERVAL = '2s'
const PROM_FOR = '4s'
const PROM_RANGE = '30s'
/** the first processor SIGKILL is restarted this much later: past PROM_FOR plus a few scrapes */
const DOWN_RESTART_DELAY_MS = 15_000
/** how long the alerts get to resolve once the faults stopped (the box is shared, with load spikes) */
const ALERTS_RESOLVE_MS = 300_000

type Fault = 'processor-kill' | 'broker-coordinator' | 'broker-leader' | 'zombie' | 'postgres-restart' | 'after-commit-before-checkpoint' | 'during-checkpoint-write'

interface Summary {
  swaps: number
  inputs: number
  processorKills: number
  /** of those, kills of a processor that owned partitions and had committed (read from its /metrics just before) */
  killsOfOwners: number
  failpointKills: Record<string, number>
  brokerKills: Array<{ node: number, role: string, downMs: number, backMs: number }>
  zombies: number
  postgresRestarts: number
  unexpectedExits: string[]
  /** the fatal error message of each unexpected exit → how often */
  unexpectedExitReasons: Record<string, number>
  tokens: number
  mismatches: number
  dlq: { records: number, uncommitted: number, reasons: Record<string, number>, duplicates: number, missing: number, unexpected: number }
  aborts: number
  edgeMismatches: number
  /** tokens whose stats record changed in 10 s after catch-up (windows expiring, no input) */
  statsChangedAfterCatchUp: number
  /** duplicates of sent swaps produced while a failpoint waited with the stream used up */
  refill: number
  openTransactions: string[]
  /** every alert that fired: its labels (besides job/severity) and its firing intervals, in seconds from the test's start */
  alerts: Array<{ alert: string, labels: Record<string, string>, firing: Array<[number, number]> }>
  /** seconds after catch-up until no alert was pending or firing (-1: not within ALERTS_RESOLVE_MS) */
  alertsResolvedAfterCatchUp: number
  /** alerts still pending or firing when the test gave up waiting, or after the edge check */
  alertsActive: string[]
  seconds: number
  load: number[]
}

describe('chaos on a three-broker cluster: broker, processor and Postgres faults during a 200k-swap stream', function () {
  this.timeout(3_600_000)
  let kafka: KafkaClusterControl | undefined
  let pg: PrivatePostgres | undefined
  let cluster: TestCluster | undefined
  let fleet: ProcessorFleet | undefined
  let edges: EdgeFleet | undefined
  /** set once the test stops its processors itself: their exits are expected */
  let stopping = false
  let watchdog: NodeJS.Timeout | undefined
  let prom: TestPrometheus | undefined
  /** the run's start (Unix ms), and whether its alerts were reported: a run that fails early reports them in after() */
  let runStart = 0
  let alertsReported = false
  /** every processor's whole log, one file per process (a stall seen only in a failed run needs them) */
  const logDir = join(REPO_ROOT, '.run', 'chaos-logs', new Date().toISOString().replace(/[:.]/g, '-'))

  before(async () => {
    mkdirSync(logDir, { recursive: true })
    kafka = await openKafkaCluster()
    pg = await startPrivatePostgres()
    prom = new TestPrometheus({ interval: PROM_INTERVAL, forDuration: PROM_FOR, range: PROM_RANGE })
    await prom.start()
  })

  after(async () => {
    console.log(`      processor logs: ${logDir}`)
    stopping = true
    clearInterval(watchdog)
    if (prom !== undefined && runStart > 0 && !alertsReported) {
      // what Prometheus saw before the failure: before the processors stop (still its targets)
      await prom.firingHistory(runStart, Date.now(), Number.parseInt(PROM_INTERVAL))
        .then((h) => console.log(`      alerts fired before the run ended (s from the start: firing intervals): ${h.map((a) => `${a.labels.alertname}${a.labels.instance !== undefined ? `{instance=${a.labels.instance}}` : ''}${a.labels.partition !== undefined ? `{partition=${a.labels.partition}}` : ''} ${a.intervals.map(([x, y]) => `${Math.round(x - runStart / 1000)}–${Math.round(y - runStart / 1000)}`).join(', ')}`).join('; ')}`))
        .catch((err: Error) => console.log(`      alert history: ${err.message}`))
    }
    await edges?.stopAll()
    await fleet?.stopAll()
    await cluster?.close().catch((err: Error) => console.log(`      cleanup: ${err.message}`))
    await pg?.close()
    await kafka?.close()
    try { prom?.close() } catch (err) { console.log(`      cleanup: ${(err as Error).message}`) }
  })

  it(`${PROCESSOR_KILLS}+ processor SIGKILLs, 3 broker SIGKILLs, 3 zombies, a Postgres restart and a kill at each checkpoint boundary: 0 mismatches, exact DLQ, no open transaction, edge = stats, no processor exits on its own`, async () => {
    const t0 = performance.now()
    const wall0 = Date.now()
    runStart = wall0
    const k = kafka!
    const pr = prom!
    // replication 3, min.insync.replicas 2 (issue #23). Until 2026-12-07 21:30 UTC this test made
    // its topics with the single broker's replication 1: a third of the partitions had no leader
    // while a broker was down, and the restores reading them failed with -156
    cluster = await createTestCluster({ name: 'chaos', partitions: 12, brokers: k.bootstrap, pgUrl: pg!.url, replicated: true })
    const topicAdmin = await cluster.log.createAdmin()
    try {
      const names = [cluster.topics.swaps, cluster.topics.state, cluster.topics.stats, cluster.topics.dlq, `${cluster.prefix}_schemas`]
      // on a cluster just started, a topic made a moment ago can be missing from one broker's
      // metadata for a while (s13: 4 of 5 described, the run ended before its first fault)
      let described: Awaited<ReturnType<typeof topicAdmin.describeTopics>> = []
      await waitUntil(async () => (described = await topicAdmin.describeTopics(names)).length === names.length, 'the topics described', 60_000, 500).catch(() => {})
      expect(described.map((d) => d.name).sort()).to.deep.equal([...names].sort())
      for (const d of described) {
        expect(d.replicationFactor, `${d.name} replication`).to.equal(3)
        if (!d.name.endsWith('_schemas')) expect(d.configs['min.insync.replicas'], `${d.name} min.insync.replicas`).to.equal('2')
      }
    } finally { await topicAdmin.close() }
    const c = cluster
    fleet = new ProcessorFleet(c, { windows: WINDOWS, checkpointInterval: '2s', sessionTimeout: `${SESSION_TIMEOUT_MS / 1000}s` })
    const f = fleet
    const now = Date.now()
    const rnd = createRandom(SEED)
    const inputs = buildStream({ swaps: SWAPS, tokens: 2000, seed: 21, now, badEvery: 4000, spanMs: 300_000 })
    const input = await createInputProducer(c)
    const summary: Summary = {
      swaps: SWAPS, inputs: inputs.length, processorKills: 0, killsOfOwners: 0, failpointKills: {}, brokerKills: [], zombies: 0, postgresRestarts: 0,
      unexpectedExits: [], unexpectedExitReasons: {}, tokens: 0, mismatches: 0, dlq: { records: 0, uncommitted: 0, reasons: {}, duplicates: 0, missing: 0, unexpected: 0 },
      aborts: 0, edgeMismatches: 0, statsChangedAfterCatchUp: 0, refill: 0, openTransactions: [], alerts: [], alertsResolvedAfterCatchUp: -1, alertsActive: [], seconds: 0, load: []
    }
    /** faults with their wall-clock time, to match alerts to them */
    const events: Array<{ at: number, fault: Fault, instance?: string }> = []
    // The processors' scrape targets: instance id → the metrics port of its newest process. A
    // killed process's target stays (failing scrapes, `up` 0) until its successor logs its port.
    const promPorts = new Map<string, number>()
    let scrapeProcessors = true
    const writeProcessorTargets = (): void => {
      try {
        pr.targets('volumer-processor', ...(scrapeProcessors ? [...promPorts].map(([id, port]) => `${id}=127.0.0.1:${port}`) : []))
      } catch (err) { console.log(`      prometheus targets: ${(err as Error).message}`) }
    }
    const loadNow = async (): Promise<number> => Number((await import('node:os')).loadavg()[0].toFixed(1))

    // Every exit the test did not cause is recorded with the process's last log lines, and the
    // instance is restarted so the run goes on: the assertion at the end reports them all.
    const expectedExit = new Set<ProcessorProcess>()
    const procs = new Map<string, ProcessorProcess>()
    const noteExit = (id: string, p: ProcessorProcess, code: number | null, what: string): void => {
      const fatal = p.lines.find((l) => l.msg === 'processor failed')
      const why = String((fatal?.err as { message?: string } | undefined)?.message ?? 'no "processor failed" line').replace(/127\.0\.0\.1:\d+/g, 'HOST:PORT')
      summary.unexpectedExits.push(`${id}${what} (pid ${p.pid}) exited with ${code === null ? String(p.exitSignal) : `code ${code}`} at ${Math.round((performance.now() - t0) / 1000)} s: ${why}`)
      summary.unexpectedExitReasons[why] = (summary.unexpectedExitReasons[why] ?? 0) + 1
      // the whole tail for the first exit of each kind, one line for the others
      console.log(`      UNEXPECTED EXIT ${summary.unexpectedExits.at(-1)!}${summary.unexpectedExitReasons[why] === 1 ? `; last lines:\n${p.tail(12)}` : ''}`)
    }
    let started = 0
    const start = (id: string, env?: Record<string, string>): ProcessorProcess => {
      const logFile = join(logDir, `${String(++started).padStart(3, '0')}-${id}.log`)
      const p = f.start(id, { ...(env === undefined ? {} : { env }), logFile })
      procs.set(id, p)
      void p.metricsPort().then((port) => {
        if (procs.get(id) !== p || !scrapeProcessors) return
        promPorts.set(id, port)
        writeProcessorTargets()
      }, () => {})
      void p.exited.then(async (code) => {
        if (expectedExit.has(p) || stopping) return
        noteExit(id, p, code, '')
        // as a supervisor would: start it again, a second later
        await sleep(1000)
        if (procs.get(id) === p && !stopping) start(id)
      })
      return p
    }
    for (const id of INSTANCES) start(id)
    // A processor that logged 'processor failed' must exit (exit code 1, so a supervisor restarts
    // it). One still alive 30 s later is hung: recorded as an unexpected exit, SIGKILLed, restarted.
    watchdog = setInterval(() => {
      for (const [id, p] of procs) {
        const fatal = p.lines.find((l) => l.msg === 'processor failed')
        if (fatal === undefined || !p.alive() || expectedExit.has(p) || stopping || Date.now() - fatal.time < 30_000) continue
        const why = 'HUNG: still running 30 s after "processor failed": ' + String((fatal.err as { message?: string } | undefined)?.message ?? '').replace(/127\.0\.0\.1:\d+/g, 'HOST:PORT')
        summary.unexpectedExits.push(`${id} (pid ${p.pid}) at ${Math.round((performance.now() - t0) / 1000)} s: ${why}`)
        summary.unexpectedExitReasons[why] = (summary.unexpectedExitReasons[why] ?? 0) + 1
        console.log(`      UNEXPECTED ${summary.unexpectedExits.at(-1)!}; last lines:\n${p.tail(6)}`)
        expectedExit.add(p)
        void p.kill().then(() => { if (procs.get(id) === p && !stopping) start(id) })
      }
    }, 2000)
    await Promise.all([...procs.values()].map(async (p) => await p.waitReady(180_000)))

    const owning = async (): Promise<ProcessorProcess[]> => {
      const out: ProcessorProcess[] = []
      for (const p of procs.values()) {
        try { if (await p.metric('volumer_processor_assigned_partitions') > 0 && await p.metric('volumer_processor_transactions_total') > 0) out.push(p) } catch { /* starting */ }
      }
      return out
    }
    /** a processor that owns partitions and has committed, after waiting up to a minute for one */
    const owners = new Set<ProcessorProcess>()
    const victim = async (): Promise<ProcessorProcess> => {
      let eligible: ProcessorProcess[] = []
      await waitUntil(async () => (eligible = await owning()).length > 0, 'a processor owning partitions and committing', 60_000, 200).catch(() => {})
      for (const p of eligible) owners.add(p)
      const pool = eligible.length > 0 ? eligible : [...procs.values()]
      return pool[Math.floor(rnd() * pool.length)]
    }
    const killProcessor = async (p: ProcessorProcess): Promise<void> => {
      expectedExit.add(p)
      if (owners.has(p)) summary.killsOfOwners++
      await p.kill()
    }

    /** true while a failpoint fault waits for its checkpoint: the producer trickles input meanwhile */
    let awaitingFailpoint = false
    /** copies of valid swaps sent while a failpoint waited after the stream had run out */
    const refill: Input[] = []
    let refilled = 0
    const faults: Fault[] = [
      ...Array<Fault>(PROCESSOR_KILLS).fill('processor-kill'),
      'broker-coordinator', 'broker-leader', 'broker-coordinator',
      'zombie', 'zombie', 'zombie',
      'postgres-restart',
      'after-commit-before-checkpoint', 'during-checkpoint-write'
    ]
    for (let i = faults.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [faults[i], faults[j]] = [faults[j], faults[i]] }
    const log = (s: string): void => { console.log(`      [${Math.round((performance.now() - t0) / 1000)} s] ${s}`) }

    async function inject (fault: Fault): Promise<void> {
      // let the pipeline run 0.5–3 s between faults, so each lands mid-cycle, mid-checkpoint or mid-commit
      await sleep(500 + Math.floor(rnd() * 2500))
      switch (fault) {
        case 'processor-kill': {
          const p = await victim()
          await killProcessor(p)
          events.push({ at: Date.now(), fault, instance: p.instanceId })
          // the first one stays down long enough for VolumerProcessorDown (a supervisor's back-off)
          const delayed = summary.processorKills === 0
          if (delayed) {
            log(`SIGKILL processor ${p.instanceId}, restarted in ${DOWN_RESTART_DELAY_MS / 1000} s`)
            await sleep(DOWN_RESTART_DELAY_MS)
          }
          start(p.instanceId)
          summary.processorKills++
          if (!delayed) log(`SIGKILL processor ${p.instanceId}`)
          break
        }
        case 'broker-coordinator':
        case 'broker-leader': {
          let node: number
          let role: string
          if (fault === 'broker-coordinator') {
            const p = await victim()
            node = await k.coordinatorOf(`${c.group}-${p.instanceId}`)
            role = `transaction coordinator of ${p.instanceId}`
          } else {
            const part = Math.floor(rnd() * c.partitions)
            node = (await k.leaders(c.topics.swaps)).get(part)!
            role = `leader of swaps/${part}`
          }
          const tk = performance.now()
          await k.kill(node)
          events.push({ at: Date.now(), fault })
          log(`SIGKILL broker ${node} (${role})`)
          await sleep(BROKER_DOWN_MS)
          const downMs = performance.now() - tk
          await k.restart(node, [c.topics.swaps, c.topics.state, c.topics.stats, c.topics.dlq], 300_000)
          const backMs = performance.now() - tk - downMs
          summary.brokerKills.push({ node, role, downMs: Math.round(downMs), backMs: Math.round(backMs) })
          log(`broker ${node} back, fully replicated after ${Math.round(backMs)} ms`)
          break
        }
        case 'zombie': {
          const p = await victim()
          p.signal('SIGSTOP')
          events.push({ at: Date.now(), fault, instance: p.instanceId })
          log(`SIGSTOP processor ${p.instanceId} for ${ZOMBIE_HOLD_MS} ms`)
          await sleep(ZOMBIE_HOLD_MS)
          p.signal('SIGCONT')
          summary.zombies++
          break
        }
        case 'postgres-restart': {
          await pg!.stop()
          events.push({ at: Date.now(), fault })
          log('Postgres stopped')
          await sleep(3000 + Math.floor(rnd() * 3000))
          await pg!.start()
          summary.postgresRestarts++
          log('Postgres started')
          break
        }
        case 'after-commit-before-checkpoint':
        case 'during-checkpoint-write': {
          // the victim restarts armed; its second checkpoint save kills it at the boundary
          const p = await victim()
          await killProcessor(p)
          // A checkpoint follows a commit, and a commit needs input: the producer, paced by the
          // faults, would hold it back until this fault is done (a deadlock of the test's own
          // pacing, seen at 50 s in one run). Let it trickle input while the failpoint is awaited.
          awaitingFailpoint = true
          // Once the whole stream is sent (the trickle can use it up), a checkpoint still needs
          // input: exact copies of swaps already sent, which the engine counts once (duplicates)
          // and the oracle is given too. Run 3 of this branch waited 300 s on a group at lag 0.
          const refilling = setInterval(() => {
            if (sent < inputs.length) return
            const copies = inputs.slice(refilled, refilled + 500).filter((i) => i.kind === 'swap' && i.record.blockTime <= now)
            refilled += 500
            refill.push(...copies)
            input.send(copies)
            void input.producer.flush().catch(() => {})
          }, 2000)
          let line: LogLine | undefined
          try {
            // An armed instance that exits before its failpoint is an exit of its own: recorded
            // like any other, and the instance is armed again (in one run the wait outlived it by
            // 300 s, since nothing restarts an instance the test expects to die)
            for (let attempt = 1; line === undefined; attempt++) {
              const armed = start(p.instanceId, { VOLUMER_TEST_FAILPOINT: `${fault}@2` })
              expectedExit.add(armed)
              const fired = armed.nextLine((l) => l.msg === 'test failpoint: SIGKILL', 300_000)
              fired.catch(() => {}) // its timeout still rejects the race below while the process lives
              line = await Promise.race([fired, armed.exited.then(() => undefined)])
              const code = await armed.exited
              if (line !== undefined) { expect(code, `${p.instanceId} killed by its failpoint`).to.equal(null); break }
              noteExit(p.instanceId, armed, code, ' (armed with a failpoint)')
              if (attempt >= 3) throw new Error(`${p.instanceId}: armed ${attempt} times, exited each time before its failpoint`)
              await sleep(1000)
            }
          } finally { awaitingFailpoint = false; clearInterval(refilling) }
          events.push({ at: Date.now(), fault, instance: p.instanceId })
          summary.failpointKills[fault] = (summary.failpointKills[fault] ?? 0) + 1
          summary.processorKills++
          log(`processor ${p.instanceId} SIGKILLed itself at ${fault} (partition ${String(line.partition ?? '?')}${line.statement !== undefined ? `, after its ${String(line.statement)}` : ''})`)
          start(p.instanceId)
          break
        }
      }
    }

    // producer: 60 chunks paced by the faults, so every fault lands while input still arrives
    const CHUNKS = 60
    const chunk = Math.ceil(inputs.length / CHUNKS)
    let done = 0
    let sent = 0
    const TRICKLE_MS = 2000
    let lastSend = 0
    const producing = (async () => {
      for (let j = 0; sent < inputs.length; j++) {
        while (done < Math.floor(j * faults.length / CHUNKS) && !(awaitingFailpoint && performance.now() - lastSend > TRICKLE_MS)) await sleep(50)
        lastSend = performance.now()
        input.send(inputs.slice(sent, sent + chunk))
        sent = Math.min(inputs.length, sent + chunk)
        await input.producer.flush()
        await sleep(200)
      }
    })()
    summary.load.push(await loadNow())
    for (const fault of faults) {
      await inject(fault)
      done++
      if (done % 5 === 0) summary.load.push(await loadNow())
    }
    await producing
    await input.close()
    log(`all ${inputs.length} inputs produced, all ${faults.length} faults injected`)

    await waitUntil(async () => (await Promise.all([...procs.values()].map(async (p) => await p.waitReady(5000).then(() => true, () => false)))).every(Boolean), 'every processor ready', 600_000, 1000)
    await c.waitCaughtUp(900_000)
    log('caught up')
    const caughtUpAt = performance.now()
    summary.load.push(await loadNow())
    for (const p of procs.values()) summary.aborts += await p.metric('volumer_processor_aborts_total').catch(() => 0)

    // evidence for the edge check below: how many tokens' stats still change after catch-up
    const before = await readStatsTopic(c)
    await sleep(10_000)
    const later = await readStatsTopic(c)
    summary.statsChangedAfterCatchUp = [...later].filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before.get(k))).length

    // The faults have stopped: every alert must resolve while the processors still run (the
    // restart alert last, PROM_RANGE after the last restart). Then they leave the targets before
    // their graceful stop, so the stop itself is not an outage.
    const activeAlerts = async (): Promise<string[]> => (await pr.alerts()).map((a) => `${a.labels.alertname}${JSON.stringify(Object.fromEntries(Object.entries(a.labels).filter(([k]) => !['alertname', 'job', 'severity'].includes(k))))} ${a.state} since ${a.activeAt}`)
    let active: string[] = []
    await waitUntil(async () => (active = await activeAlerts()).length === 0, 'every alert resolved', ALERTS_RESOLVE_MS, 1000)
      .then(() => { summary.alertsResolvedAfterCatchUp = Math.round((performance.now() - caughtUpAt) / 1000) }, () => { summary.alertsActive = active })
    log(summary.alertsActive.length === 0 ? `every alert resolved, ${summary.alertsResolvedAfterCatchUp} s after catch-up` : `alerts still active ${ALERTS_RESOLVE_MS / 1000} s after catch-up: ${summary.alertsActive.join('; ')}`)
    scrapeProcessors = false
    writeProcessorTargets()
    // a target that left service discovery has no `up` any more (the scrape manager applies file_sd within ~5 s)
    await waitUntil(async () => (await pr.query('up{job="volumer-processor"}')).length === 0, 'the processors out of the targets', 60_000, 1000).catch(() => {})

    stopping = true
    clearInterval(watchdog)
    const exitCodes: Record<string, number | null> = {}
    for (const p of procs.values()) { expectedExit.add(p); exitCodes[p.instanceId] = await p.stop(60_000) }

    // An edge on the same cluster must serve exactly the compacted stats topic. Only once the
    // processors stopped: until then every cycle advances the engines to the clock, and the 1m
    // and 5m windows of the stream's last swaps keep expiring (decay-only stats records), so a
    // copy of the topic read once can go stale while the edge follows it (a possible cause of
    // 2,000 and 1,993 edge "mismatches" in two runs, not shown: statsChangedAfterCatchUp counts it).
    edges = new EdgeFleet(c, { windows: WINDOWS })
    const edge = edges.start('edge')
    pr.targets('volumer-edge', `edge=127.0.0.1:${await edge.port()}`)
    await edge.waitReady(180_000)
    const topic = await readStatsTopic(c)
    const edgeMismatches = await waitTokensEqual(edge, topic, 180_000)
    summary.edgeMismatches = edgeMismatches.length

    // no transaction of this group left open once its processors stopped (aborts and commits complete)
    let open: string[] = []
    await waitUntil(async () => {
      const txs = await k.transactions()
      open = [...txs].filter(([id, state]) => id.startsWith(c.group) && !['Empty', 'CompleteCommit', 'CompleteAbort', 'Dead'].includes(state)).map(([id, s]) => `${id}: ${s}`)
      return open.length === 0
    }, 'no open transaction', 60_000, 2000).catch(() => {})
    summary.openTransactions = open

    // the edge's alert (if its catch-up took longer than PROM_FOR) must resolve too; then the
    // whole run's alert history from Prometheus's ALERTS series
    if (summary.alertsActive.length === 0) {
      await waitUntil(async () => (active = await activeAlerts()).length === 0, 'every alert resolved after the edge check', 120_000, 1000)
        .catch(() => { summary.alertsActive = active })
    }
    const stepS = Number.parseInt(PROM_INTERVAL)
    const history: AlertHistory[] = await pr.firingHistory(wall0, Date.now(), stepS)
    alertsReported = true
    const rel = (unixS: number): number => Math.round(unixS - wall0 / 1000)
    summary.alerts = history.map((h) => ({
      alert: h.labels.alertname,
      labels: Object.fromEntries(Object.entries(h.labels).filter(([k]) => !['alertname', 'job', 'severity'].includes(k))),
      firing: h.intervals.map(([a, b]) => [rel(a), rel(b)] as [number, number])
    })).sort((a, b) => a.firing[0][0] - b.firing[0][0])
    /** the faults followed by an alert on their instance within 60 s */
    const followedBy = (alert: string, fault: Fault): Array<{ instance: string, fault: number, firing: number }> => events.filter((e) => e.fault === fault).flatMap((e) => {
      const h = history.find((x) => x.labels.alertname === alert && x.labels.instance === e.instance && x.intervals.some(([a, b]) => b * 1000 >= e.at && a * 1000 <= e.at + 60_000))
      const iv = h?.intervals.find(([a, b]) => b * 1000 >= e.at && a * 1000 <= e.at + 60_000)
      return iv === undefined ? [] : [{ instance: e.instance!, fault: Math.round((e.at - wall0) / 1000), firing: rel(iv[0]) }]
    })
    const downAfterKill = followedBy('VolumerProcessorDown', 'processor-kill')
    const downAfterZombie = followedBy('VolumerProcessorDown', 'zombie')

    const oracle = oracleOf([...inputs, ...refill], parseWindowList(WINDOWS), now)
    summary.refill = refill.length
    const stats = await checkStatsAgainstOracle(c, oracle)
    const dlq = await checkDlq(c, inputs, now, input.encoder)
    // read_uncommitted sees what aborted transactions wrote; read_committed (checkDlq) must not
    const uncommitted = await readAll(c.log, c.topics.dlq, 'read_uncommitted')
    summary.tokens = stats.tokens
    summary.mismatches = stats.mismatches.length
    summary.dlq = { records: dlq.records, uncommitted: uncommitted.length, reasons: dlq.reasons, duplicates: dlq.duplicates.length, missing: dlq.missing.length, unexpected: dlq.unexpected.length }
    summary.seconds = Math.round((performance.now() - t0) / 1000)
    console.log(`      CHAOS SUMMARY ${JSON.stringify(summary)}`)
    console.log(`      alerts fired (s from the start: firing intervals): ${summary.alerts.map((a) => `${a.alert}${Object.keys(a.labels).length > 0 ? JSON.stringify(a.labels) : ''} ${a.firing.map(([x, y]) => `${x}–${y}`).join(', ')}`).join('; ')}; VolumerProcessorDown after a processor SIGKILL ${JSON.stringify(downAfterKill)}, after a zombie ${JSON.stringify(downAfterZombie)} (of ${events.filter((e) => e.fault === 'zombie').length}); all resolved ${summary.alertsActive.length === 0 ? `${summary.alertsResolvedAfterCatchUp} s after catch-up` : `NOT: ${summary.alertsActive.join('; ')}`}`)
    console.log(`      ${summary.processorKills} processor SIGKILLs (${summary.killsOfOwners} of a processor owning partitions and committing; ${JSON.stringify(summary.failpointKills)} by failpoint), ${summary.brokerKills.length} broker SIGKILLs (${summary.brokerKills.map((b) => `node ${b.node}, ${b.role}, back in ${(b.backMs / 1000).toFixed(1)} s`).join('; ')}), ${summary.zombies} zombies held ${ZOMBIE_HOLD_MS / 1000} s, ${summary.postgresRestarts} Postgres restart; ${inputs.length} inputs (+${refill.length} refill copies), ${stats.tokens} tokens, ${stats.mismatches.length} mismatches; DLQ ${dlq.records} records read_committed (${uncommitted.length} read_uncommitted) ${JSON.stringify(dlq.reasons)}; ${summary.aborts} aborted transactions in the last processors; stats records changed in 10 s after catch-up ${summary.statsChangedAfterCatchUp}; edge mismatches ${summary.edgeMismatches}${edgeMismatches.length > 0 ? ` (${edgeMismatches.slice(0, 2).join('; ')})` : ''}; open transactions ${open.length}; unexpected exits ${summary.unexpectedExits.length} ${JSON.stringify(summary.unexpectedExitReasons)}; ${summary.seconds} s; load ${summary.load.join(', ')}`)

    expect(summary.unexpectedExits, 'processors that exited on their own').to.deep.equal([])
    expect(Object.values(exitCodes), `exit codes of a graceful stop ${JSON.stringify(exitCodes)}`).to.deep.equal(INSTANCES.map(() => 0))
    // not true by construction: a kill counts only if its victim owned partitions and had committed
    expect(summary.killsOfOwners, 'SIGKILLs of a processor owning partitions and committing').to.be.at.least(PROCESSOR_KILLS)
    expect(summary.brokerKills.length).to.be.at.least(3)
    expect(summary.failpointKills).to.deep.equal({ 'after-commit-before-checkpoint': 1, 'during-checkpoint-write': 1 })
    expect(stats.mismatches, stats.mismatches.slice(0, 5).join('\n')).to.deep.equal([])
    expect(stats.tokens).to.equal(oracle.tokenKeys().length)
    expect(dlq.duplicates, 'source offsets twice in the DLQ').to.deep.equal([])
    expect(dlq.unexpected, 'DLQ records that match no bad input').to.deep.equal([])
    expect(dlq.missing, 'bad inputs missing from the DLQ').to.deep.equal([])
    expect(open, 'transactions left open').to.deep.equal([])
    expect(edgeMismatches, edgeMismatches.slice(0, 5).join('\n')).to.deep.equal([])
    // the alerts: what the faults must cause fired, and everything resolved once they stopped
    expect(downAfterKill, 'VolumerProcessorDown within 60 s of a processor SIGKILL, on its instance').to.not.deep.equal([])
    expect(summary.alerts.filter((a) => a.alert === 'VolumerProcessorRestarted'), 'VolumerProcessorRestarted fired').to.not.deep.equal([])
    expect(summary.alertsActive, 'alerts pending or firing after the faults stopped').to.deep.equal([])
  })
})
