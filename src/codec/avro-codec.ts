import avro from 'avsc'
import { VolumerError } from '../errors.js'
import type { SchemaRegistry } from './schema-registry.js'
import { HEADER_BYTES, readSchemaId, writeHeader } from './wire-format.js'

/**
 * Avro in the Confluent wire format (see wire-format.ts), with types cached by schema id.
 *
 * Decoding is synchronous once the writer's schema is loaded, because the processor decodes
 * a batch in a tight loop: `prepare(batch)` fetches the few unknown ids first (one await per
 * batch, not per record), then `decode` runs without promises. With a reader schema, records
 * written with any compatible version are resolved into the reader's shape.
 */
export interface AvroDecoder {
  /** Sync. Throws VolumerError UNDECODABLE (bad framing or body) or UNKNOWN_SCHEMA (id not loaded). */
  decode (buf: Uint8Array): unknown
  /** Loads the writer schemas of any not-yet-cached ids in `bufs`. Registry errors propagate. */
  prepare (bufs: Iterable<Uint8Array | null | undefined>): Promise<void>
  /** prepare + decode for one buffer. */
  decodeAsync (buf: Uint8Array): Promise<unknown>
  /**
   * Whether schema `id` is loaded and has the reader schema's canonical form (so its records
   * decode with no resolution); false without a reader schema. Lets a caller use a specialised
   * reader of that one schema (stats-decoder.ts) and avsc for every other.
   */
  isReaderSchema (id: number): boolean
}

export interface AvroEncoder {
  readonly id: number
  readonly type: avro.Type
  /** A fresh Buffer: header + Avro body. Throws BAD_TYPE when the value does not fit the schema. */
  encode (value: unknown): Buffer
}

interface CachedType {
  decode (buf: Buffer): { value: unknown, offset: number }
  /** written with the reader schema (canonically equal) */
  same?: boolean
}

export interface AvroDecoderOptions {
  registry: SchemaRegistry
  /** the schema the caller wants values in; omitted: values come in each writer's shape */
  readerSchema?: string
  /** ms before an id the registry did not know is asked for again; default 30,000 */
  unknownRetryMs?: number
  /** clock for unknownRetryMs; default Date.now */
  now?: () => number
}

export function createAvroDecoder (opts: AvroDecoderOptions): AvroDecoder {
  const { registry } = opts
  const reader = opts.readerSchema === undefined ? undefined : avro.Type.forSchema(JSON.parse(opts.readerSchema) as avro.Schema)
  const { now = Date.now, unknownRetryMs = 30_000 } = opts
  const types = new Map<number, CachedType>()
  // ids the registry did not know -> when to ask again. Remembered so a producer with a bogus
  // id cannot make every batch cost a registry round trip; forgotten after a while because a
  // registry replica may learn a new id slightly after the producer registered it.
  const missing = new Map<number, number>()

  function isMissing (id: number): boolean {
    const until = missing.get(id)
    if (until === undefined) return false
    if (now() < until) return true
    missing.delete(id)
    return false
  }

  async function load (id: number): Promise<void> {
    if (types.has(id) || isMissing(id)) return
    let text: string
    try {
      text = await registry.getById(id)
    } catch (err) {
      if (err instanceof VolumerError && err.code === 'UNKNOWN_SCHEMA') { missing.set(id, now() + unknownRetryMs); return }
      throw err
    }
    let writer: avro.Type
    try {
      writer = avro.Type.forSchema(JSON.parse(text) as avro.Schema)
    } catch (err) {
      throw new VolumerError('BAD_SCHEMA', `schema ${id} from the registry is not valid Avro: ${(err as Error).message}`, { cause: err })
    }
    if (reader === undefined || reader.equals(writer)) {
      types.set(id, { decode: buf => writer.decode(buf, HEADER_BYTES), same: reader !== undefined })
      return
    }
    let resolver: ReturnType<avro.Type['createResolver']>
    try {
      resolver = reader.createResolver(writer)
    } catch (err) {
      // the writer's schema cannot be read as ours: every record with this id is undecodable
      types.set(id, {
        decode: () => { throw new VolumerError('UNDECODABLE', `schema ${id} is incompatible with the reader schema: ${(err as Error).message}`) },
      })
      return
    }
    types.set(id, { decode: buf => reader.decode(buf, HEADER_BYTES, resolver) })
  }

  function decode (input: Uint8Array): unknown {
    const id = readSchemaId(input)
    if (id < 0) throw new VolumerError('UNDECODABLE', 'not in the Confluent wire format (magic byte 0 + 4-byte schema id)')
    const t = types.get(id)
    if (t === undefined) throw new VolumerError('UNKNOWN_SCHEMA', `schema id ${id} is not in the registry`)
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    let r: { value: unknown, offset: number }
    try {
      r = t.decode(buf)
    } catch (err) {
      if (err instanceof VolumerError) throw err
      throw new VolumerError('UNDECODABLE', `Avro body does not match schema ${id}: ${(err as Error).message}`, { cause: err })
    }
    // avsc reports a truncated body as offset -1; trailing bytes mean a different schema wrote it
    if (r.offset !== buf.length) throw new VolumerError('UNDECODABLE', r.offset < 0 ? `Avro body truncated (schema ${id})` : `${buf.length - r.offset} trailing bytes after the Avro body (schema ${id})`)
    return r.value
  }

  async function prepare (bufs: Iterable<Uint8Array | null | undefined>): Promise<void> {
    let ids: Set<number> | undefined
    for (const b of bufs) {
      if (b === null || b === undefined) continue
      const id = readSchemaId(b)
      if (id < 0 || types.has(id)) continue
      ;(ids ??= new Set()).add(id)
    }
    if (ids !== undefined) await Promise.all([...ids].map(load))
  }

  return {
    decode,
    prepare,
    isReaderSchema: id => types.get(id)?.same === true,
    async decodeAsync (buf) {
      const id = readSchemaId(buf)
      if (id >= 0 && !types.has(id)) await load(id)
      return decode(buf)
    },
  }
}

/** Registers `schema` under `subject` (idempotent) and returns an encoder bound to its id. */
export async function createAvroEncoder (registry: SchemaRegistry, subject: string, schema: string): Promise<AvroEncoder> {
  const type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema)
  const id = await registry.register(subject, schema)
  // measured: encoding into one reused scratch buffer and copying the used part out
  // (allocUnsafe + copy, pooled for small sizes) is 1.5-2.5x faster than toBuffer plus a second
  // buffer for the header (bench/codec.bench.ts; noisy shared 2-core box). The scratch grows
  // by doubling when a value does not fit (avsc then returns a negative offset).
  let scratch = Buffer.allocUnsafe(4096)
  writeHeader(scratch, id)
  return {
    id,
    type,
    encode (value) {
      let end: number
      try {
        end = type.encode(value, scratch, HEADER_BYTES)
        while (end < 0) {
          scratch = Buffer.allocUnsafe(scratch.length * 2)
          writeHeader(scratch, id)
          end = type.encode(value, scratch, HEADER_BYTES)
        }
      } catch (err) {
        throw new VolumerError('BAD_TYPE', `value does not match the ${subject} schema: ${(err as Error).message}`, { cause: err })
      }
      const out = Buffer.allocUnsafe(end)
      scratch.copy(out, 0, 0, end)
      return out
    },
  }
}
