import { BUY, SELL, type Side, type Swap } from './swap.js'
import { parseDecimal18, type Decimal18, type DecimalParseFailure } from './decimal18.js'
import { parseBlockTime } from './block-time.js'
import { SwapReject } from './swap-reject.js'

/**
 * Parse and validate one swap in its canonical JSON form (SPEC section 2):
 *
 *   {"id":"0x64df…:4","chain":"ethereum","blockNumber":12634810,"logIndex":2000,
 *    "blockTime":"2021-06-16T01:51:54.000Z","token":"0xdf4e…","quoteToken":"0xc02a…",
 *    "pool":"0x8c4f…","trader":"0xe4dc…","side":"SELL","amount":"1.6552301435347717",
 *    "amountUsd":"144.434107"}
 *
 * Rules (docs/errors.md lists the codes):
 * - strings (`id chain token trader`, optional `quoteToken pool`): non-empty, no control
 *   characters (C0, DEL, C1), no unpaired UTF-16 surrogates (they cannot be encoded as UTF-8, so
 *   the same id would differ between the JSON and the Avro path), at most FIELD_LIMITS UTF-16
 *   code units. Kept exactly as given: `chain` and `token` are case-sensitive identifiers
 *   (Solana mints are case-sensitive base58; lower-casing EVM addresses is the producer's job).
 * - `null` means absent: an optional field may be null, a required one null is MISSING_FIELD.
 * - `blockNumber`, `logIndex`: JSON numbers that are non-negative safe integers; -0 is rejected.
 *   The value counts, not the spelling: `1e3` and `1000.0` are 1000 once JSON.parse has run.
 * - `blockTime`: ISO 8601 UTC string or integer ms (see block-time.ts).
 * - `side`: exactly "BUY" or "SELL", case-sensitive (the canonical form; "buy" is BAD_SIDE).
 * - `amount`, `amountUsd`: decimal STRINGS, > 0, at most 18 integer and 18 fraction digits
 *   (see decimal18.ts); a JSON number is BAD_TYPE because its precision is already gone.
 * - the whole record: at most MAX_RECORD_BYTES of UTF-8, checked before JSON.parse.
 * - unknown fields are ignored; a duplicated key keeps its last value (JSON.parse semantics).
 */

/** Largest record, in UTF-8 bytes. */
export const MAX_RECORD_BYTES = 64 * 1024

/** Longest string field values, in UTF-16 code units (JS string length). */
export const FIELD_LIMITS = Object.freeze({
  id: 256,
  chain: 32,
  token: 128,
  quoteToken: 128,
  pool: 128,
  trader: 128,
})

// Messages embed a slice of the input at most this long, so a hostile record cannot bloat logs.
const MAX_ECHO = 64

/** One JSON text (one NDJSON line, one Kafka JSON value) to a Swap, or the reason it is not one. */
export function parseSwapJson (text: string): Swap | SwapReject {
  // UTF-8 needs at least one byte per UTF-16 unit, so length alone settles the common cases
  if (text.length > MAX_RECORD_BYTES || (text.length * 3 > MAX_RECORD_BYTES && utf8Length(text) > MAX_RECORD_BYTES)) {
    return oversizeRecord(text.length > MAX_RECORD_BYTES ? text.length : utf8Length(text))
  }
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch (err) {
    return new SwapReject('INVALID_JSON', 'record is not valid JSON: ' + clip((err as Error).message, 160))
  }
  return validateSwapObject(obj)
}

/** A record that was too big to read: the line reader reports its size without its text. */
export function oversizeRecord (bytes: number): SwapReject {
  return new SwapReject('OVERSIZE_RECORD', `record is ${bytes} bytes, more than the limit of ${MAX_RECORD_BYTES}`)
}

