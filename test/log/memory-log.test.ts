import { expect } from 'chai'
import { isLogError } from '../../src/log/log-errors.js'
import type { LogRecord, Reader } from '../../src/log/log.js'
import { createMemoryLog, type MemoryLog } from '../../src/log/memory-log.js'
import { murmur2, partitionForKey } from '../../src/log/murmur2.js'
import { runLogConformance } from './log-conformance.js'

runLogConformance('memory log', { open: async () => createMemoryLog(), waitMs: 2000 })

const buf = (s: string): Buffer => Buffer.from(s)

async function readAll (reader: Reader): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  while (!reader.isCaughtUp()) for (const b of await reader.poll(1000, 10)) out.push(...b.records)
  return out
}

describe('murmur2 partitioner', () => {
  it('matches Kafka\'s Utils.murmur2 test vectors', () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ]
    for (const [s, want] of cases) expect(murmur2(buf(s)), s).to.equal(want)
  })

  it('maps keys into range with the sign bit masked, as Utils.toPositive', () => {
    expect(partitionForKey(buf('21'), 12)).to.equal((-973932308 & 0x7fffffff) % 12)
    for (let i = 0; i < 200; i++) {
      const p = partitionForKey(buf('ethereum:0x' + i.toString(16)), 7)
      expect(p).to.be.within(0, 6)
    }
  })
})

