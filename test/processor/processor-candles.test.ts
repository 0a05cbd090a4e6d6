import { expect } from 'chai'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { createPgliteCheckpointStore } from '../../src/store/pglite-checkpoint-store.js'
import { createInProcessSchemaRegistry } from '../../src/codec/index.js'
import { createProcessor } from '../../src/processor/processor.js'
import { createProcessorMetrics } from '../../src/processor/processor-metrics.js'
import { createManualClock } from '../../src/clock.js'
import { parseWindowList } from '../../src/engine/windows.js'
import { DEFAULT_CANDLE_INTERVALS } from '../../src/engine/candle-intervals.js'
import type { Candle } from '../../src/engine/candles.js'
import { parseSwapJson } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import type { Swap } from '../../src/swap/swap.js'
import { applyTestTopology, readLatest, sampleLines } from '../helpers/log-fixture.js'
import { oracleCandles } from '../helpers/candle-oracle.js'

/**
 * Candles through the processor on the in-process log (the embedded mode's log), PGlite and
 * the in-process registry. The first processor publishes the candles of the first half of the
 * sample; a second one restores (its candle books from the `candles` topic) and takes the
 * second half in reverse order, so most of its swaps land in candles published before the
 * restart and must correct them. The compacted `candles` topic must then equal candles made
 * from scratch over every swap counted once, every field exact.
 */
describe('processor candles on the in-process log', function () {
  this.timeout(180_000)

  async function waitFor (cond: () => Promise<boolean>, what: string, ms = 90_000): Promise<void> {
    const until = Date.now() + ms
    while (!(await cond())) {
      if (Date.now() > until) throw new Error('timed out waiting for ' + what)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it('publishes exact candles, corrects published ones after a restart, and counts a duplicate once', async () => {
    const log = createMemoryLog()
    await applyTestTopology(log, '', 4)
    const registry = await createInProcessSchemaRegistry()
    const store = await createPgliteCheckpointStore()
    const windows = parseWindowList('1m,5m,1h,24h')
    const lines = sampleLines().slice(0, 2400)
    const swaps = lines.map((l) => parseSwapJson(l)).filter((s): s is Swap => !isSwapReject(s))
    const end = Math.max(...swaps.map((s) => s.blockTime))
    const clock = createManualClock(end + 1000)
    const producer = await log.createProducer()
    const send = (l: string): void => {
      const o = JSON.parse(l) as { chain: string, token: string }
      producer.send({ topic: 'swaps', key: Buffer.from(o.chain + ':' + o.token), value: Buffer.from(l) })
    }
    const run = async (id: string, batch: string[]): Promise<void> => {
      for (const l of batch) send(l)
      await producer.flush()
      const metricsRegistry = new Registry()
      const proc = createProcessor({ log, store, registry, logger: pino({ level: 'warn' }), metrics: createProcessorMetrics(metricsRegistry), clock, windows, transactionalId: id, cycleMs: 20, checkpointIntervalMs: 0 })
      const running = proc.run()
      await proc.ready
      // each processor reads what the one before did not commit: its own batch
      await waitFor(async () => {
        const m = await metricsRegistry.getSingleMetricAsString('volumer_processor_swaps_in_total')
        return Number(/ (\d+)\s*$/.exec(m)?.[1] ?? 0) >= batch.length
      }, 'swaps consumed by ' + id)
      await proc.stop(); await running
    }
    const half = Math.floor(lines.length / 2)
    await run('p1', lines.slice(0, half))
    const afterFirst = await readLatest(log, 'candles')
    expect(afterFirst.size, 'candles after the first half').to.be.greaterThan(100)
    // the second half in reverse order, and the first 50 swaps again (duplicates of swaps a
    // restored engine holds: counted once)
    await run('p2', [...lines.slice(half).reverse(), ...lines.slice(0, 50)])

    const want = oracleCandles(swaps, DEFAULT_CANDLE_INTERVALS, -Infinity)
    const got = new Map<string, Candle>()
    for (const [k, v] of await readLatest(log, 'candles')) if (v !== null) got.set(k, JSON.parse(v.toString('utf8')) as Candle)
    expect(got.size, 'candles on the topic').to.equal(want.size)
    let corrected = 0
    for (const [k, w] of want) {
      expect(got.get(k), k).to.deep.equal(w)
      const before = afterFirst.get(k)
      if (before != null && JSON.parse(before.toString('utf8')).txns !== w.txns) corrected++
    }
    // the restart really had published candles to correct
    expect(corrected, 'candles corrected after the restart').to.be.greaterThan(10)
    // the long-history intervals (1h, 4h, 1d: longer than the candles topic's 7 days) are on
    // candles-history too, with the same final values
    const history = await readLatest(log, 'candles-history')
    const long = [...want.keys()].filter((k) => /:(1h|4h|1d):[0-9]+$/.test(k))
    expect([...history.keys()].sort()).to.deep.equal(long.sort())
    for (const k of long) expect(JSON.parse(history.get(k)!.toString('utf8')), k).to.deep.equal(want.get(k))
    await store.close()
    await log.close()
  })
})
