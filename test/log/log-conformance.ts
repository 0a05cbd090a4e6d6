/**
 * Behaviour every Log adapter must have, run against the in-process log (test/log/memory-log.test.ts)
 * and against Kafka (test/integration/log-kafka.test.ts). Topic names are unique per test so a
 * shared broker needs no cleanup between runs.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { isLogError } from '../../src/log/log-errors.js'
import type { GroupConsumer, Log, LogRecord, PartitionBatch, Reader, TopicPartition } from '../../src/log/log.js'
import { partitionForKey } from '../../src/log/murmur2.js'

export interface ConformanceOptions {
  /** a fresh log (or a client of the shared broker) for each test */
  readonly open: () => Promise<Log>
  /** how long a test may wait for something the log does asynchronously (group joins etc.) */
  readonly waitMs: number
  readonly replicationFactor?: number
}

const buf = (s: string): Buffer => Buffer.from(s)
const str = (b: Buffer | null): string | null => b === null ? null : b.toString()

async function until (what: string, waitMs: number, step: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitMs
  while (!(await step())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
  }
}

/** reads until the reader is caught up; returns what it read */
async function drain (reader: Reader, waitMs: number): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  await until('reader caught up', waitMs, async () => {
    for (const b of await reader.poll(1000, 100)) out.push(...b.records)
    return reader.isCaughtUp()
  })
  return out
}

function flat (batches: PartitionBatch[]): LogRecord[] {
  return batches.flatMap(b => b.records)
}

