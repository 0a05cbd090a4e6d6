import { expect } from 'chai'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { overrideMethods, wrapLog } from '../helpers/log-wrap.js'
import { createPgliteCheckpointStore } from '../../src/store/pglite-checkpoint-store.js'
import { createInProcessSchemaRegistry } from '../../src/codec/index.js'
import { createProcessor } from '../../src/processor/processor.js'
import { createProcessorMetrics } from '../../src/processor/processor-metrics.js'
import { parseWindowList } from '../../src/engine/windows.js'
import { applyTestTopology, sampleLines } from '../helpers/log-fixture.js'

/**
 * The end offsets a processor reads for its lag samples and checkpoints, while they do not
 * answer (issue #23's chaos test, after a broker's SIGKILL: each `admin.offsets` went through its
 * describe and list-offsets retries for 46–68 s, and the cycle loop waited in 'lag sample' or
 * 'checkpoint' meanwhile; processors stayed ready while reading nothing for minutes). Here the
 * real in-process log's admin answers `offsets` never, once armed; the processor must go on
 * reading and committing.
 */
describe('processor: end offsets that do not answer', function () {
  this.timeout(60_000)

  it('a lag sample still on its way when the processor stops ends before the admin is closed', async () => {
    const log = createMemoryLog()
    await applyTestTopology(log, '', 4)
    const registry = await createInProcessSchemaRegistry()
    const store = await createPgliteCheckpointStore()
    let pending = 0
    let closedWithPending = -1
    let slowSwapsOffsets = false
    const slow = wrapLog(log, {
      createAdmin: async () => {
        const real = await log.createAdmin()
        return overrideMethods(real, {
          // the swaps topic's offsets are the lag sample's: 1.5 s each once armed
          offsets: async (topic, iso) => {
            if (!slowSwapsOffsets || topic !== 'swaps') return await real.offsets(topic, iso)
            pending++
            try { await new Promise((r) => setTimeout(r, 1500)); return await real.offsets(topic, iso) } finally { pending-- }
          },
          close: async () => { closedWithPending = pending; await real.close() }
        })
      }
    })
    const producer = await log.createProducer()
    for (const l of sampleLines().slice(0, 200)) {
      const o = JSON.parse(l) as { chain: string, token: string }
      producer.send({ topic: 'swaps', key: Buffer.from(o.chain + ':' + o.token), value: Buffer.from(l) })
    }
    await producer.flush()
    const proc = createProcessor({ log: slow, store, registry, logger: pino({ level: 'silent' }), metrics: createProcessorMetrics(new Registry()), windows: parseWindowList('1m,5m,1h,24h'), transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 0 })
    const running = proc.run()
    try {
      await proc.ready
      slowSwapsOffsets = true
      // the next lag sample (every 5 s) starts, then the processor stops while it waits
      const until = Date.now() + 10_000
      while (pending === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
      expect(pending, 'a lag sample on its way').to.equal(1)
      await proc.stop()
      await running
      expect(closedWithPending, 'offsets calls pending when the admin was closed').to.equal(0)
    } finally {
      await store.close()
      await log.close()
    }
  })

  it('the cycle loop goes on reading and committing while lag samples and checkpoint offset reads hang', async () => {
    const log = createMemoryLog()
    await applyTestTopology(log, '', 4)
    const registry = await createInProcessSchemaRegistry()
    const store = await createPgliteCheckpointStore()
    let hang = false
    let hung = 0
    const slow = wrapLog(log, {
      createAdmin: async () => {
        const real = await log.createAdmin()
        // a broker that never answers: the promise stays pending
        return overrideMethods(real, { offsets: async (...a) => { if (!hang) return await real.offsets(...a); hung++; return await new Promise(() => {}) } })
      }
    })
    const lines = sampleLines().slice(0, 2000)
    const producer = await log.createProducer()
    const send = async (from: number, to: number): Promise<void> => {
      for (const l of lines.slice(from, to)) {
        const o = JSON.parse(l) as { chain: string, token: string }
        producer.send({ topic: 'swaps', key: Buffer.from(o.chain + ':' + o.token), value: Buffer.from(l) })
      }
      await producer.flush()
    }
    const metricsRegistry = new Registry()
    const metrics = createProcessorMetrics(metricsRegistry)
    const swapsIn = async (): Promise<number> => (await metrics.swapsIn.get()).values[0]?.value ?? 0
    const commits = async (): Promise<number> => (await metrics.cycles.get()).values[0]?.value ?? 0
    const proc = createProcessor({ log: slow, store, registry, logger: pino({ level: 'silent' }), metrics, windows: parseWindowList('1m,5m,1h,24h'), transactionalId: 'p1', cycleMs: 20, checkpointIntervalMs: 0 })
    const running = proc.run()
    const waitFor = async (cond: () => Promise<boolean>, ms: number): Promise<boolean> => {
      const until = Date.now() + ms
      while (!(await cond())) {
        if (Date.now() > until) return false
        await new Promise((r) => setTimeout(r, 20))
      }
      return true
    }
    try {
      await proc.ready
      await send(0, 1000)
      expect(await waitFor(async () => await swapsIn() === 1000, 10_000), 'the first 1,000 swaps read').to.equal(true)
      hang = true
      await send(1000, 1500)
      // the checkpoint after the commit of these asks for the changelog's end offsets: no answer
      expect(await waitFor(async () => hung > 0, 10_000), 'an offsets call made while they hang').to.equal(true)
      const committedBefore = await commits()
      await send(1500, 2000)
      // a checkpoint's read is waited for 5 s at most; a lag sample is not waited for
      const read = await waitFor(async () => await swapsIn() === 2000 && await commits() > committedBefore, 15_000)
      expect(read, `the last 500 swaps read and committed while end offsets hang (read ${await swapsIn()}, commits ${await commits() - committedBefore})`).to.equal(true)
    } finally {
      await Promise.race([proc.stop(), new Promise((r) => setTimeout(r, 5000))])
      await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 1000))])
      await store.close()
      await log.close()
    }
  })
})
