/**
 * The processor's cycle loop gives the event loop a turn between slices of its work (issue #20:
 * /healthz p99 < 20 ms in `volumer run`, where the edge shares the processor's thread). Asserted
 * on the order of events, not on time (a timed test would be flaky on a shared machine): with a
 * 0 ms slice, a setImmediate ticker must run between two partitions' drains of one cycle and
 * inside a large batch; with an endless slice (the control) it does not.
 */
import { expect } from 'chai'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { createPgliteCheckpointStore } from '../../src/store/pglite-checkpoint-store.js'
import { createInProcessSchemaRegistry } from '../../src/codec/index.js'
import { createProcessor } from '../../src/processor/processor.js'
import { createProcessorMetrics } from '../../src/processor/processor-metrics.js'
import { createLoopTurns } from '../../src/processor/loop-turns.js'
import { createManualClock } from '../../src/clock.js'
import { parseWindowList } from '../../src/engine/windows.js'
import { createSwapGenerator, swapRecordToJson } from '../../src/generator/index.js'
import { applyTestTopology } from '../helpers/log-fixture.js'

describe('processor cycle loop: turns of the event loop', function () {
  this.timeout(120_000)

  const START = Date.UTC(2026, 11, 8)

  /** runs a processor over `swaps` generated swaps sent at once; the events it and a ticker logged */
  async function trace (loopSliceMs: number, swaps: number): Promise<string[]> {
    const log = createMemoryLog()
    await applyTestTopology(log, '', 4)
    const registry = await createInProcessSchemaRegistry()
    const store = await createPgliteCheckpointStore()
    const clock = createManualClock(START + 1000)
    const metricsRegistry = new Registry()
    const proc = createProcessor({
      log, store, registry, logger: pino({ level: 'silent' }), metrics: createProcessorMetrics(metricsRegistry), clock,
      windows: parseWindowList('1m,5m'), transactionalId: 'turns', cycleMs: 20, checkpointIntervalMs: 3_600_000, loopSliceMs
    })
    const running = proc.run()
    await proc.ready
    const events: string[] = []
    for (const p of proc.assigned()) {
      const engine = proc.engineOf(p)!
      const drain = engine.drain.bind(engine)
      engine.drain = (...args: Parameters<typeof drain>) => { events.push('drain'); return drain(...args) }
      const ingest = engine.ingest.bind(engine)
      engine.ingest = (...args: Parameters<typeof ingest>) => { events.push('ingest'); return ingest(...args) }
    }
    let ticking = true
    const tick = (): void => { if (!ticking) return; if (events.at(-1) !== 'tick') events.push('tick'); setImmediate(tick) }
    setImmediate(tick)
    const gen = createSwapGenerator({ seed: 3, tokens: 400, now: START })
    const producer = await log.createProducer()
    for (const r of gen.batch(START + 500, swaps)) producer.send({ topic: 'swaps', key: Buffer.from(r.chain + ':' + r.token), value: Buffer.from(swapRecordToJson(r)) })
    await producer.flush()
    const until = Date.now() + 60_000
    while (!(await metricsRegistry.getSingleMetricAsString('volumer_processor_swaps_in_total')).endsWith(' ' + swaps)) {
      if (Date.now() > until) throw new Error('swaps not consumed')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // the manual clock moves: one cycle (the records alone are under maxRecordsPerCycle), four drains
    clock.advance(1000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    ticking = false
    // what happens after the ticker stopped (the stop's own cycle) has no ticks to show
    const seen = events.slice()
    await proc.stop(); await running
    await store.close(); await log.close()
    return seen
  }

  /** the longest run of `what` with no tick in between */
  const longestRun = (events: string[], what: string): number => {
    let best = 0; let run = 0
    for (const e of events) { if (e === what) best = Math.max(best, ++run); else if (e === 'tick') run = 0 }
    return best
  }

  it('with a 0 ms slice: a turn before each partition drains and every 16 swaps of a batch', async () => {
    const events = await trace(0, 4000)
    expect(events.filter((e) => e === 'drain').length, 'drains').to.be.at.least(4)
    expect(longestRun(events, 'drain'), 'drains in a row').to.equal(1)
    expect(longestRun(events, 'ingest'), 'swaps ingested in a row').to.be.at.most(16)
  })

  it('the control: with an endless slice, a cycle drains its partitions and ingests a batch in one go', async () => {
    const events = await trace(Infinity, 4000)
    expect(longestRun(events, 'drain'), 'drains in a row').to.be.at.least(2)
    expect(longestRun(events, 'ingest'), 'swaps ingested in a row').to.be.greaterThan(16)
  })

  it('createLoopTurns: due once the slice is spent, a new slice after each turn', async () => {
    let t = 0
    const turns = createLoopTurns(5, () => t)
    expect(turns.due()).to.equal(false)
    t = 5
    expect(turns.due()).to.equal(true)
    await turns.take()
    expect(turns.due()).to.equal(false)
    expect(turns.taken).to.equal(1)
  })
})
