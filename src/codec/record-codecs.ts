import type { StatsObject } from '../engine/stats.js'
import { createAvroDecoder, createAvroEncoder, type AvroDecoder } from './avro-codec.js'
import { loadSchemaText } from './schema-files.js'
import { STATS_CANONICAL_SCHEMA } from './stats-decoder.js'
import { StatsWriter } from './stats-encoder.js'
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
  /** FULL: the engine's per-token snapshot; empty in a DELTA */
  tokenState: Uint8Array
  /** DELTA: engine clock (ms) the swaps were ingested at */
  clock?: number
  /** DELTA: the input record values the token counted in one cycle, in order; null/absent: FULL */
  swaps?: Uint8Array[] | null
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

/**
 * `fast: false` encodes with avsc; otherwise with the hand-written StatsWriter (same bytes) while
 * schemas/stats.avsc has the canonical form that writer knows. The fast encoder returns views of
 * a shared slab: a record must not be modified after encode.
 */
export async function createStatsEncoder (registry: SchemaRegistry, subject = 'stats-value', opts: { fast?: boolean } = {}): Promise<RecordEncoder<StatsObject>> {
  const enc = await createAvroEncoder(registry, subject, loadSchemaText('stats'))
  if (opts.fast !== false && JSON.stringify(enc.type.schema()) === STATS_CANONICAL_SCHEMA) {
    const writer = new StatsWriter(enc.id)
    return { id: enc.id, encode: v => writer.encode(v) }
  }
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
      tokenState: asBuffer(v.tokenState),
      clock: v.clock ?? 0,
      swaps: v.swaps == null ? null : v.swaps.map(asBuffer),
    }),
  }
}

export function createStateChangeDecoder (registry: SchemaRegistry): RecordDecoder<StateChange> {
  return typed<StateChange>(createAvroDecoder({ registry, readerSchema: loadSchemaText('state-changelog') }))
}

// avsc's bytes type wants a Buffer; a view shares memory, no copy
function asBuffer (b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

function typed<T> (d: AvroDecoder): RecordDecoder<T> {
  return {
    decode: buf => d.decode(buf) as T,
    prepare: bufs => d.prepare(bufs),
    decodeAsync: async buf => await d.decodeAsync(buf) as T,
  }
}
