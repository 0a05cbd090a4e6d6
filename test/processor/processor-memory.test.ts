import { expect } from 'chai'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { LogError } from '../../src/log/log-errors.js'
import { overrideMethods, wrapLog } from '../helpers/log-wrap.js'
import { createPgliteCheckpointStore } from '../../src/store/pglite-checkpoint-store.js'
import type { CheckpointStore } from '../../src/store/checkpoint-store.js'
import { VolumerError } from '../../src/errors.js'
import { createInProcessSchemaRegistry, createStatsDecoder } from '../../src/codec/index.js'
import { createProcessor } from '../../src/processor/processor.js'
import { createProcessorMetrics } from '../../src/processor/processor-metrics.js'
import { createManualClock } from '../../src/clock.js'
import { parseWindowList } from '../../src/engine/windows.js'
import { parseSwapJson } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { Oracle } from '../engine/oracle.js'
import { applyTestTopology, readLatest, readAll, sampleLines } from '../helpers/log-fixture.js'
import { strip } from '../helpers/swap-stream.js'

/**
 * The processor on the in-process log, PGlite and the in-process registry: the same code the
 * embedded mode runs. The compacted view of `stats` must equal the brute-force oracle.
 */
describe('processor on the in-process log', function () {
  this.timeout(120_000)

  async function waitFor (cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
    const until = Date.now() + ms
    while (!(await cond())) {
      if (Date.now() > until) throw new Error('timed out waiting for ' + what)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** the in-process log, registry and PGlite, the first `count` sample lines, a clock 1 s after the last swap */
  async function fixture (count: number) {
    const log = createMemoryLog()
    await applyTestTopology(log, '', 4)
    const registry = await createInProcessSchemaRegistry()
    const store = await createPgliteCheckpointStore()
    const windows = parseWindowList('1m,5m,1h,24h')
    const lines = sampleLines().slice(0, count)
    const swaps = lines.map((l) => parseSwapJson(l)).filter((s) => !isSwapReject(s))
    const end = Math.max(...swaps.map((s) => (s as { blockTime: number }).blockTime))
    return { log, registry, store, windows, lines, end, clock: createManualClock(end + 1000) }
  }

  /** the compacted view of `stats`, decoded */
  async function statsOnLog (log: ReturnType<typeof createMemoryLog>, registry: Awaited<ReturnType<typeof createInProcessSchemaRegistry>>): Promise<Map<string, StatsObject>> {
    const decoder = createStatsDecoder(registry)
    const got = new Map<string, StatsObject>()
    for (const [k, v] of await readLatest(log, 'stats')) if (v !== null) got.set(k, await decoder.decodeAsync(v))
    return got
  }

  it('produces stats equal to the oracle, with duplicates, disorder and bad records, and resumes after a restart without double counting', async () => {
    const { log, registry, store, windows, lines, end, clock } = await fixture(3000)

    // input: every swap, 10% sent twice, in reverse block order, plus junk
    const producer = await log.createProducer()
    const sent: string[] = []
    for (let i = lines.length - 1; i >= 0; i--) {
      const o = JSON.parse(lines[i]) as { chain: string, token: string }
      const key = Buffer.from(o.chain + ':' + o.token)
      producer.send({ topic: 'swaps', key, value: Buffer.from(lines[i]) })
      sent.push(lines[i])
      if (i % 10 === 0) { producer.send({ topic: 'swaps', key, value: Buffer.from(lines[i]) }); sent.push(lines[i]) }
    }
    producer.send({ topic: 'swaps', key: Buffer.from('x:y'), value: Buffer.from('{not json') })
    producer.send({ topic: 'swaps', key: Buffer.from('x:y'), value: Buffer.from('{"id":"a","chain":"x","token":"y","side":"HOLD"}') })
    producer.send({ topic: 'swaps', key: Buffer.from('x:y'), value: Buffer.from([7, 1, 2, 3]) })
    await producer.flush()

    const metricsRegistry = new Registry()
    const metrics = createProcessorMetrics(metricsRegistry)
    const logger = pino({ level: 'warn' })
    const proc = createProcessor({ log, store, registry, logger, metrics, clock, windows, transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 0 })
    const running = proc.run()
    await proc.ready
    const consumed = async (): Promise<boolean> => {
      const admin = await log.createAdmin()
      try {
        const ends = await admin.offsets('swaps')
        const total = ends.reduce((a, o) => a + o.high, 0)
        return (await metricsRegistry.getSingleMetricAsString('volumer_processor_swaps_in_total')).includes(' ' + total)
      } finally { await admin.close() }
    }
    await waitFor(consumed, 'all swaps consumed')
    await proc.stop(); await running

    const oracle = new Oracle(windows, 60_000, end + 1000)
    for (const l of sent) { const s = parseSwapJson(l); if (!isSwapReject(s)) oracle.ingest(s) }
    oracle.advance(clock.now())
    const want = new Map<string, StatsObject>(oracle.statsAll().map((s) => [s.chain + ':' + s.token, s]))
    const got = await statsOnLog(log, registry)
    expect(got.size, 'tokens on stats').to.equal(want.size)
    for (const [k, w] of want) expect(strip(got.get(k)!), k).to.deep.equal(strip(w))

    // restart: the engines restored from the checkpoint + changelog must equal the oracle (not
    // count anything twice, nor lose what the checkpoint held); the stats topic alone cannot
    // show it, as it still holds the values written before the restart
    clock.advance(1500)
    expect(await restoredDiff({ log, store, registry, windows, clock }, sent)).to.equal('')

    const dlq = await readAll(log, 'swaps-dlq')
    expect(dlq.map((r) => r.headers?.['volumer.reason']?.toString()).sort()).to.deep.equal(['INVALID_JSON', 'MISSING_FIELD', 'UNDECODABLE'])
    await store.close()
    await log.close()
  })

  /**
   * Starts a processor on the fixture's log and store, lets it restore every partition, and
   * compares its engines with the oracle over `lines` at the clock's time ('' when equal, else
   * the first difference). Restores are checked on the engines, not on the stats topic, which
   * still holds what was written before the restart.
   */
  async function restoredDiff (f: Pick<Fixture, 'log' | 'store' | 'registry' | 'windows' | 'clock'>, lines: string[], logger: pino.Logger = pino({ level: 'silent' })): Promise<string> {
    const proc = createProcessor({ log: f.log, store: f.store, registry: f.registry, logger, metrics: createProcessorMetrics(new Registry()), clock: f.clock, windows: f.windows, transactionalId: 'restored', cycleMs: 20, checkpointIntervalMs: 3_600_000 })
    const running = proc.run()
    let restored: StatsObject[]
    try {
      await proc.ready
      restored = proc.assigned().flatMap((part) => proc.engineOf(part)!.allStats())
    } finally {
      await proc.stop()
      await running
    }
    const oracle = new Oracle(f.windows, 60_000, f.clock.now())
    for (const l of lines) { const sw = parseSwapJson(l); if (!isSwapReject(sw)) oracle.ingest(sw) }
    const key = (x: StatsObject): string => x.chain + ':' + x.token
    const want = new Map(oracle.statsAll().map((x) => [key(x), JSON.stringify(strip(x))]))
    const got = new Map(restored.map((x) => [key(x), JSON.stringify(strip(x))]))
    if (got.size !== want.size) return `${got.size} tokens restored, oracle has ${want.size}`
    for (const [k, w] of want) if (got.get(k) !== w) return `${k}: restored ${got.get(k) ?? 'nothing'}, oracle ${w}`
    return ''
  }

  /** stats on the log vs the oracle over `lines`, ignoring asOf/from/to; '' when equal */
  async function statsDiff (log: ReturnType<typeof createMemoryLog>, registry: Awaited<ReturnType<typeof createInProcessSchemaRegistry>>, lines: string[], windows: ReturnType<typeof parseWindowList>, at: number): Promise<string> {
    const oracle = new Oracle(windows, 60_000, at)
    for (const l of lines) { const s = parseSwapJson(l); if (!isSwapReject(s)) oracle.ingest(s) }
    const want = new Map<string, StatsObject>(oracle.statsAll().map((s) => [s.chain + ':' + s.token, s]))
    const got = await statsOnLog(log, registry)
    const same = (a: StatsObject, b: StatsObject): boolean => JSON.stringify(strip(a)) === JSON.stringify(strip(b))
    if (got.size !== want.size) return `${got.size} tokens on stats, oracle has ${want.size}`
    for (const [k, w] of want) if (got.get(k) === undefined || !same(got.get(k)!, w)) return `${k} differs`
    return ''
  }

  type Fixture = Awaited<ReturnType<typeof fixture>>

  /** sends sample lines to `swaps`, keyed chain:token, through one producer, and flushes */
  async function lineSender (log: Fixture['log']): Promise<(some: string[]) => Promise<void>> {
    const producer = await log.createProducer()
    return async (some) => {
      for (const l of some) {
        const o = JSON.parse(l) as { chain: string, token: string }
        producer.send({ topic: 'swaps', key: Buffer.from(o.chain + ':' + o.token), value: Buffer.from(l) })
      }
      await producer.flush()
    }
  }

  /**
   * Waits until the stats on the log equal the oracle over `some`. A cycle commits once the
   * (manual) clock has moved a cycle on: compare at the current time, and move the clock only
   * when the stats are not there yet.
   */
  async function counted (f: Fixture, some: string[], what: string): Promise<void> {
    let diff = ''
    await waitFor(async () => {
      if ((diff = await statsDiff(f.log, f.registry, some, f.windows, f.clock.now())) === '') return true
      f.clock.advance(20)
      return false
    }, what).catch((err: Error) => { throw new Error(err.message + ': ' + diff) })
  }

  /** the value of an unlabelled counter or gauge (0 when absent) */
  async function metricValue (r: Registry, name: string): Promise<number> {
    return Number(/ ([0-9.e+-]+)$/m.exec(await r.getSingleMetricAsString(name))?.[1] ?? 0)
  }

  /** a logger at info that keeps every line it writes, parsed */
  function keptLogger (): { logger: pino.Logger, lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = []
    return { logger: pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } }), lines }
  }

  it('survives being fenced (its transaction timed out while frozen) by starting a new producer, and exits when fenced again and again', async () => {
    const f = await fixture(2000)
    const { log, registry, store, windows, lines, clock } = f
    const send = await lineSender(log)
    const metricsRegistry = new Registry()
    const metrics = createProcessorMetrics(metricsRegistry)
    const counter = async (name: string): Promise<number> => await metricValue(metricsRegistry, name)
    const proc = createProcessor({ log, store, registry, logger: pino({ level: 'silent' }), metrics, clock, windows, transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 0 })
    let failure: unknown
    const running = proc.run().catch((err: unknown) => { failure = err })
    const intruders: Array<{ close: () => Promise<void> }> = []
    try {
      await proc.ready
      await send(lines.slice(0, 1000))
      await counted(f, lines.slice(0, 1000), 'the first half counted')
      // what the coordinator does to a transaction that outlived transaction.timeout.ms: a new
      // epoch for the id; the processor's next transaction fails with FENCED
      intruders.push(await log.createTransactionalProducer({ transactionalId: 'p1' }))
      await send(lines.slice(1000))
      await counted(f, lines, 'everything counted once after the new producer took over')
      expect(failure, 'the processor kept running').to.equal(undefined)
      expect(await counter('volumer_processor_fences_total')).to.equal(1)

      // another live instance with the same id would fence it over and over: exit, do not fight
      for (let i = 0; i < 5 && failure === undefined; i++) {
        intruders.push(await log.createTransactionalProducer({ transactionalId: 'p1' }))
        await send(lines.slice(i, i + 1))
        await waitFor(() => { clock.advance(20); return failure !== undefined || counter('volumer_processor_fences_total').then((n) => n === i + 2) }, `fence ${i + 2}`)
      }
      await running
      expect(failure, 'the processor gave up').to.be.instanceOf(Error)
      expect((failure as { code?: string }).code).to.equal('FENCED')
      expect((failure as Error).message).to.match(/another processor/)
      expect(await counter('volumer_processor_fences_total')).to.equal(3)
    } finally {
      await proc.stop().catch(() => {})
      await running
      for (const p of intruders) await p.close().catch(() => {})
      await store.close()
      await log.close()
    }
  })

  it('with --standby, a processor keeps copies of the partitions it does not own and takes them over from those copies, exactly', async () => {
    const f = await fixture(3000)
    const { log, registry, store, windows, lines, clock } = f
    const send = await lineSender(log)
    // B's log lines, to see where its restores came from
    const { logger: bLogger, lines: bLines } = keptLogger()
    const bMetrics = new Registry()
    const a = createProcessor({ log, store, registry, logger: pino({ level: 'silent' }), metrics: createProcessorMetrics(new Registry()), clock, windows, transactionalId: 'pa', cycleMs: 20, checkpointIntervalMs: 0, standby: true })
    const b = createProcessor({ log, store, registry, logger: bLogger, metrics: createProcessorMetrics(bMetrics), clock, windows, transactionalId: 'pb', cycleMs: 20, checkpointIntervalMs: 0, standby: true })
    const runningA = a.run()
    let runningB: Promise<void> | undefined
    try {
      await a.ready
      await send(lines.slice(0, 1000))
      await counted(f, lines.slice(0, 1000), 'the first third counted by A')
      runningB = b.run()
      await b.ready
      await waitFor(() => a.assigned().length === 2 && b.assigned().length === 2, 'A and B sharing the 4 partitions')
      // B's copies of A's two partitions are loaded and follow A's changelog
      await waitFor(async () => await metricValue(bMetrics, 'volumer_processor_standby_partitions') === 2, 'B holding copies of A\'s partitions')
      await send(lines.slice(1000, 2000))
      await counted(f, lines.slice(0, 2000), 'the second third counted by both')
      // A leaves: B takes A's partitions over from its copies
      await a.stop()
      await runningA
      await waitFor(() => b.assigned().length === 4, 'B owning every partition')
      const restored = bLines.filter((l) => l.msg === 'partition restored')
      expect(restored.filter((l) => l.standby === true).map((l) => l.partition).sort(), 'partitions B restored from its copies').to.have.length(2)
      // no copy fell back, and the re-base on the newest checkpoint (latestInfo) worked
      expect(bLines.filter((l) => (l.level as number) >= 40).map((l) => l.msg), 'warnings in B\'s log').to.deep.equal([])
      await send(lines.slice(2000))
      await counted(f, lines, 'everything counted once after the takeover')
    } finally {
      await a.stop().catch(() => {})
      await b.stop().catch(() => {})
      await runningA.catch(() => {})
      await runningB?.catch(() => {})
      await store.close()
      await log.close()
    }
  })

  it('carries a cycle refused by a rebalance (sendOffsets: REBALANCE_IN_PROGRESS) into the next transaction instead of rebuilding its partitions, exactly', async () => {
    const f = await fixture(2000)
    const { log, registry, store, windows, lines, clock } = f
    // what Kafka answers when the group's generation moved on under an open transaction
    // (ILLEGAL_GENERATION): the next sendOffsets calls are refused while `refusals` lasts
    let refusals = 0
    let refused = 0
    const flaky = wrapLog(log, {
      createTransactionalProducer: async (o) => {
        const real = await log.createTransactionalProducer(o)
        return {
          begin: async () => await real.begin(),
          send: (r) => real.send(r),
          sendOffsets: async (offsets, group) => {
            if (refusals > 0) { refusals--; refused++; throw new LogError('REBALANCE_IN_PROGRESS', 'Specified group generation id is not valid', { abortable: true, retriable: true }) }
            await real.sendOffsets(offsets, group)
          },
          commit: async () => await real.commit(),
          abort: async () => await real.abort(),
          close: async () => await real.close()
        }
      }
    })
    const send = await lineSender(log)
    const { logger, lines: logLines } = keptLogger()
    const metricsRegistry = new Registry()
    const counter = async (name: string): Promise<number> => await metricValue(metricsRegistry, name)
    const proc = createProcessor({ log: flaky, store, registry, logger, metrics: createProcessorMetrics(metricsRegistry), clock, windows, transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 0 })
    const running = proc.run()
    try {
      await proc.ready
      await send(lines.slice(0, 1000))
      await counted(f, lines.slice(0, 1000), 'the first half counted')
      const restores = logLines.filter((l) => l.msg === 'partition restored').length
      // three cycles in a row refused, with swaps, DLQ-free decay and changelog records in them
      refusals = 3
      await send(lines.slice(1000))
      await counted(f, lines, 'everything counted once')
      expect(refused, 'sendOffsets calls refused').to.equal(3)
      expect(await counter('volumer_processor_rebalance_carries_total')).to.equal(3)
      expect(logLines.filter((l) => l.msg === 'partition restored').length, 'partitions restored again (a rebuild)').to.equal(restores)
      // the changelog and checkpoints hold every counted swap once: a restarted processor's
      // engines give the oracle's numbers
      await proc.stop()
      await running
      expect(await restoredDiff(f, lines)).to.equal('')
    } finally {
      await proc.stop().catch(() => {})
      await running.catch(() => {})
      await store.close()
      await log.close()
    }
  })
  it('skips a checkpoint whose changelog offsets cannot be read (a broker down) and takes it later, without failing', async () => {
    const f = await fixture(2000)
    const { log, registry, store, windows, lines, clock } = f
    // what librdkafka answered in the chaos test while a partition had no leader, then while a
    // broker was dead (issue #23): the next `failing` reads of the changelog's offsets are refused
    let failing = 0
    let refused = 0
    const errors = [
      new LogError('LOG_ERROR', 'list offsets: Local: No such entry (-156)'),
      new LogError('BROKER_UNAVAILABLE', 'list offsets: Local: Timed out (-185)', { retriable: true }),
      new LogError('BROKER_UNAVAILABLE', 'describe topic: Local: Timed out (-185)', { retriable: true })
    ]
    const flaky = wrapLog(log, {
      createAdmin: async () => {
        const real = await log.createAdmin()
        return overrideMethods(real, {
          offsets: async (...args) => {
            // the changelog's (the checkpoint's read), not the lag sample's of `swaps`
            if (failing > 0 && args[0] !== 'swaps') { failing--; throw errors[refused++ % errors.length] }
            return await real.offsets(...args)
          }
        })
      }
    })
    const send = await lineSender(log)
    const { logger, lines: logLines } = keptLogger()
    const metricsRegistry = new Registry()
    const proc = createProcessor({ log: flaky, store, registry, logger, metrics: createProcessorMetrics(metricsRegistry), clock, windows, transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 0 })
    let failed: unknown
    const running = proc.run().catch((err: unknown) => { failed = err })
    try {
      await proc.ready
      failing = 6
      // input a little at a time, so cycles keep committing and checkpoints keep coming due (a
      // checkpoint is tried after a commit); a cycle commits once the manual clock moved a cycle on
      let sent = 0
      await waitFor(async () => {
        if (failing === 0 || failed !== undefined) return true
        if (sent < 1000) { await send(lines.slice(sent, sent + 25)); sent += 25 }
        clock.advance(20)
        return false
      }, 'the failing offset reads to be used up', 30_000)
      expect(failed, 'the processor failed').to.equal(undefined)
      await send(lines.slice(sent))
      await counted(f, lines, 'everything counted once')
      expect(failed, 'the processor failed').to.equal(undefined)
      expect(await metricValue(metricsRegistry, 'volumer_processor_checkpoint_failures_total')).to.equal(6)
      expect(logLines.filter((l) => l.msg === 'checkpoint skipped: changelog offsets unavailable; will retry at the next interval').length).to.equal(6)
      // later checkpoints were stored, and they restore exactly
      await proc.stop()
      await running
      expect(failed, 'the processor failed').to.equal(undefined)
      for (let p = 0; p < 4; p++) expect(await store.latestInfo('volumer', p), `checkpoint of partition ${p}`).to.not.equal(null)
      expect(await restoredDiff(f, lines)).to.equal('')
    } finally {
      await proc.stop().catch(() => {})
      await running
      await store.close()
      await log.close()
    }
  })

  it('restores from a checkpoint plus the DELTA records written after it, exactly', async () => {
    const f = await fixture(3000)
    const { log, registry, store, windows, lines, clock } = f
    const send = await lineSender(log)
    // A graceful stop checkpoints every partition, which would leave nothing to replay: its
    // saves are refused, as when the processor dies (or Postgres is down) before it checkpoints.
    let refuseSaves = false
    const dying: CheckpointStore = {
      migrate: async () => await store.migrate(),
      save: async (cp) => { if (refuseSaves) throw new VolumerError('STORE_UNAVAILABLE', 'refused: the processor died'); await store.save(cp) },
      latest: async (g, part) => await store.latest(g, part),
      latestInfo: async (g, part) => await store.latestInfo(g, part),
      close: async () => await store.close()
    }
    // checkpoints once an hour of the (manual) clock: each partition's first commit checkpoints
    // (it has none yet), every later cycle leaves its swaps as DELTAs on the changelog only
    const proc = createProcessor({ log, store: dying, registry, logger: pino({ level: 'silent' }), metrics: createProcessorMetrics(new Registry()), clock, windows, transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 3_600_000 })
    const running = proc.run()
    try {
      await proc.ready
      await send(lines.slice(0, 500))
      await counted(f, lines.slice(0, 500), 'the first batch counted (and checkpointed)')
      for (let i = 500; i < lines.length; i += 500) {
        await send(lines.slice(i, i + 500))
        await counted(f, lines.slice(0, i + 500), `lines up to ${i + 500} counted`)
      }
    } finally {
      refuseSaves = true
      await proc.stop()
      await running
    }
    const { logger, lines: logLines } = keptLogger()
    clock.advance(1000)
    expect(await restoredDiff(f, lines, logger)).to.equal('')
    // the restore really replayed DELTAs: changelog records after every partition's checkpoint
    const restores = logLines.filter((l) => l.msg === 'partition restored')
    expect(restores).to.have.length(4)
    for (const r of restores) {
      expect(r.checkpointOffset, `partition ${String(r.partition)} restored from a checkpoint`).to.be.a('number')
      expect(r.changelogRecords as number, `partition ${String(r.partition)} replayed changelog records`).to.be.greaterThan(0)
    }
    await store.close()
    await log.close()
  })
})
