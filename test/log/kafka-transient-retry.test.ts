import { expect } from 'chai'
import { KafkaAdmin } from '../../src/log/kafka-admin.js'
import type { KafkaConfigClient } from '../../src/log/kafka-config-protocol.js'
import { KafkaGroupConsumer } from '../../src/log/kafka-consumer.js'
import { COMMITTED_RETRY_MS, retryTransient } from '../../src/log/kafka-errors.js'
import type { NativeAdmin, NativeConsumer, NativeModule } from '../../src/log/kafka-native.js'
import { isLogError } from '../../src/log/log-errors.js'

/**
 * Admin and group calls while a broker is dead (issue #23's chaos test: `describe topic: Local:
 * Timed out` and `committed: Local: Timed out` each ended a processor): a scripted admin whose
 * first calls time out the way librdkafka's do.
 */
describe('kafka calls retried while a broker is dead', () => {
  const rd = { OffsetSpec: { EARLIEST: 'earliest', LATEST: 'latest' }, IsolationLevel: { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } } as unknown as NativeModule
  const timedOut = (): Error => Object.assign(new Error('Local: Timed out'), { code: -185 })

  /** an admin whose first `failures` describeTopics calls fail with librdkafka `code` */
  function admin (failures: number, code: number): { native: NativeAdmin, describes: () => number } {
    let describes = 0
    const native = {
      describeTopics (names: string[], _o: unknown, cb: (err: unknown, v?: unknown) => void) {
        describes++
        if (failures > 0) { failures--; setImmediate(() => cb(Object.assign(new Error('Local: Timed out'), { code }))); return }
        setImmediate(() => cb(null, names.map(name => ({ name, partitions: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 1, replicas: [1, 2, 3] }] }))))
      },
      listOffsets (tps: Array<{ topic: string, partition: number, offset: unknown }>, _o: unknown, cb: (err: unknown, v?: unknown) => void) {
        setImmediate(() => cb(null, tps.map(tp => ({ topic: tp.topic, partition: tp.partition, offset: tp.offset === 'earliest' ? 0 : 7 }))))
      },
      disconnect () {}
    } as unknown as NativeAdmin
    return { native, describes: () => describes }
  }

  it("KafkaAdmin.offsets retries its 'describe topic' when it times out (a broker dead), and answers", async () => {
    const a = admin(2, -185)
    const kafkaAdmin = new KafkaAdmin(rd, a.native, {} as unknown as KafkaConfigClient)
    const got = await kafkaAdmin.offsets('volumer-state')
    expect(got).to.deep.equal([{ partition: 0, low: 0, high: 7 }, { partition: 1, low: 0, high: 7 }])
    expect(a.describes()).to.equal(3)
  })

  it('does not retry what a dead broker does not explain (unknown topic)', async () => {
    const a = admin(1, 3)
    const err = await new KafkaAdmin(rd, a.native, {} as unknown as KafkaConfigClient).offsets('volumer-state').then(() => null, (e: unknown) => e)
    expect(isLogError(err) && err.code === 'UNKNOWN_TOPIC', String(err)).to.equal(true)
    expect(a.describes()).to.equal(1)
  })

  it('retryTransient gives up after its retries, with the last error', async () => {
    let calls = 0
    const err = await retryTransient(async () => { calls++; throw Object.assign(new Error('committed: Local: Timed out'), { cause: timedOut() }) }, [1, 1]).then(() => null, (e: unknown) => e)
    expect((err as Error).message).to.equal('committed: Local: Timed out')
    expect(calls).to.equal(3)
  })
})

/**
 * The group's committed offsets while a killed owner's transaction waits for its coordinator to
 * move off a dead broker (issue #23's chaos run of s13: `committed: Local: Timed out` after the
 * short schedule's 4 retries, 86 s into a rebalance, ended a processor while the restarted
 * broker caught up under load 77). A scripted consumer times out 8 times, then answers.
 */
describe('committed offsets retried while the stable fetch waits', () => {
  function consumer (timeouts: number): { native: NativeConsumer, calls: () => number } {
    let calls = 0
    const native = {
      committed (tps: Array<{ topic: string, partition: number }>, _t: number, cb: (err: unknown, v?: unknown) => void) {
        calls++
        if (timeouts > 0) { timeouts--; setImmediate(() => cb(Object.assign(new Error('Local: Timed out'), { code: -185 }))); return }
        setImmediate(() => cb(null, tps.map(tp => ({ ...tp, offset: 42 }))))
      }
    } as unknown as NativeConsumer
    return { native, calls: () => calls }
  }

  it('8 timeouts in a row, then an answer: committed answers (with the schedule shortened)', async () => {
    const c = consumer(8)
    const got = await new KafkaGroupConsumer(c.native, { groupId: 'g', topics: ['swaps'] }, COMMITTED_RETRY_MS.map(() => 1)).committed([{ topic: 'swaps', partition: 3 }])
    expect(got).to.deep.equal([{ topic: 'swaps', partition: 3, offset: 42 }])
    expect(c.calls()).to.equal(9)
  })

  it('the schedule waits about two minutes in all, as long as a coordinator took to move under load', () => {
    const total = COMMITTED_RETRY_MS.reduce((a, b) => a + b, 0)
    expect(total).to.be.within(100_000, 180_000)
  })
})
