import { VolumerError } from '../errors.js'
import type { StatsObject, WindowStats } from '../engine/stats.js'
import { HEADER_BYTES, MAGIC_BYTE } from './wire-format.js'

/**
 * A hand-written writer of one Avro schema: schemas/stats.avsc, exactly (canonical form
 * STATS_CANONICAL_SCHEMA in stats-decoder.ts; record-codecs.ts uses this writer only while the
 * file still has that form, avsc otherwise). Output is byte-for-byte what avsc writes
 * (test/codec/stats-encoder.test.ts compares them on random objects).
 *
 * Why: the processor encodes one stats record per changed token per cycle. With avsc that was
 * ~13% of the processor's CPU in the throughput benchmark (Type.encode → generated writer →
 * Tap.writeString, then a copy out of its scratch buffer). Here records are written back to back
 * into 1 MiB slabs and handed out as views of the slab (no copy per record, no per-field
 * function dispatch); ASCII strings — every time and decimal field — are written by a plain loop.
 *
 * Values are checked as avsc checks them: a field of the wrong type is a BAD_TYPE error, not a
 * silently wrong record.
 */
const SLAB = 1 << 20

export class StatsWriter {
  readonly #id: number
  #slab: Buffer = Buffer.allocUnsafe(SLAB)
  #pos = 0
  /** where the record being written began (need() moves it whole to a new slab) */
  #start = 0

  constructor (schemaId: number) {
    this.#id = schemaId
  }

  /** the record in the Confluent wire format; a view of a slab this writer never writes again */
  encode (v: StatsObject): Buffer {
    this.#start = this.#pos
    // a record of 11 windows is ~1.3 kB; worst cases (long names, many windows, non-ASCII) go
    // through `need`, which moves the partial record to a fresh slab
    this.#need(HEADER_BYTES)
    this.#slab[this.#pos] = MAGIC_BYTE
    this.#slab.writeUInt32BE(this.#id, this.#pos + 1)
    this.#pos += HEADER_BYTES
    try {
      this.#string(v.chain, 'chain')
      this.#string(v.token, 'token')
      this.#string(v.asOf, 'asOf')
      this.#optDouble(v.lastPrice, 'lastPrice')
      this.#optString(v.lastTradeAt, 'lastTradeAt')
      this.#optString(v.firstSeenAt, 'firstSeenAt')
      const windows = v.windows
      if (typeof windows !== 'object' || windows === null) throw bad('windows', windows)
      const names = Object.keys(windows)
      if (names.length > 0) {
        this.#long(names.length, 'windows')
        for (let i = 0; i < names.length; i++) {
          this.#string(names[i], 'windows')
          this.#window(windows[names[i]], names[i])
        }
      }
      this.#long(0, 'windows')
    } catch (err) {
      this.#pos = this.#start
      throw err
    }
    return this.#slab.subarray(this.#start, this.#pos)
  }

  #window (w: WindowStats, name: string): void {
    if (typeof w !== 'object' || w === null) throw bad(`windows.${name}`, w)
    this.#string(w.from, 'from')
    this.#string(w.to, 'to')
    this.#string(w.volumeUsd, 'volumeUsd')
    this.#string(w.buyVolumeUsd, 'buyVolumeUsd')
    this.#string(w.sellVolumeUsd, 'sellVolumeUsd')
    this.#string(w.volume, 'volume')
    this.#string(w.buyVolume, 'buyVolume')
    this.#string(w.sellVolume, 'sellVolume')
    this.#long(w.txns, 'txns')
    this.#long(w.buys, 'buys')
    this.#long(w.sells, 'sells')
    this.#long(w.traders, 'traders')
    this.#long(w.buyers, 'buyers')
    this.#long(w.sellers, 'sellers')
    this.#optDouble(w.open, 'open')
    this.#optDouble(w.close, 'close')
    this.#optDouble(w.high, 'high')
    this.#optDouble(w.low, 'low')
    this.#optDouble(w.priceChangePct, 'priceChangePct')
    this.#optDouble(w.vwap, 'vwap')
  }

  /** room for `n` more bytes; a record that does not fit moves (what is written of it) to a new slab */
  #need (n: number): void {
    if (this.#pos + n <= this.#slab.length) return
    const written = this.#pos - this.#start
    const next = Buffer.allocUnsafe(Math.max(SLAB, (written + n) * 2))
    this.#slab.copy(next, 0, this.#start, this.#pos)
    this.#slab = next
    this.#start = 0
    this.#pos = written
  }

  #string (s: string, field: string): void {
    if (typeof s !== 'string') throw bad(field, s)
    const len = s.length
    // worst case: a 5-byte length, 3 UTF-8 bytes per UTF-16 unit
    this.#need(5 + len * 3)
    const buf = this.#slab
    let p = this.#pos
    if (len < 64) {
      // one length byte (zigzag(len) < 128) and, when every unit is ASCII, one byte per unit
      let i = 0
      for (; i < len; i++) {
        const c = s.charCodeAt(i)
        if (c > 0x7f) break
        buf[p + 1 + i] = c
      }
      if (i === len) {
        buf[p] = len << 1
        this.#pos = p + 1 + len
        return
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8')
    p = this.#varint(bytes * 2, p)
    this.#pos = p + buf.write(s, p, bytes, 'utf8')
  }

  #optString (s: string | null, field: string): void {
    if (s === null) { this.#byte(0); return }
    this.#byte(2)
    this.#string(s, field)
  }

  #optDouble (d: number | null, field: string): void {
    if (d === null) { this.#byte(0); return }
    if (typeof d !== 'number') throw bad(field, d)
    this.#need(9)
    this.#slab[this.#pos] = 2
    this.#slab.writeDoubleLE(d, this.#pos + 1)
    this.#pos += 9
  }

  #long (n: number, field: string): void {
    // avsc refuses what it cannot encode exactly: non-integers and |n| beyond 2^53 - 2
    if (typeof n !== 'number' || !Number.isInteger(n) || n > 9007199254740990 || n < -9007199254740990) throw bad(field, n)
    this.#need(10)
    this.#pos = this.#varint(n >= 0 ? n * 2 : -n * 2 - 1, this.#pos)
  }

  #byte (b: number): void {
    this.#need(1)
    this.#slab[this.#pos++] = b
  }

  /** the unsigned varint of `z` (already zigzagged, < 2^54) at `p`; returns the end */
  #varint (z: number, p: number): number {
    const buf = this.#slab
    while (z >= 0x80) {
      buf[p++] = (z % 0x80) | 0x80
      z = Math.floor(z / 0x80)
    }
    buf[p++] = z
    return p
  }
}

function bad (field: string, value: unknown): VolumerError {
  return new VolumerError('BAD_TYPE', `value does not match the stats schema: field ${field} is ${value === null ? 'null' : typeof value}`)
}
