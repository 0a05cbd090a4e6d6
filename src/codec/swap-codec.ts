import { decimalToString } from '../swap/decimal18.js'
import { BUY, type Swap } from '../swap/swap.js'
import { createAvroEncoder, type AvroEncoder } from './avro-codec.js'
import { createJsonOrAvroDecoder, type JsonOrAvroDecoder, type JsonOrAvroDecoderOptions } from './json-or-avro-decoder.js'
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

/**
 * Decodes a `swaps` record value, Avro (wire format) or one JSON object: see
 * json-or-avro-decoder.ts. The result is untrusted input for src/swap's validator.
 */
export type SwapDecoder = JsonOrAvroDecoder

export function createSwapDecoder (opts: JsonOrAvroDecoderOptions): SwapDecoder {
  return createJsonOrAvroDecoder('swap', 'swap', opts)
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
