import type { NdjsonLine } from '../swap/ndjson-lines.js'
import { MAX_TOKEN_RECORD_CHARS, parseTokenMetaJson, TokenReject, type TokenMeta } from './token-meta.js'

/** One framed NDJSON line (src/swap/ndjson-lines.ts) to token metadata, or why it is not. */
export function tokenMetaFromLine (line: NdjsonLine): TokenMeta | TokenReject {
  switch (line.kind) {
    case 'line': return parseTokenMetaJson(line.text)
    case 'oversize': return new TokenReject('OVERSIZE_RECORD', `token record is ${line.bytes} bytes, more than the limit of ${MAX_TOKEN_RECORD_CHARS}`)
    case 'bad-utf8': return new TokenReject('INVALID_JSON', `token record is not valid UTF-8 (${line.bytes} bytes)`)
  }
}
