import type { ErrorCode } from '../errors.js'
import { LogError } from './log-errors.js'

/**
 * The one place where librdkafka errors become LogErrors. librdkafka tells us `isFatal`,
 * `isRetriable` and `isTxnRequiresAbort` on transactional errors; the code picks the Volumer
 * code. Numbers are librdkafka's (negative: local, positive: broker protocol errors).
 */
const CODES = {
  ERR__TRANSPORT: -195,
  ERR__ALL_BROKERS_DOWN: -187,
  ERR__TIMED_OUT: -185,
  ERR__STATE: -172,
  ERR__FATAL: -150,
  ERR__FENCED: -144,
  ERR_UNKNOWN_TOPIC_OR_PART: 3,
  ERR_NOT_COORDINATOR: 16,
  ERR_ILLEGAL_GENERATION: 22,
  ERR_UNKNOWN_MEMBER_ID: 25,
  ERR_REBALANCE_IN_PROGRESS: 27,
  ERR_TOPIC_ALREADY_EXISTS: 36,
  ERR_INVALID_PRODUCER_EPOCH: 47,
  ERR_INVALID_TXN_STATE: 48,
  ERR_FENCED_INSTANCE_ID: 82,
  ERR_PRODUCER_FENCED: 90,
} as const

interface RdKafkaErrorLike {
  message?: string
  code?: number
  isFatal?: boolean
  isRetriable?: boolean
  isTxnRequiresAbort?: boolean
}

function volumerCode (code: number | undefined): ErrorCode {
  switch (code) {
    case CODES.ERR__FENCED:
    case CODES.ERR_PRODUCER_FENCED:
    case CODES.ERR_INVALID_PRODUCER_EPOCH:
    case CODES.ERR_FENCED_INSTANCE_ID:
      return 'FENCED'
    case CODES.ERR_ILLEGAL_GENERATION:
    case CODES.ERR_UNKNOWN_MEMBER_ID:
    case CODES.ERR_REBALANCE_IN_PROGRESS:
      return 'REBALANCE_IN_PROGRESS'
    case CODES.ERR__TRANSPORT:
    case CODES.ERR__ALL_BROKERS_DOWN:
    case CODES.ERR__TIMED_OUT:
    case CODES.ERR_NOT_COORDINATOR:
      return 'BROKER_UNAVAILABLE'
    case CODES.ERR_UNKNOWN_TOPIC_OR_PART:
      return 'UNKNOWN_TOPIC'
    case CODES.ERR_TOPIC_ALREADY_EXISTS:
      return 'TOPIC_EXISTS'
    case CODES.ERR__STATE:
    case CODES.ERR_INVALID_TXN_STATE:
      return 'TRANSACTION_STATE'
    default:
      return 'LOG_ERROR'
  }
}

/** converts anything a Kafka call threw or called back with; LogErrors pass through */
export function fromKafkaError (err: unknown, context: string): LogError {
  if (err instanceof LogError) return err
  const e = (err ?? {}) as RdKafkaErrorLike
  let code = volumerCode(e.code)
  const fatal = e.isFatal === true || code === 'FENCED'
  const abortable = !fatal && e.isTxnRequiresAbort === true
  if (code === 'LOG_ERROR' && abortable) code = 'TRANSACTION_ABORTABLE'
  const retriable = e.isRetriable === true || code === 'BROKER_UNAVAILABLE' || code === 'REBALANCE_IN_PROGRESS'
  return new LogError(code, `${context}: ${e.message ?? String(err)} (librdkafka code ${e.code ?? '?'})`,
    { cause: err, fatal, abortable, retriable })
}

/** wraps a node-style callback call into a promise of a converted error */
export function promised<T = void> (context: string, call: (cb: (err: any, value?: any) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      call((err, value) => {
        if (err !== null && err !== undefined) reject(fromKafkaError(err, context))
        else resolve(value as T)
      })
    } catch (err) {
      reject(fromKafkaError(err, context))
    }
  })
}

/**
 * librdkafka codes a dead broker or a moving group coordinator explains: Timed out (-185),
 * transport (-195), all brokers down (-187), COORDINATOR_LOAD_IN_PROGRESS (14),
 * COORDINATOR_NOT_AVAILABLE (15), NOT_COORDINATOR (16). The chaos test (issue #23) saw `committed`
 * and start-up `describe` calls fail on them while a broker was dead, and each failure ended the
 * processor.
 */
const TRANSIENT = new Set([-185, -195, -187, 14, 15, 16])
export const TRANSIENT_RETRY_MS = [500, 1000, 2000, 4000]

/**
 * For the group's committed offsets: about 2 minutes of waits (plus each call's own 10 s
 * timeout). The fetch is "stable" under read_committed: it waits until a previous owner's open
 * transaction is committed or aborted, which takes until its coordinator has moved off a dead
 * broker and timed the transaction out. In the chaos test (issue #23) that outlasted the short
 * schedule above by a minute while a restarted broker caught up under load, and the processor
 * failed in its rebalance. Kafka Streams likewise retries a task's timeouts for up to
 * task.timeout.ms (5 min, KIP-572) before failing; a processor waiting here reports it
 * (stall-watchdog.ts) and is not ready meanwhile.
 */
export const COMMITTED_RETRY_MS = [500, 1000, 2000, 4000, ...Array<number>(22).fill(5000)]

/** the error's librdkafka code is one of TRANSIENT */
function isTransient (err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } }).cause)?.code
  return typeof code === 'number' && TRANSIENT.has(code)
}

/**
 * `call` again after each delay of `retryMs` while it fails with an error `retriable` accepts
 * (by default a code of TRANSIENT)
 */
export async function retryTransient<T> (call: () => Promise<T>, retryMs: readonly number[] = TRANSIENT_RETRY_MS, retriable: (err: unknown) => boolean = isTransient): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (attempt >= retryMs.length || !retriable(err)) throw err
      await new Promise(resolve => setTimeout(resolve, retryMs[attempt]))
    }
  }
}

export const KAFKA_ERR = CODES
