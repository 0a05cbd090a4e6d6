import { VolumerError } from '../errors.js'
import { decimalToString } from '../swap/decimal18.js'
import { BUY, type Swap } from '../swap/swap.js'
import { createAvroDecoder, createAvroEncoder, type AvroEncoder } from './avro-codec.js'
import { loadSchemaText } from './schema-files.js'
import type { SchemaRegistry } from './schema-registry.js'

/**
 * A swap as it travels on the `swaps` topic (schemas/swap.avsc), before validation.
 * JSON producers (`rpk topic produce`) send the SPEC's JSON object instead, with blockTime as
 * an ISO string; Avro carries it as timestamp-millis (a number). src/swap validates both.
 */
export interface SwapRecord {
  id: string
  chain: string
  blockNumber: number
  logIndex: number
  blockTime: number
  token: string
  quoteToken: string | null
  pool: string | null
  trader: string
  side: 'BUY' | 'SELL'
  amount: string
  amountUsd: string
}

const OPEN_BRACE = 0x7b

/**
 * Decodes a `swaps` record value of either form:
 *   first byte 0x00 -> Confluent wire format, Avro (resolved into schemas/swap.avsc's shape)
 *   first byte '{'  -> one JSON object (UTF-8)
 * The result is untrusted input for src/swap's validator. Sync after `prepare(batch)`.
 */
export interface SwapDecoder {
  /** Throws VolumerError INVALID_JSON, UNDECODABLE or UNKNOWN_SCHEMA. */
  decode (value: Uint8Array | null | undefined): unknown
  prepare (values: Iterable<Uint8Array | null | undefined>): Promise<void>
  decodeAsync (value: Uint8Array | null | undefined): Promise<unknown>
}

export function createSwapDecoder (opts: { registry: SchemaRegistry, unknownRetryMs?: number, now?: () => number }): SwapDecoder {
  const avro = createAvroDecoder({ ...opts, readerSchema: loadSchemaText('swap') })
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
        throw new VolumerError('UNDECODABLE', 'JSON swap is not valid UTF-8', { cause: err })
      }
      try {
        return JSON.parse(text)
      } catch (err) {
        throw new VolumerError('INVALID_JSON', 'JSON swap does not parse: ' + (err as Error).message, { cause: err })
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

export interface SwapEncoder {
  readonly id: number
  encode (swap: SwapRecord): Buffer
}

/** Registers schemas/swap.avsc under `subject` (default swaps-value) and encodes SwapRecords. */
export async function createSwapEncoder (registry: SchemaRegistry, subject = 'swaps-value'): Promise<SwapEncoder> {
  const enc: AvroEncoder = await createAvroEncoder(registry, subject, loadSchemaText('swap'))
  return { id: enc.id, encode: s => enc.encode(s) }
}

/** The wire form of a validated swap (amounts back to canonical decimal strings). */
export function swapToRecord (s: Swap): SwapRecord {
  return {
    id: s.id,
    chain: s.chain,
    blockNumber: s.blockNumber,
    logIndex: s.logIndex,
    blockTime: s.blockTime,
    token: s.token,
    quoteToken: s.quoteToken ?? null,
    pool: s.pool ?? null,
    trader: s.trader,
    side: s.side === BUY ? 'BUY' : 'SELL',
    amount: decimalToString(s.amount),
    amountUsd: decimalToString(s.amountUsd),
  }
}
