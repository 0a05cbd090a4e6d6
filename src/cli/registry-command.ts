import { createRegistryServer } from '../registry/registry-server.js'
import { createLogSchemaStorage } from '../registry/log-schema-storage.js'
import { parseFlags, resolve, intFlag, hostFlag } from './flags.js'
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionsFrom, connectLog, DEFAULT_REGISTRY_URL } from './connections.js'
import { orCloseOpened } from '../close-on-failure.js'
import { createLogger } from './logger.js'
import { EXIT_OK } from './cli-error.js'

export const REGISTRY_HELP = `Usage: volumer registry [options]

A small Confluent-compatible schema registry (the subset Volumer and its producers use), keeping
schemas in the compacted _schemas topic like Confluent's and Karapace's. For machines without a
registry of their own; Redpanda users use Redpanda's built-in one.

${CONNECTION_HELP}  --port N               HTTP port (VOLUMER_REGISTRY_PORT; default 18081)
  --host H               bind address (VOLUMER_REGISTRY_HOST; default 127.0.0.1)
  --memory               keep schemas in memory only (no broker needed; lost at exit)
  -h, --help
`

export async function registryCommand (argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONNECTION_FLAGS,
    port: { type: 'string' },
    host: { type: 'string' },
    memory: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, false)
  if (values.help === true) { process.stdout.write(REGISTRY_HELP); return EXIT_OK }
  const conn = connectionsFrom(values)
  const logger = createLogger(conn.logLevel, 'registry')
  const port = intFlag('port', resolve(values, 'port', 'VOLUMER_REGISTRY_PORT') ?? new URL(DEFAULT_REGISTRY_URL).port, 0, 65535)
  const host = hostFlag('host', resolve(values, 'host', 'VOLUMER_REGISTRY_HOST') ?? '127.0.0.1')
  const log = values.memory === true ? undefined : await connectLog(conn, logger)
  const storage = log === undefined ? undefined : await createLogSchemaStorage({ log, topic: conn.topicPrefix + '_schemas' })
  const server = await orCloseOpened(createRegistryServer({ port, host, storage, logger }), log === undefined ? [] : [log])
  logger.info({ port: server.port, host, storage: log === undefined ? 'memory' : conn.topicPrefix + '_schemas' }, 'schema registry listening')
  await new Promise<void>((resolve) => {
    const stop = (): void => { resolve() }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  await server.close()
  await log?.close()
  return EXIT_OK
}
