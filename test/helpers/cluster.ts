/**
 * A private slice of the shared Kafka + Postgres for one test: topics under a random prefix
 * (topology/topics.json, "local"), a schema registry served in-process on port 0 with its
 * storage on the prefix's `_schemas` topic, and helpers to read the group's committed offsets.
 * `close()` deletes the topics, the consumer group and the group's checkpoint rows.
 *
 * Connection settings: VOLUMER_BROKERS (what `scripts/services.sh env` prints; its older name
 * VOLUMER_KAFKA_BROKERS is still read), default 127.0.0.1:19092; VOLUMER_PG_URL, default the project cluster on 55432.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import pg from 'pg'
import { createKafkaLog } from '../../src/log/kafka-log.js'
import type { Log } from '../../src/log/log.js'
import { createLogSchemaStorage } from '../../src/registry/log-schema-storage.js'
import { createRegistryServer, type RegistryServer } from '../../src/registry/registry-server.js'
import { createHttpSchemaRegistry, type SchemaRegistry } from '../../src/codec/index.js'
import { prefixedTopics } from '../../src/cli/connections.js'
import type { TopicNames } from '../../src/processor/topics.js'
import { applyTestTopology } from './log-fixture.js'

export const BROKERS = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'
export const PG_URL = process.env.VOLUMER_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/volumer'

export interface TestCluster {
  /** bootstrap servers of the Kafka the test runs on (BROKERS unless createTestCluster got others) */
  readonly brokers: string
  readonly prefix: string
  readonly group: string
  readonly topics: TopicNames
  readonly partitions: number
  /** Postgres the processors checkpoint to */
  readonly pgUrl: string
  readonly log: Log
  readonly registryUrl: string
  /** a client of the in-process registry (HTTP, like the processors use) */
  readonly registry: SchemaRegistry
  /** the group's committed offsets on the swaps topic, per partition (-1 = none) */
  committed (): Promise<number[]>
  /** end offsets (last stable offset) of a topic, per partition */
  ends (topic: string): Promise<number[]>
  /** resolves once every swaps partition's committed offset reached its end offset */
  waitCaughtUp (timeoutMs: number, onWait?: () => void): Promise<void>
  /** newest checkpoint row per partition: [partition, createdAt ms, inputOffset] */
  checkpoints (): Promise<Array<{ partition: number, createdAt: number, inputOffset: number }>>
  close (): Promise<void>
}

interface KafkaJsAdmin {
  connect (): Promise<void>
  disconnect (): Promise<void>
  fetchOffsets (o: { groupId: string, topics: string[] }): Promise<Array<{ topic: string, partitions: Array<{ partition: number, offset: string }> }>>
  deleteGroups (ids: string[]): Promise<unknown>
}

/** The client's KafkaJS-style admin: OffsetFetch by group id without joining the group. */
export function kafkaJsAdmin (brokers: string): KafkaJsAdmin {
  const require = createRequire(import.meta.url)
  const { KafkaJS } = require('@confluentinc/kafka-javascript') as { KafkaJS: { Kafka: new (c: unknown) => { admin (): KafkaJsAdmin }, logLevel: Record<string, number> } }
  return new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.ERROR } }).admin()
}

/**
 * `replicated`: the topics (and the registry's) with replication 3 and min.insync.replicas 2 (the
 * topology's "production" environment), for the three-broker cluster; else replication 1.
 */
export async function createTestCluster (opts: { name: string, partitions?: number, pgUrl?: string, brokers?: string, replicated?: boolean }): Promise<TestCluster> {
  const pgUrl = opts.pgUrl ?? PG_URL
  const brokers = opts.brokers ?? BROKERS
  const partitions = opts.partitions ?? 12
  const prefix = `${opts.name}-${randomBytes(4).toString('hex')}-`
  const group = prefix + 'processor'
  const topics = prefixedTopics(prefix)
  const log = await createKafkaLog({ brokers, clientId: 'volumer-test' })
  await applyTestTopology(log, prefix, partitions, opts.replicated === true ? 'production' : 'local')
  const server: RegistryServer = await createRegistryServer({ port: 0, storage: await createLogSchemaStorage({ log, topic: prefix + '_schemas', replicationFactor: opts.replicated === true ? 3 : 1 }) })
  const registry = createHttpSchemaRegistry({ url: server.url })
  const admin = kafkaJsAdmin(brokers)
  await admin.connect()
  const pool = new pg.Pool({ connectionString: pgUrl, max: 1 })
  pool.on('error', () => { /* the Postgres-restart test stops the server under an idle client */ })

  async function committed (): Promise<number[]> {
    const res = await admin.fetchOffsets({ groupId: group, topics: [topics.swaps] })
    const out = new Array<number>(partitions).fill(-1)
    for (const p of res[0]?.partitions ?? []) out[p.partition] = Number(p.offset)
    return out
  }

  async function ends (topic: string): Promise<number[]> {
    const a = await log.createAdmin()
    try {
      const offs = await a.offsets(topic, 'read_committed')
      const out: number[] = []
      for (const o of offs) out[o.partition] = o.high
      return out
    } finally { await a.close() }
  }

  return {
    brokers, prefix, group, topics, partitions, pgUrl, log, registry, registryUrl: server.url,
    committed,
    ends,
    async waitCaughtUp (timeoutMs, onWait) {
      const until = Date.now() + timeoutMs
      const end = await ends(topics.swaps)
      for (;;) {
        const c = await committed()
        if (end.every((e, p) => e === 0 || c[p] >= e)) return
        if (Date.now() > until) throw new Error(`timed out: committed ${JSON.stringify(c)} of ${JSON.stringify(end)}`)
        onWait?.()
        await sleep(200)
      }
    },
    async checkpoints () {
      const res = await pool.query<{ partition: number, created_at: Date | string | number, input_offset: string }>(
        `SELECT DISTINCT ON (partition) partition, created_at, input_offset FROM volumer_checkpoints WHERE group_id = $1 ORDER BY partition, input_offset DESC`, [group])
      return res.rows.map((r) => ({ partition: Number(r.partition), createdAt: new Date(r.created_at).getTime(), inputOffset: Number(r.input_offset) }))
    },
    async close () {
      await server.close().catch(() => {})
      const a = await log.createAdmin()
      try {
        await a.deleteTopics([topics.swaps, topics.dlq, topics.state, topics.stats, topics.candles, topics.candlesHistory, prefix + 'tokens', prefix + '_schemas'])
      } finally { await a.close() }
      await admin.deleteGroups([group]).catch(() => {})
      await admin.disconnect().catch(() => {})
      await pool.query('DELETE FROM volumer_checkpoints WHERE group_id = $1', [group]).catch(() => {})
      await pool.end().catch(() => {})
      await log.close()
    }
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `cond` every `everyMs` until it is true; throws naming `what` after `timeoutMs`. */
export async function waitUntil (cond: () => boolean | Promise<boolean>, what: string, timeoutMs: number, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting for ' + what)
    await sleep(everyMs)
  }
}
