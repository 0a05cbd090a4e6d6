import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadTopology } from '../topology/topology-spec.js'
import { applyTopology, checkTopology, describeDrift } from '../topology/topology.js'
import { parseFlags, resolve } from './flags.js'
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionsFrom, connectLog } from './connections.js'
import { createLogger } from './logger.js'
import { UsageError, EXIT_OK, EXIT_FAILURE } from './cli-error.js'

const DEFAULT_FILE = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'topology', 'topics.json')

export const TOPOLOGY_HELP = `Usage: volumer topology <apply|check> [options]

  apply   create missing topics and fix drifted configs (idempotent)
  check   report drift; exits 1 when there is any

${CONNECTION_HELP}  --file PATH            topology file (default topology/topics.json)
  --env NAME             environment in the file (VOLUMER_ENV; default local)
  --grow-partitions      apply: allow raising partition counts (moves keys between partitions)
  -h, --help
`

export async function topologyCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    ...CONNECTION_FLAGS,
    file: { type: 'string' },
    env: { type: 'string' },
    'grow-partitions': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  })
  if (values.help === true) { process.stdout.write(TOPOLOGY_HELP); return EXIT_OK }
  const action = positionals[0]
  if (action !== 'apply' && action !== 'check') throw new UsageError('expected "apply" or "check"')
  const conn = connectionsFrom(values)
  const logger = createLogger(conn.logLevel ?? 'warn', 'topology')
  const topology = await loadTopology(typeof values.file === 'string' ? values.file : DEFAULT_FILE, {
    environment: resolve(values, 'env', 'VOLUMER_ENV') ?? 'local',
    prefix: conn.topicPrefix
  })
  const log = await connectLog(conn, logger)
  const admin = await log.createAdmin()
  try {
    if (action === 'check') {
      const drift = await checkTopology(admin, topology)
      for (const d of drift) process.stdout.write(describeDrift(d) + '\n')
      process.stdout.write(drift.length === 0 ? 'topology: no drift\n' : `topology: ${drift.length} drift item(s)\n`)
      return drift.length === 0 ? EXIT_OK : EXIT_FAILURE
    }
    const result = await applyTopology(admin, topology, { growPartitions: values['grow-partitions'] === true })
    for (const t of result.created) process.stdout.write(`created ${t}\n`)
    for (const a of result.altered) process.stdout.write(`altered ${a.topic}: ${Object.entries(a.configs).map(([k, v]) => `${k}=${v}`).join(', ')}\n`)
    for (const g of result.grown) process.stdout.write(`grew ${g.topic}: ${g.from} -> ${g.to} partitions\n`)
    for (const u of result.unresolved) process.stdout.write(`left as is: ${describeDrift(u.item)} (${u.reason})\n`)
    process.stdout.write(`topology: applied (${result.created.length} created, ${result.altered.length} altered)\n`)
    return result.unresolved.length === 0 ? EXIT_OK : EXIT_FAILURE
  } finally {
    await admin.close()
    await log.close()
  }
}
