import { expect } from 'chai'
import { KafkaAdmin } from '../../src/log/kafka-admin.js'
import type { KafkaConfigClient } from '../../src/log/kafka-config-protocol.js'
import { retryTransient } from '../../src/log/kafka-errors.js'
import type { NativeAdmin, NativeModule } from '../../src/log/kafka-native.js'
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
