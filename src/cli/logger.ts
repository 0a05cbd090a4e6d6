import pino, { type Logger } from 'pino'
import { UsageError } from './cli-error.js'

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** One root logger per process (JSON to stderr, stdout stays for command output). */
export function createLogger (level: string | undefined, name: string): Logger {
  const l = level ?? 'info'
  if (!LEVELS.includes(l)) throw new UsageError(`--log-level: expected one of ${LEVELS.join(', ')}, got "${l}"`)
  return pino({ level: l, name, base: { pid: process.pid } }, pino.destination(2))
}
