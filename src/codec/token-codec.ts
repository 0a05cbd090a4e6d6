import type { TokenMeta } from '../token/token-meta.js'
import { createAvroEncoder } from './avro-codec.js'
import { createJsonOrAvroDecoder, type JsonOrAvroDecoder, type JsonOrAvroDecoderOptions } from './json-or-avro-decoder.js'
import { loadSchemaText } from './schema-files.js'
import type { SchemaRegistry } from './schema-registry.js'

/**
 * Codecs of the `tokens` topic (schemas/token.avsc). Values are Avro in the wire format or the
 * JSON object of src/token/token-meta.ts (first byte '{'); either decodes to an untrusted object
 * for `validateTokenMeta`. Keys are the UTF-8 string chain:token; a null value is a tombstone.
 */
export type TokenMetaDecoder = JsonOrAvroDecoder

export function createTokenMetaDecoder (opts: JsonOrAvroDecoderOptions): TokenMetaDecoder {
  return createJsonOrAvroDecoder('token', 'token record', opts)
}

export interface TokenMetaEncoder {
  readonly id: number
  encode (meta: TokenMeta): Buffer
}

/** Registers schemas/token.avsc under `subject` (default tokens-value) and encodes TokenMeta. */
export async function createTokenMetaEncoder (registry: SchemaRegistry, subject = 'tokens-value'): Promise<TokenMetaEncoder> {
  const enc = await createAvroEncoder(registry, subject, loadSchemaText('token'))
  return { id: enc.id, encode: m => enc.encode({ chain: m.chain, token: m.token, symbol: m.symbol, name: m.name, decimals: m.decimals, logoUrl: m.logoUrl ?? null }) }
}

/** The canonical JSON value (what `--json` and `--stdout` send): the fields in schema order. */
export function tokenMetaToJson (m: TokenMeta): string {
  return JSON.stringify({ chain: m.chain, token: m.token, symbol: m.symbol, name: m.name, decimals: m.decimals, ...(m.logoUrl === undefined ? {} : { logoUrl: m.logoUrl }) })
}
