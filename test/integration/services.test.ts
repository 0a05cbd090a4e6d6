/**
 * Smoke test of the services the integration and e2e suites rely on, so that a broken machine
 * fails here with a plain message instead of deep inside a processor test:
 *
 *   - Kafka at VOLUMER_KAFKA_BROKERS (default 127.0.0.1:19092) through @confluentinc/kafka-javascript:
 *     create a topic, commit one transaction and abort another, and read back with read_committed
 *     (only the committed records, in order);
 *   - Postgres at VOLUMER_PG_URL (default postgres://postgres@127.0.0.1:55432/volumer) through pg.
 *
 * Start them first: `scripts/services.sh start` (see docs/services.md).
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import pg from 'pg'
import kafkaPkg from '@confluentinc/kafka-javascript'
import type { KafkaJS as KafkaJSTypes } from '@confluentinc/kafka-javascript'

const { Kafka, logLevel } = kafkaPkg.KafkaJS
const brokers = process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'
const pgUrl = process.env.VOLUMER_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/volumer'

describe(`services: kafka (${brokers})`, function () {
  this.timeout(60_000)
  const suffix = randomBytes(4).toString('hex')
  const topic = `volumer-smoke-${suffix}`
  const kafka = new Kafka({ kafkaJS: { brokers: brokers.split(','), clientId: 'volumer-smoke', logLevel: logLevel.ERROR } })
  let admin: KafkaJSTypes.Admin

  before(async function () {
    admin = kafka.admin()
    try {
      await admin.connect()
      await admin.listTopics({ timeout: 5_000 })
    } catch (err) {
      throw new Error(`no Kafka at ${brokers}: run scripts/services.sh start (${String(err)})`)
    }
  })

  after(async function () {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  })

  it('creates a topic', async function () {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] })
    expect(await admin.listTopics()).to.include(topic)
  })

  it('commits one transaction, aborts another, and read_committed sees only the committed one', async function () {
    const producer = kafka.producer({
      'linger.ms': 5,
      kafkaJS: { transactionalId: `volumer-smoke-${suffix}`, idempotent: true, maxInFlightRequests: 1 },
    })
    await producer.connect()
    try {
      const aborted = await producer.transaction()
      await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted-1' }, { key: 'k', value: 'aborted-2' }] })
      await aborted.abort()

      const committed = await producer.transaction()
      await committed.send({ topic, messages: [{ key: 'k', value: 'committed-1' }, { key: 'k', value: 'committed-2' }] })
      await committed.commit()
    } finally {
      await producer.disconnect()
    }

    const consumer = kafka.consumer({ kafkaJS: { groupId: `volumer-smoke-${suffix}`, fromBeginning: true, readUncommitted: false } })
    await consumer.connect()
    const seen: string[] = []
    try {
      await consumer.subscribe({ topics: [topic] })
      await new Promise<void>((resolve, reject) => {
        // Both committed records arrive after the aborted ones and their abort marker, so seeing
        // them proves the aborted records were filtered, not merely not yet fetched.
        const timer = setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(seen)}`)), 30_000)
        consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '<null>')
            if (seen.includes('committed-2')) { clearTimeout(timer); resolve() }
          },
        }).catch(reject)
      })
    } finally {
      await consumer.disconnect()
    }
    expect(seen).to.deep.equal(['committed-1', 'committed-2'])
  })
})

describe(`services: postgres (${pgUrl.replace(/:[^:@/]*@/, ':***@')})`, function () {
  this.timeout(20_000)
  let client: pg.Client

  before(async function () {
    client = new pg.Client({ connectionString: pgUrl })
    try {
      await client.connect()
    } catch (err) {
      throw new Error(`no Postgres at ${pgUrl}: run scripts/services.sh start (${String(err)})`)
    }
  })

  after(async function () {
    await client.end()
  })

  it('connects to the volumer database and round-trips a row in a transaction', async function () {
    const db = await client.query<{ db: string }>('SELECT current_database() AS db')
    expect(db.rows[0].db).to.equal('volumer')
    await client.query('BEGIN')
    try {
      await client.query('CREATE TEMP TABLE smoke (id int PRIMARY KEY, state bytea NOT NULL) ON COMMIT DROP')
      await client.query('INSERT INTO smoke VALUES ($1, $2)', [1, Buffer.from([0, 255, 7])])
      const row = await client.query<{ state: Buffer }>('SELECT state FROM smoke WHERE id = 1')
      expect([...row.rows[0].state]).to.deep.equal([0, 255, 7])
    } finally {
      await client.query('COMMIT')
    }
  })
})
