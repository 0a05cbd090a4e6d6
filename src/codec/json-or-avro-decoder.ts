import { VolumerError } from '../errors.js'
import { createAvroDecoder } from './avro-codec.js'
import { loadSchemaText, type SchemaName } from './schema-files.js'
import type { SchemaRegistry } from './schema-registry.js'

const OPEN_BRACE = 0x7b

/**
 * Decodes a record value of the input topics (`swaps`, `tokens`) in either form:
 *   first byte 0x00 -> Confluent wire format, Avro (resolved into schemas/<name>.avsc's shape)
 *   first byte '{'  -> one JSON object (UTF-8), as `rpk topic produce` / kcat send it
 * The result is untrusted input for a validator. Sync after `prepare(batch)`.
 */
export interface JsonOrAvroDecoder {
  /** Throws VolumerError INVALID_JSON, UNDECODABLE or UNKNOWN_SCHEMA. */
  decode (value: Uint8Array | null | undefined): unknown
  prepare (values: Iterable<Uint8Array | null | undefined>): Promise<void>
  decodeAsync (value: Uint8Array | null | undefined): Promise<unknown>
}

export interface JsonOrAvroDecoderOptions {
  registry: SchemaRegistry
  unknownRetryMs?: number
  now?: () => number
}

/** `what` names the record in messages ("swap", "token record"). */
export function createJsonOrAvroDecoder (schema: SchemaName, what: string, opts: JsonOrAvroDecoderOptions): JsonOrAvroDecoder {
  const avro = createAvroDecoder({ ...opts, readerSchema: loadSchemaText(schema) })
  const utf8 = new TextDecoder('utf-8', { fatal: true })

  function decode (value: Uint8Array | null | undefined): unknown {
    if (value === null || value === undefined || value.length === 0) throw new VolumerError('UNDECODABLE', 'empty record value')
    const first = value[0]
    if (first === 0) return avro.decode(value)
    if (first === OPEN_BRACE) {
      let text: string
      try {
        text = utf8.decode(value)
      } catch (err) {
        throw new VolumerError('UNDECODABLE', `JSON ${what} is not valid UTF-8`, { cause: err })
      }
      try {
        return JSON.parse(text)
      } catch (err) {
        throw new VolumerError('INVALID_JSON', `JSON ${what} does not parse: ` + (err as Error).message, { cause: err })
      }
    }
    throw new VolumerError('UNDECODABLE', `first byte 0x${first.toString(16).padStart(2, '0')} is neither the wire-format magic byte 0x00 nor '{'`)
  }

  return {
    decode,
    prepare: values => avro.prepare(values),
    async decodeAsync (value) {
      if (value !== null && value !== undefined && value.length > 0 && value[0] === 0) await avro.prepare([value])
      return decode(value)
    },
  }
}
