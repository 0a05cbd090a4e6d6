/**
 * Prometheus (Debian's package, started by scripts/prometheus.sh on a private port) scraping real
 * processes: two `volumer processor`s and one `volumer edge` on a test cluster, and one embedded
 * `volumer run`. Targets are the script's file_sd files, with `instance` set to the process's
 * name so a restarted process keeps its series, as the compose stack's service names do.
 *
 * - The alert rules of redpanda/alerts.yml, in a copy whose `for:` and range windows are seconds
 *   instead of minutes (the expressions are otherwise the shipped ones), fire and resolve against
 *   real events: a processor SIGKILLed and restarted (VolumerProcessorDown, then
 *   VolumerProcessorRestarted), an edge SIGKILLed and restarted (VolumerEdgeNotReady), and a burst
 *   of undecodable records (VolumerDlqRateHigh).
 * - Every query of the Grafana dashboard (redpanda/grafana/dashboards/volumer.json) returns data
 *   through /api/v1/query once the test has caused what its panels count: swaps with duplicates,
 *   late and rejected records, HTTP 4xx, WebSocket errors and a rate-limited client, a processor
 *   restart (restores), and the embedded process for the "embedded" series.
 *
 * Needs `scripts/services.sh start` and the `prometheus` package (scripts/setup.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { expect } from 'chai'
import { REPO_ROOT } from '../helpers/sample-data.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { EdgeFleet, type EdgeProcess } from '../helpers/edge-process.js'
import { ProcessorFleet, type ProcessorProcess } from '../helpers/processor-process.js'
import { shippedRules, TestPrometheus, type Alert, type Sample } from '../helpers/prometheus.js'
import { buildStream, createInputProducer, type Input } from '../helpers/swap-stream.js'
import { TestClient } from '../edge/ws-client.js'

const WINDOWS = '1m,5m,1h,24h'
/** scrape and rule evaluation interval of the test's Prometheus */
const INTERVAL = '1s'
/** what the test copy of the rules uses for every `for:` and every range window */
const SHORT_FOR = '2s'
const SHORT_RANGE = '20s'

interface DashboardPanel { title: string, targets?: Array<{ expr: string, refId: string }> }

