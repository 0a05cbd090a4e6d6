import { isVolumerError } from '../errors.js'
import type { Log } from '../log/log.js'
import type { SchemaRecord, SchemaStorage } from './schema-record.js'
import { isCompatibilityLevel } from './schema-record.js'

/**
 * Registry storage on a compacted, single-partition topic through the log port, with
 * Confluent's `_schemas` key/value layout (see schema-record.ts), so the same topic works on
 * the in-process log and on Kafka/Redpanda. One registry process writes it at a time.
 */
export interface LogSchemaStorageOptions {
  log: Log
  /** default `_schemas` */
  topic?: string
  /** replication factor when the topic has to be created; default 1 */
  replicationFactor?: number
}

export async function createLogSchemaStorage (opts: LogSchemaStorageOptions): Promise<SchemaStorage> {
  const { log, topic = '_schemas', replicationFactor = 1 } = opts
  const admin = await log.createAdmin()
  try {
    if ((await admin.describeTopics([topic])).length === 0) {
      await admin.createTopics([{ name: topic, partitions: 1, replicationFactor, configs: { 'cleanup.policy': 'compact' } }])
        .catch((err: unknown) => { if (!(isVolumerError(err) && err.code === 'TOPIC_EXISTS')) throw err })
    }
  } finally {
    await admin.close()
  }
  const producer = await log.createProducer()

  return {
    async load () {
      const reader = await log.createReader({ partitions: [{ topic, partition: 0, from: 'earliest' }] })
      const out: SchemaRecord[] = []
      try {
        while (!reader.isCaughtUp()) {
          for (const batch of await reader.poll(1000, 100)) {
            for (const r of batch.records) {
              const rec = decode(r.key, r.value)
              if (rec !== undefined) out.push(rec)
            }
          }
        }
      } finally {
        await reader.close()
      }
      return out
    },
    async append (record) {
      const [key, value] = encode(record)
      producer.send({ topic, partition: 0, key: Buffer.from(key), value: Buffer.from(value) })
      await producer.flush()
    },
    async close () {
      await producer.close()
    },
  }
}

function encode (r: SchemaRecord): [string, string] {
  if (r.kind === 'config') {
    return [JSON.stringify({ keytype: 'CONFIG', subject: r.subject, magic: 0 }), JSON.stringify({ compatibilityLevel: r.compatibility })]
  }
  return [
    JSON.stringify({ keytype: 'SCHEMA', subject: r.subject, version: r.version, magic: 1 }),
    JSON.stringify({ subject: r.subject, version: r.version, id: r.id, schema: r.schema, deleted: r.deleted }),
  ]
}

// Records of other key types (NOOP, DELETE_SUBJECT, ...) or tombstones are skipped: this
// registry neither writes nor needs them.
function decode (key: Buffer | null, value: Buffer | null): SchemaRecord | undefined {
  if (key === null || value === null) return undefined
  const k = JSON.parse(key.toString('utf8')) as { keytype?: string, subject?: string | null }
  const v = JSON.parse(value.toString('utf8')) as Record<string, unknown>
  if (k.keytype === 'CONFIG' && isCompatibilityLevel(v.compatibilityLevel)) {
    return { kind: 'config', subject: k.subject ?? null, compatibility: v.compatibilityLevel }
  }
  if (k.keytype === 'SCHEMA' && typeof v.subject === 'string' && typeof v.version === 'number' && typeof v.id === 'number' && typeof v.schema === 'string') {
    return { kind: 'schema', subject: v.subject, version: v.version, id: v.id, schema: v.schema, deleted: v.deleted === true }
  }
  return undefined
}
