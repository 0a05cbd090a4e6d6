/**
 * Rebalance callbacks run only inside poll() (issue #23, bug 1). librdkafka raises a rebalance
 * inside consume(), but the binding delivers it to JavaScript through its own uv_async
 * dispatcher, so it can arrive after consume()'s result, while the processor is between polls in
 * the middle of a transaction. The consumer used to start onRevoke right there, beside the main
 * loop: a revoke during a commit deleted a task the commit still read ("Cannot read properties
 * of undefined (reading 'position')"), and a rebuild seeked partitions being revoked ("seek:
 * Local: Erroneous state"), and the processor exited. Here the late delivery is made certain:
 * the test delays each of librdkafka's rebalance events by 150 ms on their way to the consumer,
 * while the member spends 400 ms between polls, as a slow commit would.
 * Needs `scripts/services.sh start` (Kafka 127.0.0.1:19092).
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { createKafkaLog, type KafkaLog } from '../../src/log/kafka-log.js'
import type { GroupConsumer } from '../../src/log/log.js'
import { BROKERS, sleep } from '../helpers/cluster.js'

describe('Kafka group consumer: rebalance callbacks only inside poll()', function () {
  this.timeout(120_000)
  let log: KafkaLog
  const topic = `pt-rebalance-${randomBytes(4).toString('hex')}`

  before(async () => {
    log = await createKafkaLog({ brokers: BROKERS, clientId: 'volumer-test' })
    const admin = await log.createAdmin()
    try { await admin.createTopics([{ name: topic, partitions: 4, replicationFactor: 1, configs: {} }]) } finally { await admin.close() }
  })
  after(async () => {
    const admin = await log.createAdmin()
    try { await admin.deleteTopics([topic]) } finally { await admin.close() }
    await log.close()
  })

  it('a rebalance event delivered between polls waits for the next poll', async () => {
    const group = topic + '-group'
    let inPoll = false
    let closing = false
    /** callbacks of member A, and whether A was inside poll() when each began */
    const calls: Array<{ what: string, partitions: number[], inPoll: boolean }> = []
    const a = await log.createConsumer({
      groupId: group,
      topics: [topic],
      onAssign: async (tps) => { calls.push({ what: 'assign', partitions: tps.map((t) => t.partition), inPoll }) },
      // close() hands the rest over itself, outside any poll: not what this test is about
      onRevoke: async (tps) => { if (!closing) calls.push({ what: 'revoke', partitions: tps.map((t) => t.partition), inPoll }) }
    })
    // the binding's late delivery, made certain
    const member = a as unknown as { rebalanceCallback: (err: unknown, assignment: unknown) => void }
    const deliver = member.rebalanceCallback.bind(a)
    member.rebalanceCallback = (err, assignment) => { setTimeout(() => deliver(err, assignment), 150) }

    let stop = false
    const pollA = async (): Promise<void> => {
      inPoll = true
      try { await a.poll(100, 10) } finally { inPoll = false }
    }
    // A's main loop: a short poll, then 400 ms "committing" outside poll()
    const loopA = (async () => {
      while (!stop) {
        await pollA()
        await sleep(400)
      }
    })()
    let b: GroupConsumer | undefined
    try {
      const until = Date.now() + 30_000
      while (a.assignment().length < 4 && Date.now() < until) await sleep(50)
      expect(a.assignment().length, 'A owns every partition').to.equal(4)
      // B joins (A gives up half), then leaves (A takes them back): revokes and assignments
      for (let round = 0; round < 2; round++) {
        const joined = b = await log.createConsumer({ groupId: group, topics: [topic] })
        const t = Date.now()
        while (Date.now() - t < 5000 && a.assignment().length === 4) await joined.poll(100, 100)
        while (Date.now() - t < 8000) await joined.poll(100, 100)
        await joined.close()
        b = undefined
        const t2 = Date.now()
        while (Date.now() - t2 < 15_000 && a.assignment().length < 4) await sleep(50)
      }
    } finally {
      stop = true
      await loopA
      await b?.close()
      closing = true
      await a.close()
    }
    const revokes = calls.filter((c) => c.what === 'revoke')
    expect(revokes.length, `A gave partitions up; its callbacks: ${JSON.stringify(calls)}`).to.be.at.least(2)
    const outside = calls.filter((c) => !c.inPoll)
    expect(outside, 'callbacks of A that began while it was between polls').to.deep.equal([])
  })
})
