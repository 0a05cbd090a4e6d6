/**
 * Issue #20 §4: `volumer run`'s RSS drifted up with no clients. Its in-process log had the
 * cluster's retention (swaps 7 days, the state changelog compacted after 6 h), so it held every
 * swap and changelog record of the run in memory. With the embedded topology it holds minutes.
 */
import { expect } from 'chai'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { applyTopology } from '../../src/topology/topology.js'
import { embeddedTopology } from '../../src/cli/embedded-topology.js'
import { DEFAULT_TOPICS } from '../../src/processor/topics.js'

describe('embedded topology (volumer run)', () => {
  it('holds minutes of swaps and changelog records in memory, not the whole run', async function () {
    this.timeout(60_000)
    let now = 1_700_000_000_000
    const log = createMemoryLog({ now: () => now })
    const admin = await log.createAdmin()
    await applyTopology(admin, embeddedTopology(4))
    await admin.close()
    const producer = await log.createProducer()
    // 20 simulated minutes at 100 records/s into each topic (the run's 1,000 swaps/s scaled
    // down to keep the test quick), 500 tokens
    const RATE = 100
    for (let s = 0; s < 20 * 60; s++) {
      now += 1000
      for (let i = 0; i < RATE; i++) {
        const key = Buffer.from('chain:' + ((s * RATE + i) % 500))
        producer.send({ topic: DEFAULT_TOPICS.swaps, key, value: Buffer.alloc(100) })
        producer.send({ topic: DEFAULT_TOPICS.state, key, value: Buffer.alloc(100) })
      }
      // a turn of the event loop a simulated second, as the run has: lazy compaction runs in slices between turns
      await new Promise((resolve) => setImmediate(resolve))
    }
    await producer.flush()
    const swaps = log.storedRecords(DEFAULT_TOPICS.swaps)
    const state = log.storedRecords(DEFAULT_TOPICS.state)
    const sent = 20 * 60 * RATE
    // swaps: 5 minutes retained, applied lazily every 1,024 appends per partition
    expect(swaps, 'swaps held').to.be.at.most(5 * 60 * RATE + 4 * 1024)
    // changelog: the last 2 minutes uncompacted, one record per token before that, and up to
    // twice that before the next lazy compaction
    expect(state, 'changelog records held').to.be.at.most(2 * (2 * 60 * RATE + 500) + 4 * 1024)
    console.log(`      held after ${sent} records each: swaps ${swaps}, changelog ${state}`)
    await log.close()
  })

  it('never drops swaps its processor has not committed yet, however long it lags', async function () {
    this.timeout(60_000)
    let now = 1_700_000_000_000
    const log = createMemoryLog({ now: () => now, sessionTimeoutMs: 3_600_000 })
    const admin = await log.createAdmin()
    await applyTopology(admin, embeddedTopology(1))
    await admin.close()
    const producer = await log.createProducer()
    const send = (n: number): void => { for (let i = 0; i < n; i++) producer.send({ topic: DEFAULT_TOPICS.swaps, key: Buffer.from('chain:' + (i % 50)), value: Buffer.alloc(100) }) }
    send(1000)
    // the processor has read and committed the first 500 and then falls behind
    const consumer = await log.createConsumer({ groupId: 'volumer', topics: [DEFAULT_TOPICS.swaps] })
    await consumer.poll(10, 50)
    const tx = await log.createTransactionalProducer({ transactionalId: 'embedded' })
    await tx.begin()
    await tx.sendOffsets([{ topic: DEFAULT_TOPICS.swaps, partition: 0, offset: 500 }], consumer.groupMetadata())
    await tx.commit()
    for (let s = 0; s < 20 * 60; s++) { now += 1000; send(100) }
    await producer.flush()
    const held = log.storedRecords(DEFAULT_TOPICS.swaps)
    expect(held, 'swaps from the committed offset on').to.be.at.least(1000 - 500 + 20 * 60 * 100)
    const reader = await log.createReader({ partitions: [{ topic: DEFAULT_TOPICS.swaps, partition: 0, from: 500 }] })
    const first = (await reader.poll(1, 0)).flatMap((b) => b.records)[0]
    expect(first?.offset, 'the processor reads on from where it committed').to.equal(500)
    await reader.close()
    await consumer.close()
    await log.close()
  })
})

