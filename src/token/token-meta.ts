import type { ErrorCode } from '../errors.js'
import { FIELD_LIMITS } from '../swap/parse-swap.js'

/**
 * Token metadata: one record per token on the compacted `tokens` topic (schemas/token.avsc),
 * keyed like swaps, `chain:token`; a null value (tombstone) forgets the token. JSON form, as in
 * samples/ethereum-mainnet-tokens.ndjson:
 *
 *   {"chain":"ethereum","token":"0xc02a…","symbol":"WETH","name":"Wrapped Ether","decimals":18,
 *    "logoUrl":"https://…/weth.png"}
 *
 * Rules (docs/errors.md lists the codes):
 * - `chain`, `token`: as in a swap (same limits, kept exactly as given: case-sensitive).
 * - `symbol` (≤ 64), `name` (≤ 256): non-empty strings without control characters or unpaired
 *   surrogates; they are shown to people, so they are not trimmed or case-folded here.
 * - `decimals`: a JSON integer 0..255 (ERC-20's uint8).
 * - `logoUrl`: optional (absent or null); an absolute http(s) URL of at most 2,048 characters.
 * - unknown fields are ignored; the whole record is at most MAX_TOKEN_RECORD_BYTES.
 */
export interface TokenMeta {
  readonly chain: string
  readonly token: string
  readonly symbol: string
  readonly name: string
  readonly decimals: number
  readonly logoUrl?: string
}

export const TOKEN_FIELD_LIMITS = Object.freeze({
  chain: FIELD_LIMITS.chain,
  token: FIELD_LIMITS.token,
  symbol: 64,
  name: 256,
  logoUrl: 2048,
})

/** Largest token record, in UTF-16 code units of its JSON text (well above the field limits). */
export const MAX_TOKEN_RECORD_CHARS = 8 * 1024

export type TokenRejectCode = Extract<ErrorCode,
  | 'INVALID_JSON'
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'BAD_TYPE'
  | 'OVERSIZE_FIELD'
  | 'OVERSIZE_RECORD'
  | 'BAD_DECIMALS'
  | 'BAD_URL'
  | 'KEY_MISMATCH'>

/** Why a record is not valid token metadata; returned, not thrown (bad input is ordinary). */
export class TokenReject {
  readonly ok = false as const
  constructor (readonly code: TokenRejectCode, readonly message: string, readonly field?: string) {}
}

export function isTokenReject (v: unknown): v is TokenReject {
  return v instanceof TokenReject
}

/** `chain:token`, the Kafka key of the token's records on `tokens` (and on `swaps`, `stats`). */
export function tokenKey (m: { chain: string, token: string }): string {
  return m.chain + ':' + m.token
}

/** One JSON text (an NDJSON line, a Kafka JSON value) to TokenMeta, or the reason it is not. */
export function parseTokenMetaJson (text: string): TokenMeta | TokenReject {
  if (text.length > MAX_TOKEN_RECORD_CHARS) {
    return new TokenReject('OVERSIZE_RECORD', `token record is ${text.length} characters, more than the limit of ${MAX_TOKEN_RECORD_CHARS}`)
  }
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch (err) {
    return new TokenReject('INVALID_JSON', 'token record is not valid JSON: ' + clip((err as Error).message, 160))
  }
  return validateTokenMeta(obj)
}

/**
 * A decoded value (JSON.parse or Avro output) to TokenMeta. With `key`, the value's chain:token
 * must equal it: a compacted topic keeps the last value per key, so a value filed under another
 * token's key would survive compaction under the wrong name.
 */
export function validateTokenMeta (obj: unknown, key?: string): TokenMeta | TokenReject {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return new TokenReject('NOT_AN_OBJECT', `token record is ${describe(obj)}, not an object`)
  }
  const o = obj as Record<string, unknown>
  for (const f of ['chain', 'token', 'symbol', 'name'] as const) {
    const r = checkString(o[f], f, TOKEN_FIELD_LIMITS[f])
    if (r !== undefined) return r
  }
  const d = o.decimals
  if (d === undefined || d === null) return new TokenReject('MISSING_FIELD', 'decimals is missing', 'decimals')
  if (typeof d !== 'number') return new TokenReject('BAD_TYPE', `decimals must be a JSON number, got ${describe(d)}`, 'decimals')
  if (!Number.isInteger(d) || d < 0 || d > 255 || Object.is(d, -0)) {
    return new TokenReject('BAD_DECIMALS', `decimals ${String(d)} is not an integer from 0 to 255`, 'decimals')
  }
  const meta: { -readonly [K in keyof TokenMeta]: TokenMeta[K] } = {
    chain: o.chain as string, token: o.token as string, symbol: o.symbol as string, name: o.name as string, decimals: d,
  }
  const logo = o.logoUrl
  if (logo !== undefined && logo !== null) {
    const r = checkString(logo, 'logoUrl', TOKEN_FIELD_LIMITS.logoUrl)
    if (r !== undefined) return r
    if (!isHttpUrl(logo as string)) return new TokenReject('BAD_URL', `logoUrl ${JSON.stringify(clip(logo as string, 64))} is not an absolute http(s) URL`, 'logoUrl')
    meta.logoUrl = logo as string
  }
  if (key !== undefined && key !== tokenKey(meta)) {
    return new TokenReject('KEY_MISMATCH', `record key ${JSON.stringify(clip(key, 200))} is not the value's chain:token ${JSON.stringify(tokenKey(meta))}`)
  }
  return meta
}

function isHttpUrl (s: string): boolean {
  if (!/^https?:\/\//i.test(s)) return false
  try {
    return new URL(s).host !== ''
  } catch {
    return false
  }
}

// C0 controls, DEL, C1 controls, and any UTF-16 surrogate (paired or not)
const SUSPECT_CHAR = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/

function checkString (v: unknown, field: string, max: number): TokenReject | undefined {
  if (typeof v !== 'string') {
    if (v === undefined || v === null) return new TokenReject('MISSING_FIELD', `${field} is missing`, field)
    return new TokenReject('BAD_TYPE', `${field} must be a string, got ${describe(v)}`, field)
  }
  if (v.length === 0) return new TokenReject('BAD_TYPE', `${field} must be a non-empty string`, field)
  if (v.length > max) return new TokenReject('OVERSIZE_FIELD', `${field} is ${v.length} characters, more than the limit of ${max}`, field)
  if (!SUSPECT_CHAR.test(v)) return undefined
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      return new TokenReject('BAD_TYPE', `${field} contains control character U+${c.toString(16).padStart(4, '0').toUpperCase()} at ${i}`, field)
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < v.length ? v.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) { i++; continue }
      return new TokenReject('BAD_TYPE', `${field} contains an unpaired surrogate at ${i} (not valid Unicode)`, field)
    }
  }
  return undefined
}

function describe (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return 'the string ' + JSON.stringify(clip(v, 64))
  return `the ${typeof v} ${String(v)}`
}

function clip (s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max) + '…'
}
