/**
 * Smoke test of the services the integration and e2e suites rely on, so that a broken machine
 * fails here with a plain message instead of deep inside a processor test:
 *
 *   - Kafka at VOLUMER_BROKERS (default 127.0.0.1:19092) through @confluentinc/kafka-javascript:
 *     create a topic, commit one transaction and abort another, and read back with read_committed
 *     (only the committed records, in order);
 *   - Postgres at VOLUMER_PG_URL (default postgres://postgres@127.0.0.1:55432/volumer) through pg.
 *
 * Start them first: `scripts/services.sh start` (see docs/services.md).
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import pg from 'pg'
import kafkaPkg from '@confluentinc/kafka-javascript'
import type { KafkaJS as KafkaJSTypes } from '@confluentinc/kafka-javascript'

const { Kafka, logLevel } = kafkaPkg.KafkaJS
const scripts = new URL('../../scripts/', import.meta.url).pathname

interface ScriptResult { code: number, out: string }

/** Runs scripts/<name>.sh and resolves with its exit code and combined output (never rejects). */
function script (name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile('bash', [join(scripts, `${name}.sh`), ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, out: stdout + stderr })
    })
  })
}

const brokers = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'
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

describe('services: scripts', function () {
  this.timeout(60_000)
  let dir: string
  let squatter: Server
  let port: number

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'volumer-services-'))
    // A listener that is not ours: both scripts must refuse to start on its port, and say so.
    squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve))
    port = (squatter.address() as { port: number }).port
  })

  after(async function () {
    await new Promise<void>((resolve) => squatter.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('kafka.sh start is idempotent on the running broker and status exits 0', async function () {
    // Only when the broker under test is the one these scripts manage.
    if ((await script('kafka', ['env'])).out.trim() !== `VOLUMER_BROKERS=${brokers}`) this.skip()
    const start = await script('kafka', ['start'])
    expect(start.code, start.out).to.equal(0)
    expect(start.out).to.match(/already running/)
    expect((await script('kafka', ['status'])).code).to.equal(0)
  })

  it('postgres.sh start is idempotent on the running cluster and prints the URL', async function () {
    if ((await script('postgres', ['env'])).out.trim() !== `VOLUMER_PG_URL=${pgUrl}`) this.skip()
    const start = await script('postgres', ['start'])
    expect(start.code, start.out).to.equal(0)
    expect(start.out).to.match(/already running/)
    expect(start.out).to.include(`VOLUMER_PG_URL=${pgUrl}`)
  })

  it('status exits 3 for a service that is not running', async function () {
    const env = { ...process.env, VOLUMER_RUN_DIR: dir, VOLUMER_PG_DATA: join(dir, 'pg') }
    expect((await script('kafka', ['status'], env)).code).to.equal(3)
    expect((await script('postgres', ['status'], env)).code).to.equal(3)
    expect((await script('registry', ['status'], env)).code).to.equal(3)
  })

  it('registry.sh starts `volumer registry` on its port against the broker, wait returns once it answers, stop ends it', async () => {
    const free = createServer()
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
    const p = (free.address() as { port: number }).port
    await new Promise<void>((resolve) => free.close(() => resolve()))
    const env = { ...process.env, VOLUMER_RUN_DIR: dir, VOLUMER_REGISTRY_PORT: String(p), VOLUMER_BROKERS: brokers }
    try {
      const start = await script('registry', ['start'], env)
      expect(start.code, start.out).to.equal(0)
      const wait = await script('registry', ['wait'], env)
      expect(wait.code, wait.out).to.equal(0)
      expect((await script('registry', ['status'], env)).code).to.equal(0)
      expect((await script('registry', ['env'], env)).out.trim()).to.equal(`VOLUMER_REGISTRY_URL=http://127.0.0.1:${p}`)
      const res = await fetch(`http://127.0.0.1:${p}/subjects`)
      expect(res.status).to.equal(200)
      expect((await script('registry', ['start'], env)).out).to.match(/already running/)
    } finally {
      const stop = await script('registry', ['stop'], env)
      expect(stop.code, stop.out).to.equal(0)
    }
    expect((await script('registry', ['status'], env)).code).to.equal(3)
  })

  it('registry.sh start refuses a port held by another process and names the port', async () => {
    const env = { ...process.env, VOLUMER_RUN_DIR: dir, VOLUMER_REGISTRY_PORT: String(port) }
    const r = await script('registry', ['start'], env)
    expect(r.code).to.equal(1)
    expect(r.out).to.include(`port ${port} is already in use`)
  })

  it('kafka.sh start refuses a port held by another process and names the port', async function () {
    const env = { ...process.env, VOLUMER_RUN_DIR: dir, VOLUMER_KAFKA_PORT: String(port) }
    const r = await script('kafka', ['start'], env)
    expect(r.code).to.equal(1)
    expect(r.out).to.include(`port ${port} is already in use`)
  })

  it('postgres.sh start refuses a port held by another process and creates no cluster', async function () {
    const env = { ...process.env, VOLUMER_RUN_DIR: dir, VOLUMER_PG_DATA: join(dir, 'pg'), VOLUMER_PG_PORT: String(port) }
    const r = await script('postgres', ['start'], env)
    expect(r.code).to.equal(1)
    expect(r.out).to.include(`port ${port} is already in use`)
    expect(existsSync(join(dir, 'pg'))).to.equal(false)
  })
})
