/**
 * Every error Volumer raises or reports carries a stable code from this list.
 * Codes are never reused once retired; docs/errors.md documents each one (a test checks that).
 */
export const ERROR_CODES = [
  // swap validation (reject reasons: these also label DLQ records and metrics)
  'INVALID_JSON',
  'NOT_AN_OBJECT',
  'MISSING_FIELD',
  'BAD_TYPE',
  'BAD_SIDE',
  'BAD_AMOUNT',
  'BAD_TIME',
  'BAD_NUMBER',
  'OVERSIZE_FIELD',
  'OVERSIZE_RECORD',
  'FUTURE_TIME',
  'UNDECODABLE',
  'UNKNOWN_SCHEMA',
  // configuration and command line
  'BAD_CONFIG',
  'BAD_FLAG',
  'RUNTIME_UNSUPPORTED',
  // snapshots
  'BAD_SNAPSHOT',
  // log (Kafka adapter and in-process log); flags on LogError say how to react
  'FENCED',
  'REBALANCE_IN_PROGRESS',
  'BROKER_UNAVAILABLE',
  'TRANSACTION_ABORTABLE',
  'TRANSACTION_STATE',
  'UNKNOWN_TOPIC',
  'TOPIC_EXISTS',
  'LOG_CLOSED',
  'LOG_ERROR',
  // topology
  'BAD_TOPOLOGY',
  // schemas and the schema registry (src/codec, src/registry)
  'BAD_SCHEMA',
  'INCOMPATIBLE_SCHEMA',
  'REGISTRY_UNAVAILABLE',
  // checkpoint store (src/store)
  'STORE_UNAVAILABLE',
  'STORE_FAILED',
  // edge HTTP API (src/edge; status in docs/http-api.md)
  'NOT_FOUND',
  'BAD_PARAM',
  'TOO_MANY_IDS',
  'URI_TOO_LONG',
  'METHOD_NOT_ALLOWED',
  'NOT_READY',
  'UPGRADE_REQUIRED',
  'BAD_REQUEST',
  'INTERNAL',
  // edge WebSocket protocol (src/edge; docs/websocket.md)
  'BAD_MESSAGE',
  'UNKNOWN_OP',
  'BINARY_FRAME',
  'MESSAGE_TOO_LARGE',
  'RATE_LIMITED',
  'TOO_MANY_SUBSCRIPTIONS',
  'NOT_SUBSCRIBED',
  'SLOW_CONSUMER',
  // token metadata (the `tokens` topic, src/token; also INVALID_JSON … OVERSIZE_RECORD above)
  'BAD_DECIMALS',
  'BAD_URL',
  'KEY_MISMATCH',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** The swap reject reasons: the codes a record can carry into the DLQ (its header and metric label). */
export const DLQ_REASONS: readonly ErrorCode[] = ERROR_CODES.slice(0, ERROR_CODES.indexOf('UNKNOWN_SCHEMA') + 1)

export interface VolumerErrorOptions {
  cause?: unknown
  retriable?: boolean
}

export class VolumerError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean

  constructor (code: ErrorCode, message: string, options: VolumerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VolumerError'
    this.code = code
    this.retriable = options.retriable ?? false
  }
}

export function isVolumerError (err: unknown): err is VolumerError {
  return err instanceof VolumerError
}
