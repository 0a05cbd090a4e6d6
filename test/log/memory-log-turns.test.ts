/**
 * Where the in-process log gives the event loop a turn (issue #20: /healthz p99 < 20 ms in
 * `volumer run`, whose edge shares the thread with the log, the processor and the generator):
 * - lazy compaction runs in slices: in the run it ran inside the processor's commit, and a pass
 *   over a candle partition took 3-40 ms, growing with the day's candles;
 * - a reader's poll returns at most 1,024 records, after a turn: a commit woke the edge's feed
 *   and it applied the cycle's records in the same synchronous stretch.
 * Asserted on structure, not time: with a 0 ms slice a setImmediate ticker runs during the pass,
 * the result equals compact()'s, appends made meanwhile are kept, a pass whose array was
 * replaced is dropped; a callback queued before the commit runs before the reader's records.
 */
import { expect } from 'chai'
import { MemoryPartition, type PartitionPolicy } from '../../src/log/memory-partition.js'
import type { LogRecord } from '../../src/log/log.js'

const POLICY: PartitionPolicy = { compact: true, minCompactionLagMs: 0, deleteRetentionMs: 1e12, retentionMs: -1 }

function filled (records: number, keys: number): MemoryPartition {
  const part = new MemoryPartition('t', 0)
  for (let i = 0; i < records; i++) part.append(Buffer.from('k' + (i % keys)), Buffer.from(String(i)), 0, undefined, null)
  return part
}

const all = (part: MemoryPartition): LogRecord[] => part.read(0, Number.MAX_SAFE_INTEGER, 'read_committed').records
const view = (rs: LogRecord[]): string[] => rs.map((r) => `${r.offset}:${r.key?.toString()}=${r.value?.toString()}`)

describe('memory partition: lazy compaction in slices', () => {
  it('gives the event loop turns during the pass and keeps what compact() keeps, plus the appends made meanwhile', async () => {
    const sliced = filled(20_000, 700)
    const whole = filled(20_000, 700)
    whole.compact(POLICY, 1)
    let turns = 0
    let ticking = true
    const tick = (): void => { if (ticking) { turns++; setImmediate(tick) } }
    setImmediate(tick)
    const pass = sliced.compactInSlices(POLICY, 1, 0)
    // appended while the pass runs (as the processor's next cycle does): kept whole
    sliced.append(Buffer.from('k1'), Buffer.from('late'), 0, undefined, null)
    await pass
    ticking = false
    expect(turns, 'turns of the event loop during the pass').to.be.greaterThan(10)
    expect(view(all(sliced))).to.deep.equal([...view(all(whole)), '20000:k1=late'])
    expect(sliced.size).to.equal(701)
  })

  it('runs in one go when the slice outlasts the pass, and drops a pass whose records were replaced meanwhile', async () => {
    const quick = filled(2_000, 10)
    let turns = 0
    let ticking = true
    const tick = (): void => { if (ticking) { turns++; setImmediate(tick) } }
    setImmediate(tick)
    await quick.compactInSlices(POLICY, 1, 60_000)
    expect(quick.size).to.equal(10)
    expect(turns).to.equal(0)
    ticking = false

    const raced = filled(20_000, 700)
    const pass = raced.compactInSlices(POLICY, 1, 0)
    raced.compact(POLICY, 1) // a synchronous compaction while the sliced one waits for its turn
    raced.append(Buffer.from('k2'), Buffer.from('after'), 0, undefined, null)
    await pass
    // the sliced pass did not put back what compact() dropped, nor lose the append
    expect(raced.size).to.equal(701)
    expect(view(all(raced)).at(-1)).to.equal('20000:k2=after')
  })

  it('maintain() starts a sliced pass at the threshold and compacts at once only when a burst outruns it', async () => {
    const part = new MemoryPartition('t', 0)
    // 1,024 records reach the first threshold: a pass starts (and, this small, ends within its slice)
    for (let i = 0; i < 1024; i++) { part.append(Buffer.from('k' + (i % 4)), Buffer.from(String(i)), 0, undefined, null); part.maintain(POLICY, 1) }
    expect(part.size).to.equal(4)
  })
})

describe('memory reader: chunks and turns', () => {
  it('returns at most 1,024 records a poll, and a commit that wakes it does not run its records in the same turn', async () => {
    const { createMemoryLog } = await import('../../src/log/memory-log.js')
    const log = createMemoryLog()
    const admin = await log.createAdmin()
    await admin.createTopics([{ name: 'stats', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }])
    await admin.close()
    const reader = await log.createReader({ partitions: [{ topic: 'stats', partition: 0, from: 'earliest' }] })
    const events: string[] = []
    // a reader waiting for records, as the edge's feed does
    const polled = reader.poll(10_000, 5_000).then((batches) => { events.push('records ' + batches.reduce((n, b) => n + b.records.length, 0)) })
    const tx = await log.createTransactionalProducer({ transactionalId: 't' })
    await tx.begin()
    for (let i = 0; i < 3000; i++) tx.send({ topic: 'stats', key: Buffer.from('k' + i), value: Buffer.from('v') })
    // the commit wakes the reader; something already queued for the next turn runs first
    setImmediate(() => events.push('other callback'))
    await tx.commit()
    await polled
    expect(events).to.deep.equal(['other callback', 'records 1024'])
    await reader.close(); await log.close()
  })
})