describe('Prometheus on real processors and edges (scripts/prometheus.sh, redpanda/alerts.yml)', function () {
  this.timeout(300_000)
  let cluster: TestCluster
  let processors: ProcessorFleet
  let edges: EdgeFleet
  let p2: ProcessorProcess
  let edge: EdgeProcess
  let embedded: ChildProcess | undefined
  let embeddedPort = 0
  let input: Awaited<ReturnType<typeof createInputProducer>>
  let prom: TestPrometheus | undefined
  const startedAt = Date.now()
  const script = (...args: string[]): string => prom!.script(...args)

  /** processors of other test clusters to scrape too (INSTANCE=HOST:PORT) */
  const extraProcessorTargets: string[] = []

  async function setProcessorTargets (): Promise<void> {
    const live = processors.all.filter(p => p.alive() || p === p2)
    script('targets', 'volumer-processor', ...await Promise.all(live.map(async p => `${p.instanceId}=127.0.0.1:${await p.metricsPort()}`)), ...extraProcessorTargets)
  }

  async function setEdgeTargets (): Promise<void> {
    script('targets', 'volumer-edge', `${edge.name}=127.0.0.1:${await edge.port()}`)
  }

  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => await prom!.api<T>(path, params)
  const query = async (expr: string): Promise<Sample[]> => await prom!.query(expr)
  const alert = async (name: string, labels: Record<string, string>): Promise<Alert | undefined> => await prom!.alert(name, labels)
  const waitAlert = async (name: string, labels: Record<string, string>, state: 'firing' | 'resolved', timeoutMs = 60_000): Promise<number> => await prom!.waitAlert(name, labels, state, timeoutMs)
  const targetsUp = async (job: string, instance: string): Promise<boolean> => await prom!.targetUp(job, instance)

  /** what the set-up was doing, named in its error: a CI failure here printed only "before all" */
  let step = 'start the test cluster'

  const diagnose = async (): Promise<string> => prom === undefined ? 'Prometheus not created' : await prom.diagnose()

  before(async () => {
    try {
      await setUp()
    } catch (err) {
      throw new Error(`set-up failed at "${step}": ${(err as Error).message}\n${await diagnose()}`)
    }
  })

  async function setUp (): Promise<void> {
    cluster = await createTestCluster({ name: 'prom', partitions: 3 })
    processors = new ProcessorFleet(cluster, { windows: WINDOWS, cycle: '100ms', checkpointInterval: '2s' })
    edges = new EdgeFleet(cluster, { windows: WINDOWS })
    const p1 = processors.start('p1')
    p2 = processors.start('p2')
    edge = edges.start('e1')
    prom = new TestPrometheus({ interval: INTERVAL, forDuration: SHORT_FOR, range: SHORT_RANGE })
    // the embedded mode, for the dashboard's "embedded" runtime series: slow generator, few tokens
    step = 'start the embedded volumer run'
    const run = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'volumer.js'), 'run', '--port', '0', '--data', join(prom.dir, 'embedded'),
      '--rate', '20', '--tokens', '50', '--log-level', 'warn'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
    embedded = run
    const dashboardUrl = new Promise<string>((resolve, reject) => {
      createInterface({ input: run.stdout! }).on('line', line => {
        const m = /Dashboard:\s+(http:\/\/\S+)/.exec(line)
        if (m !== null) resolve(m[1])
      })
      run.once('exit', code => reject(new Error(`volumer run exited (${String(code)}) before serving`)))
    })
    embeddedPort = Number(new URL(await dashboardUrl).port)
    step = 'wait for two processors and an edge to be ready'
    await Promise.all([p1.waitReady(), p2.waitReady(), edge.waitReady()])
    step = 'create the input producer'
    input = await createInputProducer(cluster, 5)

    step = 'scripts/prometheus.sh start'
    await prom.start()
    step = 'write the file_sd targets'
    await setProcessorTargets()
    await setEdgeTargets()
    script('targets', 'volumer-run', `embedded=127.0.0.1:${embeddedPort}`)
    // file_sd changes reach the scrape manager within ~5 s
    step = 'wait for all four targets to be up'
    await waitUntil(async () => (await query('sum(up)'))[0]?.value[1] === '4', 'all four targets up', 90_000, 250)
  }

  after(async () => {
    await input?.close()
    if (embedded !== undefined && embedded.exitCode === null) {
      const exited = new Promise(resolve => embedded!.once('exit', resolve))
      embedded.kill('SIGTERM')
      const killer = setTimeout(() => embedded?.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(killer)
    }
    await edges?.stopAll()
    await processors?.stopAll()
    await cluster?.close()
    prom?.close()
  })

  it('the test copy of the rules is the shipped one with only for: and range windows shortened', async () => {
    const groups = await api<{ groups: Array<{ rules: Array<{ name: string, query: string, type: string }> }> }>('/api/v1/rules')
    // the API lists groups by name; compare rule by rule name
    const loaded = new Map(groups.groups.flatMap(g => g.rules).map(r => [r.name, r.query]))
    const shipped = shippedRules()
    expect([...loaded.keys()].sort()).to.deep.equal(shipped.map(r => r.alert ?? r.record).sort())
    // Prometheus prints the parsed expression; compare shapes with whitespace and ranges removed
    const shape = (e: string): string => e.replace(/\[[^\]]+\]/g, '[]').replace(/\s+/g, '')
    for (const r of shipped) expect(shape(loaded.get(r.alert ?? r.record!)!), r.alert ?? r.record).to.equal(shape(r.expr))
  })

  it('VolumerProcessorDown fires when a processor is SIGKILLed and resolves after its restart; VolumerProcessorRestarted fires, then resolves', async () => {
    const id = { job: 'volumer-processor', instance: 'p2' }
    expect(await alert('VolumerProcessorDown', id)).to.equal(undefined)
    await p2.kill()
    const firing = await waitAlert('VolumerProcessorDown', id, 'firing')
    p2 = processors.start('p2')
    await p2.metricsPort()
    await setProcessorTargets()
    const resolved = await waitAlert('VolumerProcessorDown', id, 'resolved')
    // resolved by the new process answering, not by the old target leaving service discovery
    await waitUntil(async () => await targetsUp('volumer-processor', 'p2'), 'the restarted p2 scraped', 30_000, 250)
    expect(await alert('VolumerProcessorDown', id)).to.equal(undefined)
    await p2.waitReady()
    await waitAlert('VolumerProcessorRestarted', id, 'firing', 10_000)
    const restartedOver = await waitAlert('VolumerProcessorRestarted', id, 'resolved')
    expect(await alert('VolumerProcessorDown', { instance: 'p1' })).to.equal(undefined)
    console.log(`      p2 SIGKILLed: VolumerProcessorDown firing after ${firing.toFixed(1)} s (for: ${SHORT_FOR}); restarted: resolved after ${resolved.toFixed(1)} s (new port through file_sd); VolumerProcessorRestarted over ${restartedOver.toFixed(1)} s later (window ${SHORT_RANGE})`)
  })

  it('VolumerEdgeNotReady fires when the edge is SIGKILLed and resolves when a new one has caught up', async () => {
    const id = { job: 'volumer-edge', instance: 'e1' }
    expect(await alert('VolumerEdgeNotReady', id)).to.equal(undefined)
    await edge.kill()
    const firing = await waitAlert('VolumerEdgeNotReady', id, 'firing')
    edge = edges.start('e1')
    await edge.waitReady()
    await setEdgeTargets()
    const resolved = await waitAlert('VolumerEdgeNotReady', id, 'resolved')
    await waitUntil(async () => await targetsUp('volumer-edge', 'e1'), 'the new e1 scraped', 30_000, 250)
    expect((await query('volumer_edge_ready{instance="e1"}'))[0]?.value[1]).to.equal('1')
    expect(await alert('VolumerEdgeNotReady', id)).to.equal(undefined)
    console.log(`      e1 SIGKILLed: VolumerEdgeNotReady firing after ${firing.toFixed(1)} s; a new e1 ready: resolved after ${resolved.toFixed(1)} s`)
  })

  it('VolumerDlqRateHigh fires while a producer sends undecodable records and resolves once they leave the window', async () => {
    // 15 records every 0.5 s for 10 s, as a broken producer would: rate() counts increases
    // between scrapes, so a reason's very first records (its series appearing already counted)
    // are not seen, a stream of them is
    const id = { reason: 'UNDECODABLE' }
    let n = 0
    const t0 = performance.now()
    let firing = -1
    for (let batch = 0; batch < 20; batch++) {
      const bad: Input[] = []
      for (let i = 0; i < 15; i++, n++) {
        const b = Buffer.alloc(5)
        b[0] = 7 // not the Confluent wire format's magic byte 0
        b.writeInt32BE(n, 1)
        bad.push({ kind: 'bad', key: `dlqtest:t${n % 3}`, value: b, reason: 'UNDECODABLE' })
      }
      input.send(bad)
      await input.producer.flush()
      if (firing < 0 && (await alert('VolumerDlqRateHigh', id))?.state === 'firing') firing = (performance.now() - t0) / 1000
      await sleep(500)
    }
    if (firing < 0) {
      await waitAlert('VolumerDlqRateHigh', id, 'firing', 30_000)
      firing = (performance.now() - t0) / 1000
    }
    const resolved = await waitAlert('VolumerDlqRateHigh', id, 'resolved')
    console.log(`      ${n} undecodable records over 10 s: VolumerDlqRateHigh{reason="UNDECODABLE"} firing ${firing.toFixed(1)} s after the first, resolved ${resolved.toFixed(1)} s after the last`)
  })

  it('VolumerConsumerLagGrowing fires while a live processor falls behind its input and resolves when the lag shrinks', async () => {
    // a processor of its own cluster that commits one record per transaction (--max-cycle-records
    // 1): alive, answering scrapes, reporting its lag every 5 s, and far slower than 500 swaps/s
    const slowCluster = await createTestCluster({ name: 'prom-slow', partitions: 1 })
    const slowFleet = new ProcessorFleet(slowCluster, { windows: WINDOWS, maxCycleRecords: 1 })
    const slowInput = await createInputProducer(slowCluster, 5)
    try {
      const slow = slowFleet.start('slow')
      await slow.waitReady()
      extraProcessorTargets.push(`slow=127.0.0.1:${await slow.metricsPort()}`)
      await setProcessorTargets()
      await waitUntil(async () => await targetsUp('volumer-processor', 'slow'), 'the slow processor scraped', 60_000, 250)
      const id = { partition: '0' }
      expect(await alert('VolumerConsumerLagGrowing', id)).to.equal(undefined)
      const t0 = performance.now()
      let firing = -1
      let n = 0
      // 50 swaps every 0.1 s until the alert fires (at most 60 s)
      while (firing < 0 && performance.now() - t0 < 60_000) {
        const batch: Input[] = []
        for (let i = 0; i < 50; i++, n++) {
          batch.push({
            kind: 'swap', key: 'lagtest:tok',
            record: { id: `lag-${n}`, chain: 'lagtest', token: 'tok', blockNumber: 1000 + n, logIndex: 0, blockTime: Date.now() - 2000, quoteToken: null, pool: null, trader: `0xt${n % 5}`, side: 'BUY', amount: '1', amountUsd: '2' }
          })
        }
        slowInput.send(batch)
        await sleep(100)
        if (n % 1000 === 0 && (await alert('VolumerConsumerLagGrowing', id))?.state === 'firing') firing = (performance.now() - t0) / 1000
      }
      await slowInput.producer.flush()
      expect(firing, `VolumerConsumerLagGrowing not firing after ${n} swaps; lag ${JSON.stringify(await query('volumer:processor_consumer_lag:max_by_partition'))}`).to.be.greaterThan(0)
      const lagAtFiring = Number((await query('volumer:processor_consumer_lag:max_by_partition{partition="0"}'))[0]?.value[1])
      // input stopped: the lag shrinks (slowly), deriv turns negative and the alert resolves
      const resolved = await waitAlert('VolumerConsumerLagGrowing', id, 'resolved', 90_000)
      console.log(`      ${n} swaps at ~500/s to a processor committing one record per transaction: VolumerConsumerLagGrowing firing after ${firing.toFixed(1)} s (lag ${lagAtFiring}), resolved ${resolved.toFixed(1)} s after the input stopped`)
    } finally {
      // out of the targets before it dies, so no VolumerProcessorDown follows it into later tests
      extraProcessorTargets.length = 0
      await setProcessorTargets()
      await waitUntil(async () => (await query('up{instance="slow"}')).length === 0, 'the slow processor out of the targets', 60_000, 250).catch(() => {})
      await slowInput.close()
      await slowFleet.killAll()
      await slowCluster.close()
    }
  })

  it('every query of the Grafana dashboard returns data', async () => {
    // what the panels count: swaps with duplicates, late (LATE) and rejected records (DLQ by reason)
    const now = Date.now()
    const inputs = buildStream({ swaps: 3000, tokens: 40, seed: 23, now, badEvery: 500 })
    input.send(inputs)
    await input.producer.flush()
    await cluster.waitCaughtUp(120_000)
    // HTTP: answers and a 4xx; WebSocket: a subscription, protocol errors, then a client flooding
    // past the rate limit is dropped (reason rate_limit)
    for (const path of ['/v1/top?stat=volumeUsd&window=5m&limit=5', '/readyz', '/openapi.json', '/v1/top?stat=nope&window=5m']) await edge.get(path)
    const client = await TestClient.open(await edge.port())
    client.send({ op: 'subscribe', id: 1, top: { stat: 'txns', window: '5m', limit: 5, order: 'desc' } })
    await client.next(m => m.type === 'snapshot', 20_000)
    for (let i = 0; i < 100; i++) client.send(`not json ${i}`)
    await waitUntil(() => client.closed !== null, 'the flooding client closed', 20_000)
    // a restart: restores the restore panels count within the query window
    await p2.stop()
    p2 = processors.start('p2')
    await p2.waitReady()
    await setProcessorTargets()
    await waitUntil(async () => await targetsUp('volumer-processor', 'p2'), 'the restarted p2 scraped', 60_000, 250)
    // each condition's last state goes into the message: a CI run (12-08) timed out here after
    // 60 s on a loaded machine without saying which one was missing
    const last = { wsDropped: false, consumerLag: false, restores: false }
    try {
      await waitUntil(async () => {
        last.wsDropped = (await query('sum(volumer_edge_ws_dropped_total)'))[0]?.value[1] !== undefined
        last.consumerLag = (await query('count(volumer_processor_consumer_lag)')).length > 0
        last.restores = Number((await query('sum(increase(volumer_processor_restore_duration_seconds_count[5m]))'))[0]?.value[1] ?? 0) > 0
        return last.wsDropped && last.consumerLag && last.restores
      }, 'the last events scraped', 120_000, 500)
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}\n${await prom!.diagnose()}`)
    }
    await sleep(2000)

    // Grafana's $__rate_interval, here: the whole test so far, so every event above is inside it
    const range = `${Math.ceil((Date.now() - startedAt) / 1000) + 5}s`
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'redpanda', 'grafana', 'dashboards', 'volumer.json'), 'utf8')) as { panels: DashboardPanel[] }
    const empty: string[] = []
    let count = 0
    for (const panel of dashboard.panels) {
      for (const t of panel.targets ?? []) {
        count++
        const expr = t.expr.replaceAll('$__rate_interval', range)
        const result = await query(expr)
        // a series whose every value is NaN (a quantile of nothing) is no data on a chart
        if (!result.some(s => Number.isFinite(Number(s.value[1])))) empty.push(`"${panel.title}" ${t.refId}: ${expr} → ${JSON.stringify(result)}`)
      }
    }
    expect(count, 'queries in the dashboard').to.be.greaterThan(30)
    expect(empty, 'dashboard queries without data').to.deep.equal([])
    await client.close()
    console.log(`      ${count} dashboard queries, each with data (range ${range})`)
  })
})
