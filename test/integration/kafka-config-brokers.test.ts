/**
 * Topic configs (kafka-config-protocol.ts) with a bootstrap list whose first broker is down, as a
 * processor starting while node 1 of a cluster is dead (issue #23, chaos test: it failed with
 * `config request to 127.0.0.1:29092 failed: connect ECONNREFUSED` for as long as that node was
 * down). The dead broker is a closed port on this machine; the live one is the test broker
 * (VOLUMER_BROKERS, default 127.0.0.1:19092).
 */
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { createKafkaLog } from '../../src/log/kafka-log.js'
import { KafkaConfigClient } from '../../src/log/kafka-config-protocol.js'
import type { Log } from '../../src/log/log.js'
import { isLogError } from '../../src/log/log-errors.js'

const live = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'

/** a port nothing listens on: taken from the OS, then released */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('topic configs with a dead first bootstrap broker (kafka)', function () {
  this.timeout(60_000)
  const topic = 'config-brokers-' + randomBytes(4).toString('hex')
  let dead: string
  let setup: Log

  before(async () => {
    dead = '127.0.0.1:' + String(await closedPort())
    setup = await createKafkaLog({ brokers: live, clientId: 'volumer-config-brokers-test' })
    const admin = await setup.createAdmin()
    await admin.createTopics([{ name: topic, partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '3600000' } }])
  })

  after(async () => {
    const admin = await setup.createAdmin()
    await admin.deleteTopics([topic]).catch(() => {})
    await setup.close()
  })

  it('describes and sets a topic config through the next broker in the list', async () => {
    const log = await createKafkaLog({ brokers: `${dead},${live}`, clientId: 'volumer-config-brokers-test' })
    try {
      const admin = await log.createAdmin()
      const [d] = await admin.describeTopics([topic])
      expect(d.configs['retention.ms']).to.equal('3600000')
      await admin.alterConfigs(topic, { 'retention.ms': '7200000' })
      const [after] = await admin.describeTopics([topic])
      expect(after.configs['retention.ms']).to.equal('7200000')
    } finally {
      await log.close()
    }
  })

  it('names every broker when none answers', async () => {
    const other = '127.0.0.1:' + String(await closedPort())
    const client = new KafkaConfigClient(`${dead},${other}`, 'volumer-config-brokers-test', 2000)
    const err = await client.describeTopicConfigs([topic]).then(() => null, (e: unknown) => e)
    expect(isLogError(err) && err.code === 'BROKER_UNAVAILABLE', String(err)).to.equal(true)
    expect((err as Error).message).to.include(dead).and.to.include(other)
  })
})
