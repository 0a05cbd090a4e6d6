import avro from 'avsc'
import type { StatsObject, WindowStats } from '../engine/stats.js'
import { createAvroDecoder } from './avro-codec.js'
import type { RecordDecoder } from './record-codecs.js'
import { loadSchemaText } from './schema-files.js'
import type { SchemaRegistry } from './schema-registry.js'
import { HEADER_BYTES, readSchemaId } from './wire-format.js'

export interface StatsDecoder extends RecordDecoder<StatsObject> {
  /**
   * Like `decode`, but a record written with schemas/stats.avsc itself is only checked now (a walk
   * over its bytes that allocates nothing, ~1 µs) and returned still encoded, as an EncodedStats
   * that decodes it on demand; any other record is decoded now. Throws exactly when `decode`
   * would. An EncodedStats keeps `buf` (the caller must not reuse it).
   */
  decodeDeferred (buf: Uint8Array): StatsObject | EncodedStats
}

/**
 * A stats record in schemas/stats.avsc, checked (checkStatsBody) and kept encoded. Nothing here
 * throws. `decode()` gives what avsc would; `field` and `windowNames` read single values out of
 * the bytes without decoding the rest (what a ranked index needs of each token).
 */
export class EncodedStats {
  readonly deferred = true
  readonly #buf: Buffer

  /** `buf` is a framed record whose body checkStatsBody accepted */
  constructor (buf: Buffer) {
    this.#buf = buf
  }