/** An already-decoded value (JSON.parse output, an Avro record) to a Swap, or the reason it is not one. */
export function validateSwapObject (obj: unknown): Swap | SwapReject {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return new SwapReject('NOT_AN_OBJECT', `record is ${describe(obj)}, not an object`)
  }
  const o = obj as Record<string, unknown>

  // Field order follows SPEC section 2, so the first problem reported is predictable.
  const id = o.id
  let r = checkString(id, 'id', FIELD_LIMITS.id, true)
  if (r !== undefined) return r
  const chain = o.chain
  r = checkString(chain, 'chain', FIELD_LIMITS.chain, true)
  if (r !== undefined) return r
  // ':' separates chain and token in keys (Kafka keys, HTTP ids): "a:b"+"c" and "a"+"b:c" would collide
  if ((chain as string).includes(':')) return new SwapReject('BAD_TYPE', 'chain must not contain ":" (it separates chain and token in keys)', 'chain')

  const blockNumber = o.blockNumber
  r = checkCount(blockNumber, 'blockNumber')
  if (r !== undefined) return r
  const logIndex = o.logIndex
  r = checkCount(logIndex, 'logIndex')
  if (r !== undefined) return r

  const bt = o.blockTime
  let blockTime: number
  if (typeof bt === 'string' || typeof bt === 'number') {
    blockTime = parseBlockTime(bt)
    if (blockTime !== blockTime) {
      return new SwapReject('BAD_TIME', typeof bt === 'string'
        ? `blockTime ${JSON.stringify(clip(bt, MAX_ECHO))} is not an ISO 8601 time like 2021-06-16T01:51:54.000Z (a real date, with Z or an offset, 1970..9999)`
        : `blockTime ${numberText(bt)} is not a non-negative integer number of milliseconds up to year 9999`, 'blockTime')
    }
  } else {
    return bt === undefined || bt === null
      ? missing('blockTime')
      : new SwapReject('BAD_TYPE', `blockTime must be an ISO 8601 string or integer milliseconds, got ${describe(bt)}`, 'blockTime')
  }

  const token = o.token
  r = checkString(token, 'token', FIELD_LIMITS.token, true)
  if (r !== undefined) return r
  const quoteToken = o.quoteToken
  r = checkString(quoteToken, 'quoteToken', FIELD_LIMITS.quoteToken, false)
  if (r !== undefined) return r
  const pool = o.pool
  r = checkString(pool, 'pool', FIELD_LIMITS.pool, false)
  if (r !== undefined) return r
  const trader = o.trader
  r = checkString(trader, 'trader', FIELD_LIMITS.trader, true)
  if (r !== undefined) return r

  const sideText = o.side
  let side: Side
  if (sideText === 'BUY') side = BUY
  else if (sideText === 'SELL') side = SELL
  else if (typeof sideText === 'string') {
    return new SwapReject('BAD_SIDE', `side ${JSON.stringify(clip(sideText, MAX_ECHO))} is not "BUY" or "SELL" (case-sensitive)`, 'side')
  } else {
    return sideText === undefined || sideText === null
      ? missing('side')
      : new SwapReject('BAD_TYPE', `side must be the string "BUY" or "SELL", got ${describe(sideText)}`, 'side')
  }

  const amountText = o.amount
  const amount = decimalField(amountText, 'amount')
  if (amount instanceof SwapReject) return amount
  const amountUsdText = o.amountUsd
  const amountUsd = decimalField(amountUsdText, 'amountUsd')
  if (amountUsd instanceof SwapReject) return amountUsd

  // Every component derives price from the texts the same way, so they agree to the last bit.
  const price = Number(amountUsdText) / Number(amountText)

  return {
    id: id as string,
    chain: chain as string,
    blockNumber: blockNumber as number,
    logIndex: logIndex as number,
    blockTime,
    token: token as string,
    quoteToken: quoteToken === null ? undefined : quoteToken as string | undefined,
    pool: pool === null ? undefined : pool as string | undefined,
    trader: trader as string,
    side,
    amount,
    amountUsd,
    price,
  }
}

function missing (field: string): SwapReject {
  return new SwapReject('MISSING_FIELD', `${field} is missing`, field)
}

