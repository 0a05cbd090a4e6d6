import type { ErrorCode } from '../errors.js'

/** The reject reasons the parser reports; FUTURE_TIME is the engine's decision, not the parser's. */
export type SwapRejectCode = Extract<ErrorCode,
  | 'INVALID_JSON'
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'BAD_TYPE'
  | 'BAD_SIDE'
  | 'BAD_AMOUNT'
  | 'BAD_TIME'
  | 'BAD_NUMBER'
  | 'OVERSIZE_FIELD'
  | 'OVERSIZE_RECORD'>

/**
 * Why a record is not a valid swap. A plain class, not an Error: bad input is ordinary on a
 * stream, so the parser returns one of these instead of throwing (no stack capture, no unwinding).
 * Callers tell it from a `Swap` with `isSwapReject` (or `instanceof SwapReject`); `ok` is always
 * `false` so JSON renderings of a reject (DLQ headers, logs) say so explicitly.
 */
export class SwapReject {
  readonly ok: false
  readonly code: SwapRejectCode
  readonly message: string
  /** the offending field, when the problem is one field */
  readonly field: string | undefined

  constructor (code: SwapRejectCode, message: string, field?: string) {
    this.ok = false
    this.code = code
    this.message = message
    this.field = field
  }
}

export function isSwapReject (value: unknown): value is SwapReject {
  return value instanceof SwapReject
}
