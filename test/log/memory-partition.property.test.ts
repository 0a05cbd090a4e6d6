import { expect } from 'chai'
import fc from 'fast-check'
import type { LogRecord } from '../../src/log/log.js'
import { MemoryPartition, type PartitionPolicy, type TxnState } from '../../src/log/memory-partition.js'

/**
 * Model check of one in-process partition: random appends (plain and in up to three concurrent
 * transactions), commits, aborts and compactions; a read_committed reader with random chunk sizes
 * must see exactly the committed records below the LSO, in order, and (with compaction) the same
 * latest value per key.
 */

type Op =
  | { t: 'plain', key: number, value: number | null }
  | { t: 'txn', txn: number, key: number, value: number }
  | { t: 'commit', txn: number }
  | { t: 'abort', txn: number }
  | { t: 'compact' }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('plain' as const), key: fc.nat(5), value: fc.option(fc.nat(1000), { freq: 5 }) }),
  fc.record({ t: fc.constant('txn' as const), txn: fc.nat(2), key: fc.nat(5), value: fc.nat(1000) }),
  fc.record({ t: fc.constant('commit' as const), txn: fc.nat(2) }),
  fc.record({ t: fc.constant('abort' as const), txn: fc.nat(2) }),
  fc.record({ t: fc.constant('compact' as const) }),
)

const POLICY: PartitionPolicy = { compact: true, minCompactionLagMs: 0, deleteRetentionMs: 1e12, retentionMs: -1 }

interface ModelRecord { offset: number, key: string, value: string | null, txn: TxnState | null }

function run (ops: Op[], chunks: number[], compaction: boolean): { got: LogRecord[], want: ModelRecord[], position: number, lso: number } {
  const part = new MemoryPartition('t', 0)
  const model: ModelRecord[] = []
  const open = new Map<number, TxnState>()
  for (const o of ops) {
    if (o.t === 'plain') {
      const key = 'k' + o.key
      const value = o.value === null ? null : String(o.value)
      const offset = part.append(Buffer.from(key), value === null ? null : Buffer.from(value), 0, undefined, null)
      model.push({ offset, key, value, txn: null })
    } else if (o.t === 'txn') {
      let txn = open.get(o.txn)
      if (txn === undefined) { txn = { status: 'open' }; open.set(o.txn, txn) }
      const key = 'k' + o.key
      const offset = part.append(Buffer.from(key), Buffer.from(String(o.value)), 0, undefined, txn)
      model.push({ offset, key, value: String(o.value), txn })
    } else if (o.t === 'commit' || o.t === 'abort') {
      const txn = open.get(o.txn)
      if (txn === undefined) continue
      txn.status = o.t === 'commit' ? 'committed' : 'aborted'
      part.endTransaction(txn)
      open.delete(o.txn)
    } else if (compaction) {
      part.compact(POLICY, 1)
    }
  }
  const lso = Math.min(part.nextOffset, ...model.filter(r => r.txn?.status === 'open').map(r => r.offset))
  const want = model.filter(r => r.offset < lso && (r.txn === null || r.txn.status === 'committed'))
  const got: LogRecord[] = []
  let position = 0
  for (let i = 0; ; i++) {
    const r = part.read(position, chunks[i % chunks.length], 'read_committed')
    got.push(...r.records)
    const moved = r.position !== position
    position = r.position
    if (!moved && r.records.length === 0) break
  }
  return { got, want, position, lso }
}

function fold (records: Array<{ key: string, value: string | null }>): Map<string, string> {
  const m = new Map<string, string>()
  for (const r of records) {
    if (r.value === null) m.delete(r.key)
    else m.set(r.key, r.value)
  }
  return m
}

describe('memory partition (property)', () => {
  it('read_committed returns exactly the committed records below the LSO, in order', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), (ops, chunks) => {
      const { got, want, position, lso } = run(ops, chunks, false)
      expect(got.map(r => r.offset)).to.deep.equal(want.map(r => r.offset))
      expect(got.map(r => r.value?.toString() ?? null)).to.deep.equal(want.map(r => r.value))
      expect(position).to.equal(lso)
    }), { numRuns: 300 })
  })

  it('compaction never changes the latest value per key a reader folds', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), (ops, chunks) => {
      const { got, want, position, lso } = run(ops, chunks, true)
      const offsets = got.map(r => r.offset)
      expect(offsets).to.deep.equal([...offsets].sort((a, b) => a - b))
      expect(fold(got.map(r => ({ key: r.key!.toString(), value: r.value?.toString() ?? null })))).to.deep.equal(fold(want))
      expect(position).to.equal(lso)
    }), { numRuns: 300 })
  })
})