  get byteLength (): number { return this.#buf.length }

  /** a new object each call */
  decode (): StatsObject {
    return readStatsBody(this.#buf, HEADER_BYTES, this.#buf.length)
  }

  /**
   * `decode().windows[window][name]` when `window` is a string (undefined when the window is not
   * an own key of the map or `name` is not a window field), the token-level field `name` when
   * `window` is null (undefined when there is no such field)
   */
  field (window: string | null, name: string): string | number | null | undefined {
    if (window === null) {
      const i = TOKEN_FIELDS.indexOf(name)
      return i < 0 ? undefined : readTokenField(this.#buf, HEADER_BYTES, i)
    }
    const i = WINDOW_FIELDS.indexOf(name)
    return i < 0 ? undefined : readWindowField(this.#buf, HEADER_BYTES, windowBytes(window), i)
  }

  /** the keys of `decode().windows`, in its order */
  windowNames (): string[] {
    return readWindowNames(this.#buf, HEADER_BYTES)
  }
}

/**
 * The `stats` decoder with a specialised reader for schemas/stats.avsc (below); records of any
 * other writer schema, and bodies the specialised reader is not sure of, go through avsc with
 * stats.avsc as the reader schema (the same decoder as record-codecs.ts createStatsDecoder, so
 * values and errors are the same). `fast: false` turns the specialised reader off.
 */
export function createStatsRecordDecoder (registry: SchemaRegistry, opts: { fast?: boolean } = {}): StatsDecoder {
  const schema = loadSchemaText('stats')
  const generic = createAvroDecoder({ registry, readerSchema: schema })
  // the specialised reader knows one canonical form: if schemas/stats.avsc has changed, it is off
  // until this file is updated (test/edge/stats-decoder.test.ts fails first)
  const fast = opts.fast !== false && JSON.stringify(avro.Type.forSchema(JSON.parse(schema) as avro.Schema).schema()) === STATS_CANONICAL_SCHEMA

  /** the record's body when the specialised reader can decode it, else null */
  function fastBody (input: Uint8Array): Buffer | null {
    if (!fast) return null
    const id = readSchemaId(input)
    if (id < 0 || !generic.isReaderSchema(id)) return null
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    return checkStatsBody(buf, HEADER_BYTES, buf.length) ? buf : null
  }

  function decode (input: Uint8Array): StatsObject {
    const buf = fastBody(input)
    if (buf !== null) return readStatsBody(buf, HEADER_BYTES, buf.length)
    return generic.decode(input) as StatsObject
  }

  return {
    decode,
    decodeDeferred (input) {
      const buf = fastBody(input)
      if (buf === null) return generic.decode(input) as StatsObject
      return new EncodedStats(buf)
    },
    prepare: bufs => generic.prepare(bufs),
    async decodeAsync (input) {
      await generic.prepare([input])
      return decode(input)
    },
  }
}

/**
 * A hand-written reader of one Avro schema: schemas/stats.avsc, exactly (its canonical form is
 * STATS_CANONICAL_SCHEMA below; createStatsRecordDecoder uses it only for records whose writer
 * schema has that canonical form, and only while schemas/stats.avsc still has it — every other
 * record goes through avsc's generic resolver, so schema evolution works as before).
 *
 * Why: the edge rehydrates 100,000 tokens from `stats`; decoding every record with avsc before
 * /readyz took ~1 s of the main thread plus ~0.9 s of GC (node --cpu-prof). With this reader the
 * feed only checks a record (checkStatsBody: a walk that allocates nothing, ~1.5 µs) and keeps it
 * encoded; a ranked index reads its one value per token in place (EncodedStats.field). A full
 * decode makes one latin1 string of the body with one native call and cuts every ASCII string
 * field out of it; the rare non-ASCII string is decoded as UTF-8 the way avsc does (the same
 * native utf8Slice: invalid sequences → U+FFFD). measured: ~5 µs a record against avsc's ~10 µs
 * when the values are dropped; about the same as avsc when they are all kept (GC-bound).
 *
 * Exactness: `checkStatsBody` accepts only bodies on which `readStatsBody` returns what avsc returns (as JSON:
 * same fields, same order, same values), and rejects (returns false) everything it is not sure
 * of — a block-size-prefixed map block (negative count), a varint longer than needed for a
 * safe integer, a long avsc would refuse (beyond ±(2^53 - 2)), a union index other than 0/1, a map key `__proto__`,
 * truncation, trailing bytes. The caller then uses avsc, which decodes or rejects the body
 * exactly as before. `readStatsBody` must only be given a body `checkStatsBody` accepted.
 */

/** canonical form (Avro spec "Parsing Canonical Form") of schemas/stats.avsc that this file reads */
export const STATS_CANONICAL_SCHEMA = '{"name":"io.volumer.TokenStats","type":"record","fields":[' +
  '{"name":"chain","type":"string"},{"name":"token","type":"string"},{"name":"asOf","type":"string"},' +
  '{"name":"lastPrice","type":["null","double"]},{"name":"lastTradeAt","type":["null","string"]},' +
  '{"name":"firstSeenAt","type":["null","string"]},{"name":"windows","type":{"type":"map","values":' +
  '{"name":"io.volumer.WindowStats","type":"record","fields":[{"name":"from","type":"string"},' +
  '{"name":"to","type":"string"},{"name":"volumeUsd","type":"string"},{"name":"buyVolumeUsd","type":"string"},' +
  '{"name":"sellVolumeUsd","type":"string"},{"name":"volume","type":"string"},{"name":"buyVolume","type":"string"},' +
  '{"name":"sellVolume","type":"string"},{"name":"txns","type":"long"},{"name":"buys","type":"long"},' +
  '{"name":"sells","type":"long"},{"name":"traders","type":"long"},{"name":"buyers","type":"long"},' +
  '{"name":"sellers","type":"long"},{"name":"open","type":["null","double"]},{"name":"close","type":["null","double"]},' +
  '{"name":"high","type":["null","double"]},{"name":"low","type":["null","double"]},' +
  '{"name":"priceChangePct","type":["null","double"]},{"name":"vwap","type":["null","double"]}]}}}]}'

// ── checkStatsBody: walks a body without allocating; false = "let avsc decide" ──

// the walk's position; module state keeps the hot loop free of result objects (single-threaded)
let at = 0

/**
 * A zigzag varint at `at` (advanced past it) as a number, or NaN when it is truncated or longer
 * than 8 bytes (≥ 2^56: beyond any safe integer, or a non-minimal encoding avsc might read
 * differently). Values up to 2^53 fit exactly in a double.
 */
function varint (buf: Uint8Array, end: number): number {
  let b = at < end ? buf[at++] : 256
  if (b < 0x80) return (b >>> 1) ^ -(b & 1)
  if (b === 256) return NaN
  let n = b & 0x7f
  let mul = 128
  for (let i = 1; i < 8; i++) {
    if (at >= end) return NaN
    b = buf[at++]
    n += (b & 0x7f) * mul
    if (b < 0x80) return n % 2 === 0 ? n / 2 : -(n + 1) / 2
    mul *= 128
  }
  return NaN
}

function skipString (buf: Uint8Array, end: number): boolean {
  const len = varint(buf, end)
  if (!(len >= 0) || at + len > end) return false
  at += len
  return true
}

/** a long field: avsc refuses one beyond ±(2^53 - 1) ("potential precision loss") */
function skipLong (buf: Uint8Array, end: number): boolean {
  const n = varint(buf, end)
  return n <= AVSC_SAFE_LONG && n >= -AVSC_SAFE_LONG
}

/** avsc's isSafeLong bound (lib/types.js), 2^53 - 2: beyond it avsc refuses a long */
const AVSC_SAFE_LONG = 9007199254740990

/** ["null", T]: index 0 (byte 0x00) or 1 (byte 0x02); 0 = null; returns the index or -1 */
function unionIndex (buf: Uint8Array, end: number): number {
  if (at >= end) return -1
  const b = buf[at++]
  return b === 0 ? 0 : b === 2 ? 1 : -1
}

function skipNullableDouble (buf: Uint8Array, end: number): boolean {
  const u = unionIndex(buf, end)
  if (u < 0) return false
  if (u === 1) { if (at + 8 > end) return false; at += 8 }
  return true
}

function skipNullableString (buf: Uint8Array, end: number): boolean {
  const u = unionIndex(buf, end)
  if (u < 0) return false
  return u === 0 || skipString(buf, end)
}

// "__proto__" as bytes: avsc assigns map entries with val[key] = …, which for this key sets the
// prototype; rare enough to leave to avsc
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]

function isProto (buf: Uint8Array, from: number, len: number): boolean {
  if (len !== 9) return false
  for (let i = 0; i < 9; i++) if (buf[from + i] !== PROTO[i]) return false
  return true
}

/** true when `readStatsBody(buf, start, end)` decodes buf[start, end) exactly as avsc would */
export function checkStatsBody (buf: Uint8Array, start: number, end: number): boolean {
  at = start
  if (!skipString(buf, end) || !skipString(buf, end) || !skipString(buf, end)) return false
  if (!skipNullableDouble(buf, end) || !skipNullableString(buf, end) || !skipNullableString(buf, end)) return false
  for (;;) {
    const count = varint(buf, end)
    if (!(count >= 0)) return false // negative: a block with its byte size; NaN: truncated
    if (count === 0) break
    for (let i = 0; i < count; i++) {
      const klen = varint(buf, end)
      if (!(klen >= 0) || at + klen > end || isProto(buf, at, klen)) return false
      at += klen
      for (let s = 0; s < 8; s++) if (!skipString(buf, end)) return false
      for (let l = 0; l < 6; l++) if (!skipLong(buf, end)) return false
      for (let d = 0; d < 6; d++) if (!skipNullableDouble(buf, end)) return false
    }
  }
  return at === end
}

// ── readStatsBody: the values, for a body checkStatsBody accepted ──

const f64 = new Float64Array(1)
const f64Bytes = new Uint8Array(f64.buffer)

function double (buf: Uint8Array): number {
  // little-endian on the wire; every platform Node supports is little-endian (os.endianness())
  const p = at
  f64Bytes[0] = buf[p]; f64Bytes[1] = buf[p + 1]; f64Bytes[2] = buf[p + 2]; f64Bytes[3] = buf[p + 3]
  f64Bytes[4] = buf[p + 4]; f64Bytes[5] = buf[p + 5]; f64Bytes[6] = buf[p + 6]; f64Bytes[7] = buf[p + 7]
  at = p + 8
  return f64[0]
}

/** the latin1 rendering of the body being read, and its first byte's offset in buf */
let text = ''
let textStart = 0

function string (buf: Buffer): string {
  const len = varint(buf, buf.length)
  const from = at
  const to = from + len
  at = to
  for (let i = from; i < to; i++) {
    if (buf[i] >= 0x80) return buf.toString('utf8', from, to)
  }
  // ASCII: latin1 and UTF-8 agree byte for char
  return text.slice(from - textStart, to - textStart)
}

function nullableDouble (buf: Buffer): number | null {
  return buf[at++] === 0 ? null : double(buf)
}

function nullableString (buf: Buffer): string | null {
  return buf[at++] === 0 ? null : string(buf)
}

function window (buf: Buffer): WindowStats {
  // one literal: fields in schema order (JSON.stringify keeps it), a single hidden class
  return {
    from: string(buf),
    to: string(buf),
    volumeUsd: string(buf),
    buyVolumeUsd: string(buf),
    sellVolumeUsd: string(buf),
    volume: string(buf),
    buyVolume: string(buf),
    sellVolume: string(buf),
    txns: varint(buf, buf.length),
    buys: varint(buf, buf.length),
    sells: varint(buf, buf.length),
    traders: varint(buf, buf.length),
    buyers: varint(buf, buf.length),
    sellers: varint(buf, buf.length),
    open: nullableDouble(buf),
    close: nullableDouble(buf),
    high: nullableDouble(buf),
    low: nullableDouble(buf),
    priceChangePct: nullableDouble(buf),
    vwap: nullableDouble(buf),
  }
}

/** decodes buf[start, end), a body checkStatsBody accepted */
export function readStatsBody (buf: Buffer, start: number, end: number): StatsObject {
  text = buf.toString('latin1', start, end)
  textStart = start
  at = start
  try {
    const chain = string(buf)
    const token = string(buf)
    const asOf = string(buf)
    const lastPrice = nullableDouble(buf)
    const lastTradeAt = nullableString(buf)
    const firstSeenAt = nullableString(buf)
    const windows: Record<string, WindowStats> = {}
    for (;;) {
      let count = varint(buf, end)
      if (count === 0) break
      while (count-- > 0) {
        const key = string(buf)
        windows[key] = window(buf)
      }
    }
    return { chain, token, asOf, lastPrice, lastTradeAt, firstSeenAt, windows }
  } finally {
    text = ''
  }
}

// ── single fields, for a body checkStatsBody accepted ──

const TOKEN_FIELDS = ['chain', 'token', 'asOf', 'lastPrice', 'lastTradeAt', 'firstSeenAt']
const WINDOW_FIELDS = ['from', 'to', 'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume',
  'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers', 'open', 'close', 'high', 'low', 'priceChangePct', 'vwap']

// window names as UTF-8, to compare with map keys in place (few distinct names: the API accepts known windows only)
const windowBytesCache = new Map<string, Buffer>()
function windowBytes (window: string): Buffer {
  let b = windowBytesCache.get(window)
  if (b === undefined) {
    b = Buffer.from(window, 'utf8')
    if (windowBytesCache.size < 256) windowBytesCache.set(window, b)
  }
  return b
}

/** a string field as readStatsBody makes it (same characters; no latin1 rendering needed here) */
function rawString (buf: Buffer): string {
  const len = varint(buf, buf.length)
  at += len
  return buf.toString('utf8', at - len, at)
}

function skipStringFast (buf: Buffer): void {
  const len = varint(buf, buf.length)
  at += len
}

function skipNullableStringFast (buf: Buffer): void {
  if (buf[at++] !== 0) skipStringFast(buf)
}

function skipNullableDoubleFast (buf: Buffer): void {
  if (buf[at++] !== 0) at += 8
}

/** token-level field i of TOKEN_FIELDS */
function readTokenField (buf: Buffer, start: number, i: number): string | number | null {
  at = start
  for (let k = 0; k < i; k++) {
    if (k < 3) skipStringFast(buf)
    else if (k === 3) skipNullableDoubleFast(buf)
    else skipNullableStringFast(buf)
  }
  if (i < 3) return rawString(buf)
  if (i === 3) return nullableDouble(buf)
  return buf[at++] === 0 ? null : rawString(buf)
}

function readWindowNames (buf: Buffer, start: number): string[] {
  at = start
  skipStringFast(buf); skipStringFast(buf); skipStringFast(buf)
  skipNullableDoubleFast(buf); skipNullableStringFast(buf); skipNullableStringFast(buf)
  // the keys as an object would order them (decode() builds the map with plain assignments)
  const keys: Record<string, true> = {}
  for (;;) {
    let count = varint(buf, buf.length)
    if (count === 0) return Object.keys(keys)
    while (count-- > 0) {
      keys[rawString(buf)] = true
      for (let s = 0; s < 8; s++) skipStringFast(buf)
      for (let l = 0; l < 6; l++) varint(buf, buf.length)
      for (let d = 0; d < 6; d++) skipNullableDoubleFast(buf)
    }
  }
}

/** field i (WINDOW_FIELDS) of the last map entry whose key is `key`; undefined when none */
function readWindowField (buf: Buffer, start: number, key: Buffer, i: number): string | number | null | undefined {
  at = start
  skipStringFast(buf); skipStringFast(buf); skipStringFast(buf)
  skipNullableDoubleFast(buf); skipNullableStringFast(buf); skipNullableStringFast(buf)
  let found: string | number | null | undefined
  const klen = key.length
  for (;;) {
    let count = varint(buf, buf.length)
    if (count === 0) return found
    while (count-- > 0) {
      const len = varint(buf, buf.length)
      let match = len === klen
      for (let j = 0; match && j < len; j++) match = buf[at + j] === key[j]
      at += len
      if (!match) {
        for (let s = 0; s < 8; s++) skipStringFast(buf)
        for (let l = 0; l < 6; l++) varint(buf, buf.length)
        for (let d = 0; d < 6; d++) skipNullableDoubleFast(buf)
        continue
      }
      // a duplicate key later in the map overrides this one, as in decode(): keep walking
      for (let k = 0; k < 20; k++) {
        if (k === i) {
          found = k < 8 ? rawString(buf) : k < 14 ? varint(buf, buf.length) : nullableDouble(buf)
        } else if (k < 8) skipStringFast(buf)
        else if (k < 14) varint(buf, buf.length)
        else skipNullableDoubleFast(buf)
      }
    }
  }
}
