/**
 * The log conformance suite on a real broker. Needs Kafka (or Redpanda) at VOLUMER_BROKERS
 * (default 127.0.0.1:19092): `scripts/kafka.sh start && scripts/kafka.sh wait`.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { createKafkaLog } from '../../src/log/kafka-log.js'
import { isLogError, type LogError } from '../../src/log/log-errors.js'
import { runLogConformance } from '../log/log-conformance.js'

const brokers = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'

runLogConformance(`kafka log (${brokers})`, {
  open: async () => createKafkaLog({ brokers, clientId: 'volumer-conformance' }),
  waitMs: 30_000,
})

describe('kafka log: zombie group member (KIP-447)', function () {
  this.timeout(90_000)

  it('refuses offsets from a member that was kicked out of the group, so its transaction cannot commit', async () => {
    // a member that stops polling for max.poll.interval.ms leaves the group, like a hung processor
    const log = await createKafkaLog({ brokers, clientId: 'volumer-zombie', rdkafka: { 'max.poll.interval.ms': 6000 } })
    const admin = await log.createAdmin()
    const suffix = randomBytes(4).toString('hex')
    const input = `zombie-in-${suffix}`
    const output = `zombie-out-${suffix}`
    const groupId = `zombie-group-${suffix}`
    try {
      await admin.createTopics([input, output].map(name => ({ name, partitions: 1, replicationFactor: 1, configs: {} })))
      const source = await log.createProducer()
      for (let i = 0; i < 5; i++) source.send({ topic: input, key: Buffer.from('k'), value: Buffer.from(String(i)) })
      await source.flush()

      const zombie = await log.createConsumer({ groupId, topics: [input] })
      const got: number[] = []
      await until(30_000, async () => {
        for (const b of await zombie.poll(10, 200)) got.push(...b.records.map(r => r.offset))
        return got.length === 5
      })
      const stale = zombie.groupMetadata()
      const heir = await log.createConsumer({ groupId, topics: [input] })
      await until(60_000, async () => {
        await heir.poll(10, 200)
        return heir.assignment().length === 1
      })

      const tx = await log.createTransactionalProducer({ transactionalId: `zombie-tx-${suffix}` })
      await tx.begin()
      tx.send({ topic: output, key: Buffer.from('k'), value: Buffer.from('from the zombie') })
      let error: unknown
      try {
        await tx.sendOffsets([{ topic: input, partition: 0, offset: 5 }], stale)
        await tx.commit()
      } catch (err) { error = err }
      expect(isLogError(error), String(error)).to.equal(true)
      const e = error as LogError
      // the same code and flags as the in-process log gives (test/log/memory-log.test.ts)
      expect(e.code, e.message).to.equal('REBALANCE_IN_PROGRESS')
      expect(e.abortable).to.equal(true)
      await tx.abort()
      expect((await heir.committed([{ topic: input, partition: 0 }]))[0].offset).to.equal(-1)
      const reader = await log.createReader({ partitions: [{ topic: output, partition: 0, from: 'earliest' }] })
      const out: string[] = []
      await until(30_000, async () => {
        for (const b of await reader.poll(10, 100)) out.push(...b.records.map(r => r.value!.toString()))
        return reader.isCaughtUp()
      })
      expect(out).to.deep.equal([])
      // the zombie finds out on its next poll: its partition is revoked as lost
      await zombie.close()
    } finally {
      await admin.deleteTopics([input, output]).catch(() => {})
      await log.close()
    }
  })
})

async function until (waitMs: number, step: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitMs
  while (!(await step())) if (Date.now() > deadline) throw new Error('timed out')
}
