import { expect } from 'chai'
import { listOffsets } from '../../src/log/kafka-reader.js'
import type { NativeAdmin, NativeModule } from '../../src/log/kafka-native.js'
import { isLogError } from '../../src/log/log-errors.js'

/**
 * listOffsets (src/log/kafka-reader.ts) against a scripted admin: librdkafka's answers while a
 * partition has no leader (issue #23's chaos test), then a leader again.
 */
describe('kafka listOffsets while a partition leader moves', () => {
  const rd = { OffsetSpec: { EARLIEST: 'earliest', LATEST: 'latest' }, IsolationLevel: { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } } as unknown as NativeModule
  /** an admin whose first `failures` listOffsets calls fail with librdkafka `code` */
  function admin (failures: number, code: number): { native: NativeAdmin, calls: () => number } {
    let calls = 0
    const native = {
      listOffsets (tps: Array<{ topic: string, partition: number, offset: unknown }>, _o: unknown, cb: (err: unknown, v?: unknown) => void) {
        calls++
        if (failures > 0) { failures--; setImmediate(() => cb(Object.assign(new Error('Local: No such entry'), { code }))); return }
        setImmediate(() => cb(null, tps.map(tp => ({ topic: tp.topic, partition: tp.partition, offset: tp.offset === 'earliest' ? 3 : 10 }))))
      }
    } as unknown as NativeAdmin
    return { native, calls: () => calls }
  }
  const tps = [{ topic: 't', partition: 0 }]

  it('retries "Local: No such entry (-156)" and answers once a leader is back', async () => {
    const a = admin(3, -156)
    const got = await listOffsets(rd, a.native, tps, 'read_committed', [1, 1, 1, 1])
    expect(got.get('t:0') ?? got.values().next().value).to.deep.equal({ low: 3, high: 10 })
    expect(a.calls()).to.equal(5)
  })

  it('refreshes the metadata before each retry: a client whose cache names a dead leader answers -156 until it does', async () => {
    // librdkafka looks a ListOffsets' leaders up in its metadata cache, and a partition whose
    // cached leader is -1 or a broker it does not know fails at once (Local: No such entry),
    // without a metadata request: a new client (a restore's reader) that fetched its metadata
    // while a broker was dead kept failing through every retry in the chaos test (issue #23)
    let stale = true
    let calls = 0
    const native = {
      listTopics (_o: unknown, cb: (err: unknown, v?: unknown) => void) { stale = false; setImmediate(() => cb(null, ['t'])) },
      listOffsets (tps: Array<{ topic: string, partition: number, offset: unknown }>, _o: unknown, cb: (err: unknown, v?: unknown) => void) {
        calls++
        if (stale) { setImmediate(() => cb(Object.assign(new Error('Local: No such entry'), { code: -156 }))); return }
        setImmediate(() => cb(null, tps.map(tp => ({ topic: tp.topic, partition: tp.partition, offset: tp.offset === 'earliest' ? 3 : 10 }))))
      }
    } as unknown as NativeAdmin
    const got = await listOffsets(rd, native, tps, 'read_committed', [1, 1, 1, 1])
    expect(got.get('t:0')).to.deep.equal({ low: 3, high: 10 })
    expect(calls).to.equal(4) // EARLIEST and LATEST, each refused once, then answered
  })

  it('gives up after its retries, with the error', async () => {
    const a = admin(100, -156)
    const err = await listOffsets(rd, a.native, tps, 'read_committed', [1, 1]).then(() => null, (e: unknown) => e)
    expect(isLogError(err), String(err)).to.equal(true)
    expect((err as Error).message).to.include('-156')
  })

  it('does not retry an error a leader election does not explain', async () => {
    const a = admin(1, 3)
    const err = await listOffsets(rd, a.native, tps, 'read_committed', [1, 1, 1]).then(() => null, (e: unknown) => e)
    expect(isLogError(err) && err.code === 'UNKNOWN_TOPIC', String(err)).to.equal(true)
    expect(a.calls()).to.equal(2) // EARLIEST and LATEST, each once
  })
})
