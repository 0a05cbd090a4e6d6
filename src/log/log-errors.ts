import { VolumerError, type ErrorCode } from '../errors.js'

export interface LogErrorFlags {
  cause?: unknown
  /** the same call may succeed later (broker down, rebalance) */
  retriable?: boolean
  /** this client is unusable: close it and create a new one (e.g. fenced by a newer instance) */
  fatal?: boolean
  /** the open transaction cannot commit: abort it, then continue */
  abortable?: boolean
}

/**
 * Every failure of the log layer. Control flow reads the flags, never the message text,
 * as @confluentinc/kafka-javascript's own errors do.
 */
export class LogError extends VolumerError {
  readonly fatal: boolean
  readonly abortable: boolean

  constructor (code: ErrorCode, message: string, flags: LogErrorFlags = {}) {
    super(code, message, { cause: flags.cause, retriable: flags.retriable ?? false })
    this.name = 'LogError'
    this.fatal = flags.fatal ?? false
    this.abortable = flags.abortable ?? false
  }
}

export function isLogError (err: unknown): err is LogError {
  return err instanceof LogError
}

export function fencedError (transactionalId: string): LogError {
  return new LogError('FENCED',
    `producer "${transactionalId}" was fenced by a newer instance with the same transactional id`,
    { fatal: true })
}

export function closedError (what: string): LogError {
  return new LogError('LOG_CLOSED', `${what} is closed`, { fatal: true })
}
