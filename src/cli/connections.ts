import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { Log } from '../log/log.js'
import { createHttpSchemaRegistry, type SchemaRegistry } from '../codec/index.js'
import { createPostgresCheckpointStore } from '../store/postgres-checkpoint-store.js'
import type { CheckpointStore } from '../store/checkpoint-store.js'
import type { SqlSession } from '../store/sql-session.js'
import { resolve, durationFlag } from './flags.js'
import { orCloseOpened } from '../close-on-failure.js'

/** Flags every distributed-mode command shares; each also reads its VOLUMER_* env var. */
export const CONNECTION_FLAGS = {
  brokers: { type: 'string' as const },
  registry: { type: 'string' as const },
  'topic-prefix': { type: 'string' as const },
  'session-timeout': { type: 'string' as const },
  'transaction-timeout': { type: 'string' as const },
  'log-level': { type: 'string' as const }
}

export const CONNECTION_HELP = `  --brokers LIST         Kafka/Redpanda bootstrap servers (VOLUMER_BROKERS; default 127.0.0.1:9092)
  --registry URL         Confluent-compatible schema registry (VOLUMER_REGISTRY_URL; default http://127.0.0.1:8081)
  --topic-prefix P       prefix of every topic name (VOLUMER_TOPIC_PREFIX; default none)
  --session-timeout D    consumer group session timeout: how fast a dead processor's partitions move
                         (VOLUMER_SESSION_TIMEOUT; default 3s; the broker's group.min.session.timeout.ms must allow it)
  --transaction-timeout D  how long the broker keeps a dead processor's open transaction before
                         aborting it; read_committed readers wait that long (VOLUMER_TRANSACTION_TIMEOUT; default 5s)
  --log-level L          fatal|error|warn|info|debug|trace|silent (VOLUMER_LOG_LEVEL; default info)
`

export interface Connections {
  brokers: string
  registryUrl: string
  topicPrefix: string
  sessionTimeoutMs: number
  transactionTimeoutMs: number
  logLevel: string | undefined
}

export function connectionsFrom (values: Record<string, unknown>): Connections {
  const session = resolve(values, 'session-timeout', 'VOLUMER_SESSION_TIMEOUT')
  return {
    brokers: resolve(values, 'brokers', 'VOLUMER_BROKERS') ?? '127.0.0.1:9092',
    registryUrl: resolve(values, 'registry', 'VOLUMER_REGISTRY_URL') ?? 'http://127.0.0.1:8081',
    topicPrefix: resolve(values, 'topic-prefix', 'VOLUMER_TOPIC_PREFIX') ?? '',
    sessionTimeoutMs: session === undefined ? 3000 : durationFlag('session-timeout', session),
    transactionTimeoutMs: durationFlag('transaction-timeout', resolve(values, 'transaction-timeout', 'VOLUMER_TRANSACTION_TIMEOUT') ?? '5s'),
    logLevel: resolve(values, 'log-level', 'VOLUMER_LOG_LEVEL')
  }
}

/**
 * Retries a start-up step with exponential backoff (0.5 s → 10 s), saying what it waits for,
 * so a processor started before its broker, registry or database comes up on its own.
 */
export async function retryStartup<T> (what: string, fn: () => Promise<T>, logger: Logger, signal?: AbortSignal): Promise<T> {
  let delay = 500
  const aborted = (): boolean => signal?.aborted === true
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (aborted()) throw err
      logger.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code }, attempt, retryInMs: delay }, `${what} unreachable; retrying`)
      // abortable, so SIGTERM during an outage stops the command at once
      await sleep(delay, undefined, { signal }).catch(() => {})
      if (aborted()) throw err
      delay = Math.min(delay * 2, 10_000)
    }
  }
}

export async function connectLog (c: Connections, logger: Logger, signal?: AbortSignal): Promise<Log> {
  const { createKafkaLog } = await import('../log/kafka-log.js')
  const log = await createKafkaLog({ brokers: c.brokers, sessionTimeoutMs: c.sessionTimeoutMs, transactionTimeoutMs: c.transactionTimeoutMs })
  // a metadata round trip proves the broker answers before anything else starts
  await orCloseOpened(retryStartup(`broker ${c.brokers}`, async () => {
    const admin = await log.createAdmin()
    try { await admin.listTopics() } finally { await admin.close() }
  }, logger, signal), [log])
  return log
}

export async function connectRegistry (c: Connections, logger: Logger, signal?: AbortSignal): Promise<SchemaRegistry> {
  const registry = createHttpSchemaRegistry({ url: c.registryUrl })
  await retryStartup(`schema registry ${c.registryUrl}`, async () => {
    const res = await fetch(new URL('/subjects', c.registryUrl), { signal: AbortSignal.timeout(5000) })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
  }, logger, signal)
  return registry
}

export async function connectStore (url: string, logger: Logger, signal?: AbortSignal, wrapSession?: (s: SqlSession) => SqlSession): Promise<CheckpointStore> {
  const store = createPostgresCheckpointStore({ url, logger, wrapSession })
  await orCloseOpened(retryStartup('postgres', async () => { await store.migrate() }, logger, signal), [store])
  return store
}

/** Topic names with the deployment's prefix. */
export function prefixedTopics (prefix: string): { swaps: string, dlq: string, state: string, stats: string } {
  return { swaps: prefix + 'swaps', dlq: prefix + 'swaps-dlq', state: prefix + 'volumer-state', stats: prefix + 'stats' }
}