describe('memory log specifics', () => {
  let clock: number
  let log: MemoryLog
  beforeEach(() => {
    clock = 1_000_000
    log = createMemoryLog({ now: () => clock, sessionTimeoutMs: 5000 })
  })
  afterEach(() => log.close())

  async function topic (name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const admin = await log.createAdmin()
    await admin.createTopics([{ name, partitions, replicationFactor: 1, configs }])
  }

  it('fences a group member that lost its partitions: its offsets cannot commit (KIP-447)', async () => {
    await topic('in', 2)
    await topic('out', 1)
    const p = await log.createProducer()
    p.send({ topic: 'in', key: null, value: buf('a'), partition: 0 })
    p.send({ topic: 'in', key: null, value: buf('b'), partition: 1 })
    const zombie = await log.createConsumer({ groupId: 'g', topics: ['in'] })
    const got = (await zombie.poll(10, 50)).flatMap(b => b.records)
    expect(got).to.have.length(2)
    const meta = zombie.groupMetadata()
    // the zombie stops polling; time passes beyond the session timeout; a new member takes over
    clock += 6000
    const heir = await log.createConsumer({ groupId: 'g', topics: ['in'] })
    await heir.poll(10, 10)
    expect(heir.assignment()).to.have.length(2)
    const tx = await log.createTransactionalProducer({ transactionalId: 'zombie-tx' })
    await tx.begin()
    tx.send({ topic: 'out', key: buf('k'), value: buf('from zombie') })
    let error: unknown
    try {
      await tx.sendOffsets([{ topic: 'in', partition: 0, offset: 1 }], meta)
    } catch (err) { error = err }
    expect(isLogError(error) && error.code).to.equal('REBALANCE_IN_PROGRESS')
    expect(isLogError(error) && error.abortable).to.equal(true)
    let commitError: unknown
    try { await tx.commit() } catch (err) { commitError = err }
    expect(commitError).to.equal(error)
    await tx.abort()
    expect((await heir.committed([{ topic: 'in', partition: 0 }]))[0].offset).to.equal(-1)
    const reader = await log.createReader({ partitions: [{ topic: 'out', partition: 0, from: 'earliest' }] })
    expect(await readAll(reader)).to.have.length(0)
    // the evicted member finds out at its next poll: lost partitions, then it rejoins
    const revoked: boolean[] = []
    const z2 = await log.createConsumer({ groupId: 'g2', topics: ['in'], onRevoke: async (_tps, info) => { revoked.push(info.lost) } })
    await z2.poll(1, 0)
    clock += 6000
    const h2 = await log.createConsumer({ groupId: 'g2', topics: ['in'] })
    await h2.poll(1, 0)
    await z2.poll(1, 0)
    expect(revoked[0]).to.equal(true)
  })

  it('compacts lazily: keeps the latest per key, honours min.compaction.lag.ms and delete.retention.ms', async () => {
    await topic('state', 1, { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '1000', 'delete.retention.ms': '5000' })
    const p = await log.createProducer()
    for (let i = 0; i < 100; i++) p.send({ topic: 'state', key: buf('k' + (i % 10)), value: buf(String(i)) })
    p.send({ topic: 'state', key: buf('k0'), value: null })
    log.compact('state')
    expect(log.storedRecords('state')).to.equal(101) // younger than the compaction lag
    clock += 2000
    log.compact('state')
    expect(log.storedRecords('state')).to.equal(10) // k1..k9 and the tombstone for k0
    const reader = await log.createReader({ partitions: [{ topic: 'state', partition: 0, from: 'earliest' }] })
    const records = await readAll(reader)
    expect(records.map(r => r.offset)).to.deep.equal([91, 92, 93, 94, 95, 96, 97, 98, 99, 100])
    clock += 6000
    log.compact('state')
    expect(log.storedRecords('state')).to.equal(9)
    // compaction also runs by itself once enough new records pile up
    await topic('state2', 1, { 'cleanup.policy': 'compact' })
    for (let i = 0; i < 5000; i++) p.send({ topic: 'state2', key: buf('k' + (i % 10)), value: buf(String(i)) })
    // in slices between turns of the event loop, or at once when a burst outruns them (2× the threshold)
    expect(log.storedRecords('state2')).to.be.lessThan(2 * 1024)
    for (let turn = 0; turn < 100 && log.storedRecords('state2') >= 1100; turn++) await new Promise((resolve) => setImmediate(resolve))
    expect(log.storedRecords('state2')).to.be.lessThan(1100)
    const r2 = await log.createReader({ partitions: [{ topic: 'state2', partition: 0, from: 'earliest' }] })
    const latest = new Map((await readAll(r2)).map(r => [r.key!.toString(), r.value!.toString()]))
    expect(latest.get('k3')).to.equal('4993')
  })

  it('stores its own copy of each record: a view of a producer\'s slab pins neither the slab nor its later writes (regression: soak RSS growth)', async () => {
    // The processor's stats writer hands out records as views of 1 MiB slabs (stats-encoder.ts).
    // A log that kept those views kept each slab alive for as long as one record of it survived
    // compaction (the newest stats of a quiet token): in `volumer run` the edge and the compacted
    // stats topic held 1 MiB per such record, heap snapshots 60 slabs after 3 minutes, growing.
    await topic('stats', 1, { 'cleanup.policy': 'compact' })
    await topic('tx-out', 1)
    const slab = Buffer.alloc(1 << 20, 0x61)
    const p = await log.createProducer()
    p.send({ topic: 'stats', key: slab.subarray(0, 4), value: slab.subarray(8, 1308) })
    const tx = await log.createTransactionalProducer({ transactionalId: 'copy-tx' })
    await tx.begin()
    tx.send({ topic: 'tx-out', key: slab.subarray(16, 20), value: slab.subarray(2000, 2100) })
    await tx.commit()
    // the producer may reuse its memory once send() returns (librdkafka copies, as Kafka does)
    slab.fill(0x62)
    for (const [name, keyLen, valueLen] of [['stats', 4, 1300], ['tx-out', 4, 100]] as const) {
      const reader = await log.createReader({ partitions: [{ topic: name, partition: 0, from: 'earliest' }] })
      const [r] = await readAll(reader)
      expect(r.key!.toString(), name).to.equal('a'.repeat(keyLen))
      expect(r.value!.toString(), name).to.equal('a'.repeat(valueLen))
      // the record's memory is its own bytes, not a 1 MiB slab
      expect(r.key!.buffer.byteLength + r.value!.buffer.byteLength, name).to.be.at.most(2 * (keyLen + valueLen))
    }
  })

  it('drops aborted records on compaction and keeps open transactions out of it', async () => {
    await topic('state', 1, { 'cleanup.policy': 'compact' })
    const tx = await log.createTransactionalProducer({ transactionalId: 't' })
    await tx.begin()
    tx.send({ topic: 'state', key: buf('a'), value: buf('aborted') })
    await tx.abort()
    await tx.begin()
    tx.send({ topic: 'state', key: buf('a'), value: buf('open') })
    log.compact('state')
    expect(log.storedRecords('state')).to.equal(1)
    const uncommitted = await log.createReader({ partitions: [{ topic: 'state', partition: 0, from: 'earliest' }], isolation: 'read_uncommitted' })
    expect((await uncommitted.poll(10, 0)).flatMap(b => b.records).map(r => r.value!.toString())).to.deep.equal(['open'])
    await tx.commit()
    const admin = await log.createAdmin()
    expect(await admin.offsets('state', 'read_committed')).to.deep.equal([{ partition: 0, low: 0, high: 2 }])
  })

  it('deletes records past retention.ms from the head and moves the log start offset', async () => {
    await topic('swaps', 1, { 'retention.ms': '60000' })
    const p = await log.createProducer()
    for (let i = 0; i < 1500; i++) p.send({ topic: 'swaps', key: buf('k'), value: buf(String(i)) })
    clock += 120_000
    for (let i = 0; i < 1500; i++) p.send({ topic: 'swaps', key: buf('k'), value: buf(String(i)) })
    const admin = await log.createAdmin()
    const [o] = await admin.offsets('swaps')
    expect(o.low).to.equal(1500)
    expect(o.high).to.equal(3000)
  })

  it('rejects unknown topics and keyless records on compacted topics, surfacing at flush/commit', async () => {
    await topic('stats', 1, { 'cleanup.policy': 'compact' })
    const p = await log.createProducer()
    p.send({ topic: 'nope', key: buf('k'), value: buf('v') })
    let error: unknown
    try { await p.flush() } catch (err) { error = err }
    expect(isLogError(error) && error.code).to.equal('UNKNOWN_TOPIC')
    const tx = await log.createTransactionalProducer({ transactionalId: 't' })
    await tx.begin()
    tx.send({ topic: 'stats', key: null, value: buf('v') })
    let commitError: unknown
    try { await tx.commit() } catch (err) { commitError = err }
    expect(isLogError(commitError) && commitError.abortable).to.equal(true)
    await tx.abort()
    await tx.begin()
    tx.send({ topic: 'stats', key: buf('ethereum:0xa'), value: buf('v') })
    await tx.commit()
  })

  it('reader is caught up when only aborted records follow the last one it returned (regression: read(p, 0) did not settle)', async () => {
    await topic('stats', 1)
    const tx = await log.createTransactionalProducer({ transactionalId: 't' })
    await tx.begin()
    tx.send({ topic: 'stats', key: buf('a'), value: buf('1') })
    tx.send({ topic: 'stats', key: buf('b'), value: buf('2') })
    await tx.commit()
    await tx.begin()
    tx.send({ topic: 'stats', key: buf('c'), value: buf('aborted') })
    await tx.abort()
    const reader = await log.createReader({ partitions: [{ topic: 'stats', partition: 0, from: 'earliest' }] })
    expect(reader.targets()[0].offset).to.equal(3)
    const got = (await reader.poll(2, 0)).flatMap(b => b.records)
    expect(got).to.have.length(2)
    expect(reader.isCaughtUp()).to.equal(true)
  })

  it('wakes a waiting poll as soon as a transaction commits', async () => {
    await topic('stats', 1)
    const reader = await log.createReader({ partitions: [{ topic: 'stats', partition: 0, from: 'earliest' }] })
    const tx = await log.createTransactionalProducer({ transactionalId: 't' })
    const started = Date.now()
    const pending = reader.poll(10, 5000)
    await tx.begin()
    tx.send({ topic: 'stats', key: buf('k'), value: buf('v') })
    await tx.commit()
    const got = await pending
    expect(got[0].records).to.have.length(1)
    expect(Date.now() - started).to.be.lessThan(1000)
  })
})
