import type { StatsObject } from '../engine/stats.js'
import { createAvroDecoder, createAvroEncoder, type AvroDecoder } from './avro-codec.js'
import { loadSchemaText } from './schema-files.js'
import type { SchemaRegistry } from './schema-registry.js'

/**
 * Codecs of the two topics Volumer writes: `stats` (schemas/stats.avsc, the stats object
 * field for field) and `volumer-state` (schemas/state-changelog.avsc). Keys on both are the
 * UTF-8 string chain:token, not Avro; a state tombstone is a null value, never encoded here.
 */
export interface StateChange {
  /** format version of tokenState, owned by the engine's snapshot encoder */
  version: number
  partition: number
  tokenState: Uint8Array
}

export interface RecordEncoder<T> {
  readonly id: number
  encode (value: T): Buffer
}

export interface RecordDecoder<T> {
  decode (buf: Uint8Array): T
  prepare (bufs: Iterable<Uint8Array | null | undefined>): Promise<void>
  decodeAsync (buf: Uint8Array): Promise<T>
}

export async function createStatsEncoder (registry: SchemaRegistry, subject = 'stats-value'): Promise<RecordEncoder<StatsObject>> {
  const enc = await createAvroEncoder(registry, subject, loadSchemaText('stats'))
  return { id: enc.id, encode: v => enc.encode(v) }
}

export function createStatsDecoder (registry: SchemaRegistry): RecordDecoder<StatsObject> {
  return typed<StatsObject>(createAvroDecoder({ registry, readerSchema: loadSchemaText('stats') }))
}

export async function createStateChangeEncoder (registry: SchemaRegistry, subject = 'volumer-state-value'): Promise<RecordEncoder<StateChange>> {
  const enc = await createAvroEncoder(registry, subject, loadSchemaText('state-changelog'))
  return {
    id: enc.id,
    encode: v => enc.encode({
      version: v.version,
      partition: v.partition,
      // avsc's bytes type wants a Buffer; this view shares memory, no copy
      tokenState: Buffer.isBuffer(v.tokenState) ? v.tokenState : Buffer.from(v.tokenState.buffer, v.tokenState.byteOffset, v.tokenState.byteLength),
    }),
  }
}

export function createStateChangeDecoder (registry: SchemaRegistry): RecordDecoder<StateChange> {
  return typed<StateChange>(createAvroDecoder({ registry, readerSchema: loadSchemaText('state-changelog') }))
}

function typed<T> (d: AvroDecoder): RecordDecoder<T> {
  return {
    decode: buf => d.decode(buf) as T,
    prepare: bufs => d.prepare(bufs),
    decodeAsync: async buf => await d.decodeAsync(buf) as T,
  }
}
