import { expect } from 'chai'
import { KafkaGroupConsumer } from '../../src/log/kafka-consumer.js'
import { KafkaTransactionalProducer } from '../../src/log/kafka-producer.js'
import type { NativeError, NativeProducer } from '../../src/log/kafka-native.js'
import { isLogError } from '../../src/log/log-errors.js'

/**
 * Transactional calls while the transaction coordinator moves (issue #23's chaos test: a
 * processor started right after the SIGKILL of the broker leading its coordinator exited on
 * `init transactions: Failed to initialize Producer ID: Broker: Not coordinator (code 16)`,
 * an error librdkafka marks retriable). A scripted native producer fails its first calls the
 * way librdkafka does; the adapter calls again, as rdkafka.h advises for a retriable error.
 */
describe('transactional calls retried while the coordinator moves', () => {
  const err = (code: number, message: string, flags: Partial<NativeError> = {}): NativeError =>
    Object.assign(new Error(message), { code, isFatal: false, isRetriable: false, isTxnRequiresAbort: false, ...flags })

  /** a native producer whose calls fail with the scripted errors, in order, then succeed */
  function native (script: Partial<Record<'init' | 'offsets' | 'commit' | 'abort', NativeError[]>>): { producer: NativeProducer, calls: Record<string, number> } {
    const calls: Record<string, number> = { init: 0, offsets: 0, commit: 0, abort: 0, begin: 0 }
    const answer = (what: 'init' | 'offsets' | 'commit' | 'abort', cb: (e: NativeError | null) => void): void => {
      calls[what]++
      const e = script[what]?.shift()
      setImmediate(() => cb(e ?? null))
    }
    const producer = {
      connect (_o: unknown, cb: (e: null) => void) { setImmediate(() => cb(null)) },
      disconnect (cb: (e: null) => void) { setImmediate(() => cb(null)) },
      on () {},
      initTransactions (_t: number, cb: (e: NativeError | null) => void) { answer('init', cb) },
      beginTransaction (cb: (e: null) => void) { calls.begin++; setImmediate(() => cb(null)) },
      sendOffsetsToTransaction (_o: unknown, _c: unknown, _t: number, cb: (e: NativeError | null) => void) { answer('offsets', cb) },
      commitTransaction (_t: number, cb: (e: NativeError | null) => void) { answer('commit', cb) },
      abortTransaction (_t: number, cb: (e: NativeError | null) => void) { answer('abort', cb) }
    } as unknown as NativeProducer
    return { producer, calls }
  }
  const fast = [1, 1, 1, 1, 1]

  it('init transactions is called again on Not coordinator (16), Coordinator load in progress (14), Coordinator not available (15) and Timed out (-185), then succeeds', async () => {
    const n = native({
      init: [
        err(16, 'Failed to initialize Producer ID: Broker: Not coordinator', { isRetriable: true }),
        err(14, 'Broker: Coordinator load in progress', { isRetriable: true }),
        err(15, 'Broker: Coordinator not available', { isRetriable: true }),
        err(-185, 'Local: Timed out', { isRetriable: true })
      ]
    })
    await KafkaTransactionalProducer.create(n.producer, 'volumer-a', fast)
    expect(n.calls.init).to.equal(5)
  })

  it('init transactions gives up after its bounded retries, with the last error', async () => {
    const n = native({ init: Array.from({ length: 10 }, () => err(16, 'Broker: Not coordinator', { isRetriable: true })) })
    const e = await KafkaTransactionalProducer.create(n.producer, 'volumer-a', [1, 1]).then(() => null, (x: unknown) => x)
    expect(isLogError(e) && /Not coordinator/.test(e.message), String(e)).to.equal(true)
    expect(n.calls.init).to.equal(3)
  })

  it('init transactions is not retried on a fatal error (fenced)', async () => {
    const n = native({ init: [err(90, 'Broker: Producer fenced', { isFatal: true })] })
    const e = await KafkaTransactionalProducer.create(n.producer, 'volumer-a', fast).then(() => null, (x: unknown) => x)
    expect(isLogError(e) && e.code === 'FENCED', String(e)).to.equal(true)
    expect(n.calls.init).to.equal(1)
  })

  it('commit and abort are called again on a retriable error; sendOffsets too, but not when the group moved (the processor carries that cycle)', async () => {
    const n = native({
      offsets: [err(-185, 'Local: Timed out', { isRetriable: true })],
      commit: [err(16, 'Broker: Not coordinator', { isRetriable: true }), err(-185, 'Local: Timed out', { isRetriable: true })]
    })
    const p = await KafkaTransactionalProducer.create(n.producer, 'volumer-a', fast)
    // sendOffsets needs the group metadata of a Kafka consumer (its native handle)
    const consumer = new KafkaGroupConsumer({} as never, { groupId: 'g', topics: ['swaps'] })
    await p.begin()
    await p.sendOffsets([{ topic: 'swaps', partition: 0, offset: 5 }], consumer.groupMetadata())
    await p.commit()
    expect(n.calls.offsets).to.equal(2)
    expect(n.calls.commit).to.equal(3)

    const moved = native({ offsets: [err(22, 'Broker: Specified group generation id is not valid', { isTxnRequiresAbort: true })], abort: [err(-185, 'Local: Timed out', { isRetriable: true })] })
    const q = await KafkaTransactionalProducer.create(moved.producer, 'volumer-b', fast)
    await q.begin()
    const e = await q.sendOffsets([{ topic: 'swaps', partition: 0, offset: 5 }], consumer.groupMetadata()).then(() => null, (x: unknown) => x)
    expect(isLogError(e) && e.code === 'REBALANCE_IN_PROGRESS', String(e)).to.equal(true)
    expect(moved.calls.offsets).to.equal(1)
    await q.abort()
    expect(moved.calls.abort).to.equal(2)
  })

  it('a commit whose error requires an abort is not retried', async () => {
    const n = native({ commit: [err(-172, 'Local: Erroneous state: transaction requires abort', { isTxnRequiresAbort: true })] })
    const p = await KafkaTransactionalProducer.create(n.producer, 'volumer-a', fast)
    await p.begin()
    const e = await p.commit().then(() => null, (x: unknown) => x)
    expect(isLogError(e), String(e)).to.equal(true)
    expect(n.calls.commit).to.equal(1)
  })
})
