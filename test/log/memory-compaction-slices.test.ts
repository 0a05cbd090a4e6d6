/**
 * The in-process log's lazy compaction runs in slices between turns of the event loop (issue
 * #20: in `volumer run` it ran inside the processor's commit, on the edge's thread, and a pass
 * over a candle partition took 3-40 ms and grows with the day's candles). Asserted on structure,
 * not time: with a 0 ms slice a setImmediate ticker runs during the pass, the result equals
 * compact()'s, appends made meanwhile are kept, and a pass whose array was replaced is dropped.
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