export function runLogConformance (name: string, options: ConformanceOptions): void {
  const { waitMs } = options
  const rf = options.replicationFactor ?? 1

  describe(`Log conformance: ${name}`, function () {
    this.timeout(waitMs * 4)
    let log: Log
    let closers: Array<() => Promise<void>>
    let created: string[]
    const topic = (label: string): string => `conf-${label}-${randomBytes(4).toString('hex')}`

    async function createTopic (label: string, partitions: number, configs: Record<string, string> = {}): Promise<string> {
      const t = topic(label)
      const admin = await log.createAdmin()
      created.push(t)
      try {
        await admin.createTopics([{ name: t, partitions, replicationFactor: rf, configs }])
        await until(`topic ${t}`, waitMs, async () => (await admin.describeTopics([t])).length === 1)
      } finally {
        await admin.close()
      }
      return t
    }

    function closing<T extends { close (): Promise<void> }> (x: T): T {
      closers.push(() => x.close())
      return x
    }

    beforeEach(async () => {
      log = await options.open()
      closers = []
      created = []
    })

    afterEach(async () => {
      for (const c of closers.reverse()) await c().catch(() => {})
      const admin = await log.createAdmin()
      await admin.deleteTopics(created)
      expect(await admin.describeTopics(created)).to.deep.equal([])
      await admin.close()
      await log.close()
    })

    it('keeps per-partition order and puts a key on its murmur2 partition', async () => {
      const t = await createTopic('order', 3)
      const producer = closing(await log.createProducer())
      const keys = ['ethereum:0xa', 'ethereum:0xb', 'solana:So1', 'ethereum:0xc']
      for (let i = 0; i < 40; i++) producer.send({ topic: t, key: buf(keys[i % 4]), value: buf(String(i)) })
      await producer.flush()
      const reader = closing(await log.createReader({ partitions: [0, 1, 2].map(p => ({ topic: t, partition: p, from: 'earliest' as const })) }))
      const records = await drain(reader, waitMs)
      expect(records).to.have.length(40)
      const lastOffset = new Map<number, number>()
      const seen = new Map<string, number[]>()
      for (const r of records) {
        expect(r.partition).to.equal(partitionForKey(r.key!, 3))
        expect(r.offset).to.be.greaterThan(lastOffset.get(r.partition) ?? -1)
        lastOffset.set(r.partition, r.offset)
        const k = str(r.key)!
        seen.set(k, [...(seen.get(k) ?? []), Number(str(r.value))])
      }
      for (const [i, k] of keys.entries()) {
        expect(seen.get(k)).to.deep.equal([...Array(10).keys()].map(j => j * 4 + i))
      }
    })

    it('shows a transaction to read_committed readers only once committed, and never an aborted one', async () => {
      const t = await createTopic('txn', 1)
      const producer = closing(await log.createTransactionalProducer({ transactionalId: topic('tx') }))
      await producer.begin()
      for (let i = 0; i < 5; i++) producer.send({ topic: t, key: buf('k' + i), value: buf('committed-' + i) })
      const early = closing(await log.createReader({ partitions: [{ topic: t, partition: 0, from: 'earliest' }] }))
      expect(flat(await early.poll(100, 300))).to.have.length(0)
      await producer.commit()

      await producer.begin()
      for (let i = 0; i < 5; i++) producer.send({ topic: t, key: buf('k' + i), value: buf('aborted-' + i) })
      await producer.abort()
      await producer.begin()
      producer.send({ topic: t, key: buf('last'), value: buf('committed-last') })
      await producer.commit()

      const reader = closing(await log.createReader({ partitions: [{ topic: t, partition: 0, from: 'earliest' }] }))
      const values = (await drain(reader, waitMs)).map(r => str(r.value))
      expect(values).to.deep.equal(['committed-0', 'committed-1', 'committed-2', 'committed-3', 'committed-4', 'committed-last'])
      // the early reader sees the same once the commit has happened
      const later: LogRecord[] = []
      await until('early reader sees committed records', waitMs, async () => {
        later.push(...flat(await early.poll(100, 100)))
        return later.length >= 6
      })
      expect(later.map(r => str(r.value))).to.deep.equal(values)
    })

    it('resumes a restarted group member after the offsets committed in a transaction (offset + 1)', async () => {
      const input = await createTopic('in', 1)
      const output = await createTopic('out', 1)
      const groupId = topic('group')
      const source = closing(await log.createProducer())
      for (let i = 0; i < 10; i++) source.send({ topic: input, key: buf('k'), value: buf(String(i)) })
      await source.flush()
      const producer = closing(await log.createTransactionalProducer({ transactionalId: topic('tx') }))

      const runCycle = async (consumer: GroupConsumer, want: number, commit: boolean): Promise<LogRecord[]> => {
        const got: LogRecord[] = []
        await until(`${want} records`, waitMs, async () => {
          got.push(...flat(await consumer.poll(want - got.length, 200)))
          return got.length >= want
        })
        await producer.begin()
        for (const r of got) producer.send({ topic: output, key: r.key, value: r.value })
        const last = got[got.length - 1]
        await producer.sendOffsets([{ topic: input, partition: 0, offset: last.offset + 1 }], consumer.groupMetadata())
        if (commit) await producer.commit()
        else await producer.abort()
        return got
      }

      const first = await log.createConsumer({ groupId, topics: [input] })
      const a = await runCycle(first, 4, true)
      expect(a.map(r => str(r.value))).to.deep.equal(['0', '1', '2', '3'])
      const b = await runCycle(first, 3, false) // aborted: its offsets must not count
      expect(b.map(r => str(r.value))).to.deep.equal(['4', '5', '6'])
      expect((await first.committed([{ topic: input, partition: 0 }]))[0].offset).to.equal(a[3].offset + 1)
      await first.close()

      const second = closing(await log.createConsumer({ groupId, topics: [input] }))
      const c = await runCycle(second, 6, true)
      expect(c.map(r => str(r.value))).to.deep.equal(['4', '5', '6', '7', '8', '9'])

      const reader = closing(await log.createReader({ partitions: [{ topic: output, partition: 0, from: 'earliest' }] }))
      expect((await drain(reader, waitMs)).map(r => str(r.value))).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    })

    it('fences a zombie producer when a newer one takes its transactional id', async () => {
      const t = await createTopic('fence', 1)
      const tid = topic('tx')
      const zombie = closing(await log.createTransactionalProducer({ transactionalId: tid }))
      await zombie.begin()
      zombie.send({ topic: t, key: buf('k'), value: buf('zombie') })
      const successor = closing(await log.createTransactionalProducer({ transactionalId: tid }))
      let error: unknown
      try {
        zombie.send({ topic: t, key: buf('k'), value: buf('zombie-2') })
        await zombie.commit()
      } catch (err) {
        error = err
      }
      expect(isLogError(error), String(error)).to.equal(true)
      expect(isLogError(error) && error.code).to.equal('FENCED')
      expect(isLogError(error) && error.fatal).to.equal(true)
      await successor.begin()
      successor.send({ topic: t, key: buf('k'), value: buf('successor') })
      await successor.commit()
      const reader = closing(await log.createReader({ partitions: [{ topic: t, partition: 0, from: 'earliest' }] }))
      expect((await drain(reader, waitMs)).map(r => str(r.value))).to.deep.equal(['successor'])
    })

    it('splits partitions between two group members and hands them over through revoke/assign', async () => {
      const t = await createTopic('rebalance', 4)
      const groupId = topic('group')
      const events: string[] = []
      const owned = [new Set<number>(), new Set<number>()]
      const member = (i: number): Promise<GroupConsumer> => log.createConsumer({
        groupId,
        topics: [t],
        onAssign: async (tps: TopicPartition[]) => {
          for (const tp of tps) {
            for (const o of owned) expect(o.has(tp.partition), `partition ${tp.partition} owned twice`).to.equal(false)
            owned[i].add(tp.partition)
          }
          events.push(`assign${i}:${tps.map(tp => tp.partition).sort().join(',')}`)
        },
        onRevoke: async (tps: TopicPartition[]) => {
          for (const tp of tps) owned[i].delete(tp.partition)
          events.push(`revoke${i}:${tps.map(tp => tp.partition).sort().join(',')}`)
        },
      })
      const c0 = closing(await member(0))
      await until('member 0 owns all', waitMs, async () => {
        await c0.poll(10, 100)
        return c0.assignment().length === 4
      })
      const c1 = closing(await member(1))
      await until('two members with two partitions each', waitMs, async () => {
        await Promise.all([c0.poll(10, 100), c1.poll(10, 100)])
        return c0.assignment().length === 2 && c1.assignment().length === 2
      })
      const union = new Set([...c0.assignment(), ...c1.assignment()].map(tp => tp.partition))
      expect([...union].sort()).to.deep.equal([0, 1, 2, 3])
      expect(events.some(e => e.startsWith('revoke0:'))).to.equal(true)
      await c1.close()
      await until('member 0 owns all again', waitMs, async () => {
        await c0.poll(10, 100)
        return c0.assignment().length === 4
      })
      expect(owned[1].size).to.equal(0)
    })

    it('commits offsets in a transaction inside onRevoke, and the next owner resumes exactly there', async () => {
      const t = await createTopic('handover', 2)
      const out = await createTopic('handover-out', 1)
      const groupId = topic('group')
      const source = closing(await log.createProducer())
      for (let p = 0; p < 2; p++) for (let i = 0; i < 5; i++) source.send({ topic: t, partition: p, key: buf('k'), value: buf(`old-${p}-${i}`) })
      await source.flush()
      const tx = closing(await log.createTransactionalProducer({ transactionalId: topic('tx') }))
      let c0: GroupConsumer | null = null
      const revoked: number[] = []
      c0 = closing(await log.createConsumer({
        groupId,
        topics: [t],
        onRevoke: async tps => {
          // the processor's hand-over: finish the cycle with the revoked partitions' offsets
          await tx.begin()
          tx.send({ topic: out, key: buf('k'), value: buf('handover') })
          await tx.sendOffsets(tps.map(tp => ({ ...tp, offset: c0!.position(tp) })), c0!.groupMetadata())
          await tx.commit()
          revoked.push(...tps.map(tp => tp.partition))
        },
      }))
      const first: LogRecord[] = []
      await until('c0 reads everything', waitMs, async () => {
        first.push(...flat(await c0!.poll(100, 100)))
        return first.length === 10
      })
      const c1 = closing(await log.createConsumer({ groupId, topics: [t] }))
      const late: LogRecord[] = []
      await until('one partition each', waitMs, async () => {
        const [, b] = await Promise.all([c0!.poll(100, 100), c1.poll(100, 100)])
        late.push(...flat(b))
        return c0!.assignment().length === 1 && c1.assignment().length === 1
      })
      expect(revoked).to.have.length(1)
      const mine = c1.assignment()[0].partition
      expect(mine).to.equal(revoked[0])
      source.send({ topic: t, partition: mine, key: buf('k'), value: buf('new') })
      await source.flush()
      await until('the new record', waitMs, async () => {
        const [, b] = await Promise.all([c0!.poll(100, 100), c1.poll(100, 100)])
        late.push(...flat(b))
        return late.length >= 1
      })
      expect(late.map(r => str(r.value))).to.deep.equal(['new'])
    })

    it('starts partitions at offsets from onAssign (checkpoint restore), else at the committed offset; seek, pause, resume', async () => {
      const t = await createTopic('assign', 2)
      const groupId = topic('group')
      const producer = closing(await log.createProducer())
      for (let i = 0; i < 5; i++) producer.send({ topic: t, partition: 0, key: buf('k'), value: buf(String(i)) })
      for (let i = 0; i < 3; i++) producer.send({ topic: t, partition: 1, key: buf('k'), value: buf('p1-' + i) })
      await producer.flush()
      const c = closing(await log.createConsumer({
        groupId, topics: [t], onAssign: async tps => tps.filter(tp => tp.partition === 0).map(tp => ({ ...tp, offset: 3 })),
      }))
      const got: LogRecord[] = []
      await until('5 records', waitMs, async () => {
        got.push(...flat(await c.poll(10, 100)))
        return got.length >= 4
      })
      expect(got.filter(r => r.partition === 0).map(r => str(r.value))).to.deep.equal(['3', '4'])
      expect(got.filter(r => r.partition === 1).map(r => str(r.value))).to.deep.equal(['p1-0', 'p1-1', 'p1-2'])
      const p0 = { topic: t, partition: 0 }
      const p1 = { topic: t, partition: 1 }
      expect(c.position(p0)).to.equal(5)
      expect(c.position(p1)).to.equal(3)
      c.pause([p1])
      c.seek({ ...p0, offset: 1 })
      const again: LogRecord[] = []
      await until('re-read after seek', waitMs, async () => {
        again.push(...flat(await c.poll(10, 100)))
        return again.length >= 4
      })
      expect(again.map(r => str(r.value))).to.deep.equal(['1', '2', '3', '4'])
      producer.send({ topic: t, partition: 1, key: buf('k'), value: buf('p1-3') })
      await producer.flush()
      expect(flat(await c.poll(10, 300))).to.deep.equal([])
      c.resume([p1])
      const resumed: LogRecord[] = []
      await until('resumed partition', waitMs, async () => {
        resumed.push(...flat(await c.poll(10, 100)))
        return resumed.length >= 1
      })
      expect(resumed.map(r => str(r.value))).to.deep.equal(['p1-3'])
    })

    it('lets the latest value per key win on a compacted topic, tombstones included', async () => {
      const t = await createTopic('compact', 1, { 'cleanup.policy': 'compact' })
      const producer = closing(await log.createProducer())
      for (let i = 0; i < 20; i++) producer.send({ topic: t, key: buf('k' + (i % 4)), value: buf(String(i)) })
      producer.send({ topic: t, key: buf('k0'), value: null })
      await producer.flush()
      const reader = closing(await log.createReader({ partitions: [{ topic: t, partition: 0, from: 'earliest' }] }))
      const state = new Map<string, string>()
      for (const r of await drain(reader, waitMs)) {
        if (r.value === null) state.delete(str(r.key)!)
        else state.set(str(r.key)!, str(r.value)!)
      }
      expect(Object.fromEntries(state)).to.deep.equal({ k1: '17', k2: '18', k3: '19' })
    })

    it('tells a tail reader when it has caught up, not counting an open transaction', async () => {
      const t = await createTopic('tail', 2)
      const producer = closing(await log.createTransactionalProducer({ transactionalId: topic('tx') }))
      await producer.begin()
      for (let i = 0; i < 6; i++) producer.send({ topic: t, key: buf('k' + i), value: buf('v' + i) })
      await producer.commit()
      await producer.begin()
      producer.send({ topic: t, key: buf('k0'), value: buf('open') })
      const reader = closing(await log.createReader({ partitions: [0, 1].map(p => ({ topic: t, partition: p, from: 'earliest' as const })) }))
      const records = await drain(reader, waitMs)
      expect(records.map(r => str(r.value)).sort()).to.deep.equal(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
      expect(reader.isCaughtUp()).to.equal(true)
      await producer.abort()
      // an empty topic's reader is caught up at once, one from 'latest' too
      const empty = await createTopic('empty', 1)
      const r2 = closing(await log.createReader({ partitions: [{ topic: empty, partition: 0, from: 'earliest' }] }))
      await drain(r2, waitMs)
      expect(r2.isCaughtUp()).to.equal(true)
    })

    it('describes, alters and grows topics through the admin', async () => {
      const t = await createTopic('admin', 2, { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '1000' })
      const admin = closing(await log.createAdmin())
      const [d] = await admin.describeTopics([t, topic('missing')])
      expect(d.name).to.equal(t)
      expect(d.partitions).to.equal(2)
      expect(d.configs['cleanup.policy']).to.equal('compact')
      expect(d.configs['min.compaction.lag.ms']).to.equal('1000')
      await admin.alterConfigs(t, { 'min.compaction.lag.ms': '2000' })
      await admin.createPartitions(t, 4)
      await until('altered topic', waitMs, async () => {
        const [d2] = await admin.describeTopics([t])
        return d2.partitions === 4 && d2.configs['min.compaction.lag.ms'] === '2000' && d2.configs['cleanup.policy'] === 'compact'
      })
      expect(await admin.listTopics()).to.include(t)
      const offsets = await admin.offsets(t)
      expect(offsets.map(o => o.partition).sort()).to.deep.equal([0, 1, 2, 3])
      let error: unknown
      try {
        await admin.createTopics([{ name: t, partitions: 1, replicationFactor: rf, configs: {} }])
      } catch (err) { error = err }
      expect(isLogError(error) && error.code).to.equal('TOPIC_EXISTS')
    })
  })
}
