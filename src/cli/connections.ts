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

/*
 * Defaults are the project's own services, so that after `make services-up` no command needs a
 * connection flag: scripts/kafka.sh listens on 19092, `volumer registry` on 18081,
 * scripts/postgres.sh on 55432 (test/cli/connection-defaults.test.ts holds them to the scripts).
 */
/** scripts/kafka.sh's listener at its default port */
export const DEFAULT_BROKERS = '127.0.0.1:19092'
/** `volumer registry`'s default port */
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:18081'
/** scripts/postgres.sh's cluster at its default port (trust auth, database volumer) */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:55432/volumer'

export const CONNECTION_HELP = `  --brokers LIST         Kafka/Redpanda bootstrap servers (VOLUMER_BROKERS, or its older name
                         VOLUMER_KAFKA_BROKERS; default ${DEFAULT_BROKERS}, scripts/kafka.sh)
  --registry URL         Confluent-compatible schema registry (VOLUMER_REGISTRY_URL; default ${DEFAULT_REGISTRY_URL}, volumer registry)
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
    // VOLUMER_KAFKA_BROKERS is what scripts/kafka.sh printed before it printed VOLUMER_BROKERS;
    // still read so an environment set up from the old output keeps working
    brokers: resolve(values, 'brokers', 'VOLUMER_BROKERS') ?? resolve({}, 'brokers', 'VOLUMER_KAFKA_BROKERS') ?? DEFAULT_BROKERS,
    registryUrl: resolve(values, 'registry', 'VOLUMER_REGISTRY_URL') ?? DEFAULT_REGISTRY_URL,
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
  // librdkafka's error events (a broker down, a coordinator moved) in the process's own log
  const log = await createKafkaLog({ brokers: c.brokers, sessionTimeoutMs: c.sessionTimeoutMs, transactionTimeoutMs: c.transactionTimeoutMs, logger })
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
export function prefixedTopics (prefix: string): { swaps: string, dlq: string, state: string, stats: string, candles: string, candlesHistory: string } {
  return { swaps: prefix + 'swaps', dlq: prefix + 'swaps-dlq', state: prefix + 'volumer-state', stats: prefix + 'stats', candles: prefix + 'candles', candlesHistory: prefix + 'candles-history' }
}
