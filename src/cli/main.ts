import { pathToFileURL } from 'node:url'
import { isVolumerError } from '../errors.js'
import { UsageError, EXIT_USAGE, EXIT_FAILURE } from './cli-error.js'
import { statsCommand } from './stats-command.js'

type Command = (argv: string[]) => Promise<number>

interface CommandEntry { summary: string, load: () => Promise<Command> }

/** Subcommands load lazily so `volumer stats` never pays for the Kafka client or uWS. */
const COMMANDS: Record<string, CommandEntry> = {
  run: { summary: 'start the whole system in one process (embedded) with a live dashboard', load: async () => (await import('./run-command.js')).runCommand },
  stats: { summary: 'compute stats for swaps in a file or stdin at a given time', load: async () => statsCommand },
  topology: { summary: 'create or check the topics (topology/topics.json)', load: async () => (await import('./topology-command.js')).topologyCommand },
  registry: { summary: 'run the built-in Confluent-compatible schema registry', load: async () => (await import('./registry-command.js')).registryCommand },
  edge: { summary: 'serve stats over HTTP and WebSocket (tails the stats topic)', load: async () => (await import('./edge-command.js')).edgeCommand },
  processor: { summary: 'run a stream processor (consumer group member, exactly-once)', load: async () => (await import('./processor-command.js')).processorCommand },
  produce: { summary: 'send swaps to Kafka: an NDJSON file, the built-in generator, or a replay', load: async () => (await import('./produce-command.js')).produceCommand }
}

export function registerCommand (name: string, summary: string, load: () => Promise<Command>): void {
  COMMANDS[name] = { summary, load }
}

function help (): string {
  const names = Object.keys(COMMANDS)
  const width = Math.max(...names.map((n) => n.length))
  return `Usage: volumer <command> [options]

Live per-token DEX trading statistics from a stream of swaps.

Commands:
${names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`).join('\n')}

Run "volumer <command> --help" for a command's options.
`
}

export async function main (argv: string[]): Promise<number> {
  // `volumer stats … | head` closes the pipe early: that is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err })
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help())
    return name === undefined ? EXIT_USAGE : 0
  }
  const entry = COMMANDS[name]
  if (entry === undefined) {
    process.stderr.write(`volumer: unknown command "${name}"\n\n${help()}`)
    return EXIT_USAGE
  }
  try {
    const command = await entry.load()
    return await command(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`volumer ${name}: ${err.message}\n`)
      return EXIT_USAGE
    }
    if (isVolumerError(err)) {
      process.stderr.write(`volumer ${name}: ${err.code}: ${err.message}\n`)
      return EXIT_FAILURE
    }
    // the system refused a file or socket operation (a --data folder under a file, no
    // permission): its message names path and call; a stack would only say where we asked
    if (isSystemError(err)) {
      process.stderr.write(`volumer ${name}: ${err.message}\n`)
      return EXIT_FAILURE
    }
    throw err
  }
}

function isSystemError (err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string'
}

// run directly: `node --import tsx src/cli/main.ts ...`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2))
}