function checkString (v: unknown, field: string, max: number, required: boolean): SwapReject | undefined {
  if (typeof v !== 'string') {
    if (v === undefined || v === null) return required ? missing(field) : undefined
    return new SwapReject('BAD_TYPE', `${field} must be a string, got ${describe(v)}`, field)
  }
  const len = v.length
  if (len === 0) return new SwapReject('BAD_TYPE', `${field} must be a non-empty string`, field)
  if (len > max) return new SwapReject('OVERSIZE_FIELD', `${field} is ${len} characters, more than the limit of ${max}`, field)
  // measured (bench/parse.bench.ts): a native regex test is about twice as fast as a charCodeAt
  // loop on the usual one-byte strings, so the loop only runs to explain a hit (a surrogate pair,
  // e.g. an emoji, is a hit that turns out fine).
  if (!SUSPECT_CHAR.test(v)) return undefined
  for (let i = 0; i < len; i++) {
    const c = v.charCodeAt(i)
    if (c >= 0x20 && c < 0x7f) continue
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      return new SwapReject('BAD_TYPE', `${field} contains control character U+${c.toString(16).padStart(4, '0').toUpperCase()} at ${i}`, field)
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      // a high surrogate must be followed by a low one; a low one never comes first
      const next = i + 1 < len ? v.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) { i++; continue }
      return new SwapReject('BAD_TYPE', `${field} contains an unpaired surrogate at ${i} (not valid Unicode)`, field)
    }
  }
  return undefined
}

// C0 controls, DEL, C1 controls, and any UTF-16 surrogate (paired or not)
const SUSPECT_CHAR = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/

/** blockNumber and logIndex: non-negative safe integers. */
function checkCount (v: unknown, field: string): SwapReject | undefined {
  if (typeof v !== 'number') {
    if (v === undefined || v === null) return missing(field)
    return new SwapReject('BAD_TYPE', `${field} must be a JSON number, got ${describe(v)}`, field)
  }
  // isSafeInteger is false for NaN, ±Infinity (1e400 parses to Infinity), fractions and ≥ 2⁵³
  // (9007199254740993 parses to 2⁵³, so an unsafe value never slips through as a neighbour)
  if (!Number.isSafeInteger(v) || v < 0 || (v === 0 && 1 / v < 0)) {
    return new SwapReject('BAD_NUMBER', `${field} ${numberText(v)} is not a non-negative integer below 2^53`, field)
  }
  return undefined
}

const DECIMAL_PROBLEM: Record<DecimalParseFailure, string> = {
  syntax: 'is not a plain decimal (digits, optionally a dot and more digits; no sign, exponent or spaces)',
  zero: 'must be greater than 0',
  'too-large': 'has more than 18 integer digits',
  'too-precise': 'has non-zero digits past the 18th decimal place',
}

function decimalField (v: unknown, field: string): Decimal18 | SwapReject {
  if (typeof v !== 'string') {
    if (v === undefined || v === null) return missing(field)
    return new SwapReject('BAD_TYPE', typeof v === 'number'
      ? `${field} must be a decimal string like "1.5", not a JSON number (its precision is already lost)`
      : `${field} must be a decimal string, got ${describe(v)}`, field)
  }
  const d = parseDecimal18(v)
  if (typeof d === 'string') {
    return new SwapReject('BAD_AMOUNT', `${field} ${JSON.stringify(clip(v, MAX_ECHO))} ${DECIMAL_PROBLEM[d]}`, field)
  }
  return d
}

function describe (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return 'the string ' + JSON.stringify(clip(v, MAX_ECHO))
  if (typeof v === 'number') return 'the number ' + numberText(v)
  return typeof v
}

function numberText (v: number): string {
  return v === 0 && 1 / v < 0 ? '-0' : String(v)
}

function clip (s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max) + '…'
}

/** UTF-8 byte length without Buffer (this module stays free of Node APIs). */
export function utf8Length (s: string): number {
  let n = 0
  const len = s.length
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++ } else n += 3
    } else n += 3
  }
  return n
}
