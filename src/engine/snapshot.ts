import { VolumerError } from '../errors.js'
import { LIMB } from '../swap/decimal18.js'
import { Engine } from './engine.js'
import { hashOut, mixTime, type TableArena } from './hash64.js'
import type { SlicedDedup } from './dedup-slices.js'
import {
  STRIDE, B_START, B_USD, B_COUNT, B_T_ANY, B_T_SIDE, B_HIGH, B_LOW,
  B_OPEN_P, B_OPEN_T, B_OPEN_B, B_OPEN_L, B_CLOSE_P, B_CLOSE_T, B_CLOSE_B, B_CLOSE_L
} from './bucket-pool.js'
import { type Token, DQ_H, DQ_N, appendTo, latestAny, TV_FIRST_SEEN, TV_LAST_T, TV_LAST_PRICE, TV_LAST_B, TV_LAST_L, TV_PENDING_MIN, TV_FOLDED,
  TI_ID_OFF, TI_ID_SIZE, TI_TR_OFF, TI_TR_SIZE, TI_STRIDE } from './token.js'
import type { WindowSpec } from './windows.js'
import { RAW_STRIDE, R_T, R_SL, R_USD, R_AMT, R_PRICE, R_BN, R_TRADER, R_ID, fitsInt32 } from './raw-swap.js'

/*
 * Snapshot encoding, little-endian, version 4:
 *
 *   engine: "VLME" u8 version=4 u8 kind=1 | f64 skew | f64 now | f64×4 counters
 *           | u16 windows { str name, f64 length, f64 step } | u32 tokens { token }
 *           | u32 removed { str key, i32 hi, i32 lo }
 *   token:  "VLME" u8 version=4 u8 kind=2 | u16 levels { f64 step } | token
 *
 *   token := str chain, str token, f64 firstSeen, f64 lastT, f64 lastB, f64 lastL, f64 lastPrice,
 *            u8 flags (1 reported, 2 dirty, 4 folded, 8 raw), i32 repHi, i32 repLo,
 *            [flag 4: per chain level f64 folded],
 *            flag 8: raw, else per level: u32 n { bucket }, u32 n { i32 hi, i32 lo, f64 any, f64 buy, f64 sell },
 *            ids, u32 n { f64 t, i32 hi, i32 lo, u8 side }
 *   ids := f64 sliceMs, u32 slices { f64 sliceStart, u32 n { i32 hi, i32 lo } }   (dedup-slices.ts)
 *   bucket := f64 start, 4 × (u32 l0, u32 l1, u32 l2, f64 l3), u32 buys, u32 sells,
 *             u32 traders, u32 buyers, u32 sellers, f64 high, f64 low,
 *             f64 openP, f64 openT, f64 openB, u32 openL, f64 closeP, f64 closeT, f64 closeB, u32 closeL
 *   raw := f64 blockTime, u8 side, 2 × (u32 l0, u32 l1, u32 l2, f64 l3), f64 price,
 *          f64 blockNumber, f64 logIndex, i32 traderHi, i32 traderLo, i32 idHi, i32 idLo
 *   str := u16 byte length, UTF-8
 *
 * Only state inside the horizon is written: expired dedup ids and traders are skipped, so a
 * snapshot is proportional to the activity of the last longest window.
 *
 * Version 2 (tiered levels): a swap lives in one chain bucket, and `folded` tells which chain
 * level holds which times; version 1 snapshots (a bucket per level per swap) are refused.
 * Version 3 adds flag 8, a token whose one swap is kept raw (raw-swap.ts); version 2 is read
 * as before (it has no such tokens).
 * Version 4 (12-07, SPEC 3's duplicate is the same id AND blockTime): the dedup keys (the ids'
 * hi/lo and a raw swap's idHi/idLo) are the id fingerprint mixed with the blockTime (hash64.ts
 * mixTime), and the ids are written by time slice (8 bytes an id instead of 16). Versions 2
 * and 3 wrote `u32 n { i32 hi, i32 lo, f64 blockTime }` with the id fingerprint alone: they are
 * re-keyed on read with the blockTime stored beside each, which is exactly the key the engine
 * makes for that swap. An older build refuses version 4. A slice length other than this
 * build's puts each key into every slice of ours its slice overlaps (a key holds its
 * blockTime, so an extra copy never matches another swap).
 */
const MAGIC = 0x454d4c56 // "VLME" read as little-endian u32
const VERSION = 4
/** the first version whose dedup keys include the blockTime */
const TIME_KEYED = 4
const OLDEST_READ = 2
const KIND_ENGINE = 1
const KIND_TOKEN = 2

const encoder = new TextEncoder()

class Writer {
  buf = new Uint8Array(4096)
  view = new DataView(this.buf.buffer)
  pos = 0
  ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < this.pos + n) cap *= 2
    const next = new Uint8Array(cap); next.set(this.buf); this.buf = next; this.view = new DataView(next.buffer)
  }
  u8 (v: number): void { this.ensure(1); this.view.setUint8(this.pos, v); this.pos += 1 }
  u16 (v: number): void { this.ensure(2); this.view.setUint16(this.pos, v, true); this.pos += 2 }
  u32 (v: number): void { this.ensure(4); this.view.setUint32(this.pos, v, true); this.pos += 4 }
  i32 (v: number): void { this.ensure(4); this.view.setInt32(this.pos, v, true); this.pos += 4 }
  f64 (v: number): void { this.ensure(8); this.view.setFloat64(this.pos, v, true); this.pos += 8 }
  str (s: string): void {
    // encoded in place: at most 3 bytes per UTF-16 unit
    this.ensure(2 + s.length * 3)
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos + 2))
    if (written > 0xffff) throw new VolumerError('BAD_SNAPSHOT', 'string too long for a snapshot')
    this.view.setUint16(this.pos, written, true)
    this.pos += 2 + written
  }
  bytes (): Uint8Array { return this.buf.slice(0, this.pos) }
}

class Reader {
  view: DataView
  pos = 0
  /** the snapshot's version, set by readHeader */
  version = 0
  #dec = new TextDecoder('utf-8', { fatal: true })
  constructor (readonly buf: Uint8Array) { this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength) }
  need (n: number): void { if (this.pos + n > this.buf.length) throw new VolumerError('BAD_SNAPSHOT', 'snapshot is truncated') }
  u8 (): number { this.need(1); return this.view.getUint8(this.pos++) }
  u16 (): number { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v }
  u32 (): number { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v }
  i32 (): number { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v }
  f64 (): number { this.need(8); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v }
  str (): string {
    const n = this.u16(); this.need(n)
    try { return this.#dec.decode(this.buf.subarray(this.pos, this.pos + n)) } finally { this.pos += n }
  }
}

const tokenWriter = new Writer()

function header (w: Writer, kind: number): void { w.u32(MAGIC); w.u8(VERSION); w.u8(kind) }

function readHeader (r: Reader, kind: number): void {
  if (r.buf.length < 6 || r.u32() !== MAGIC) throw new VolumerError('BAD_SNAPSHOT', 'not a Volumer snapshot')
  const version = r.u8()
  if (version < OLDEST_READ || version > VERSION) throw new VolumerError('BAD_SNAPSHOT', `unsupported snapshot version ${version}`)
  r.version = version
  const k = r.u8()
  if (k !== kind) throw new VolumerError('BAD_SNAPSHOT', `expected a ${kind === KIND_ENGINE ? 'engine' : 'token'} snapshot`)
}

function writeToken (w: Writer, e: Engine, tok: Token): void {
  const d = e._pool.data
  const hs = e.horizonStart
  w.str(tok.chain); w.str(tok.token)
  const raw = tok.raw >= 0
  const tv = e._tv
  const F = tok.row * e._tvWidth + TV_FOLDED
  // a token that has folded nothing yet writes no fold times (they would all be -Infinity)
  let folded = false
  if (raw) {
    // a raw token has no row: its one swap is its first and its last
    const rd = e._rawPool.data
    const ro = tok.raw * RAW_STRIDE
    w.f64(rd[ro + R_T]); w.f64(rd[ro + R_T]); w.f64(rd[ro + R_BN]); w.f64(e._rawPool.ints[2 * (ro + R_SL) + 1]); w.f64(rd[ro + R_PRICE])
  } else {
    const vo = tok.row * e._tvWidth
    w.f64(tv[vo + TV_FIRST_SEEN]); w.f64(tv[vo + TV_LAST_T]); w.f64(tv[vo + TV_LAST_B]); w.f64(tv[vo + TV_LAST_L]); w.f64(tv[vo + TV_LAST_PRICE])
    for (let k = 0; k < e._chainLength; k++) if (tv[F + k] > -Infinity) folded = true
  }
  w.u8((tok.reported ? 1 : 0) | (tok.dirty ? 2 : 0) | (folded ? 4 : 0) | (raw ? 8 : 0)); w.i32(tok.repHi); w.i32(tok.repLo)
  if (folded) for (let k = 0; k < e._chainLength; k++) w.f64(tv[F + k])
  if (raw) { writeRaw(w, e, tok.raw); return }
  for (let l = 0; l < e._levelCount; l++) {
    const off = e._deques.roots[tok.row * e._levelCount + l]
    const q = e._deques.data
    const h = off < 0 ? 0 : q[off + DQ_H]
    const n = off < 0 ? 0 : q[off + DQ_N]
    w.u32(n)
    for (let i = h; i < h + n; i++) {
      const o = q[i] * STRIDE
      w.f64(d[o + B_START])
      for (let k = 0; k < 16; k += 4) {
        // carried so the three low limbs fit a u32
        let l0 = d[o + B_USD + k]; let l1 = d[o + B_USD + k + 1]; let l2 = d[o + B_USD + k + 2]; let l3 = d[o + B_USD + k + 3]
        let c = Math.floor(l0 / LIMB); l0 -= c * LIMB; l1 += c
        c = Math.floor(l1 / LIMB); l1 -= c * LIMB; l2 += c
        c = Math.floor(l2 / LIMB); l2 -= c * LIMB; l3 += c
        w.u32(l0); w.u32(l1); w.u32(l2); w.f64(l3)
      }
      w.u32(d[o + B_COUNT]); w.u32(d[o + B_COUNT + 1])
      w.u32(d[o + B_T_ANY]); w.u32(d[o + B_T_SIDE]); w.u32(d[o + B_T_SIDE + 1])
      w.f64(d[o + B_HIGH]); w.f64(d[o + B_LOW])
      w.f64(d[o + B_OPEN_P]); w.f64(d[o + B_OPEN_T]); w.f64(d[o + B_OPEN_B]); w.u32(d[o + B_OPEN_L])
      w.f64(d[o + B_CLOSE_P]); w.f64(d[o + B_CLOSE_T]); w.f64(d[o + B_CLOSE_B]); w.u32(d[o + B_CLOSE_L])
    }
  }
  const io = tok.row * TI_STRIDE
  writeTable(w, e._traderArena, e._ti[io + TI_TR_OFF], tok.trK, hs, true)
  writeIds(w, e._dedup, e._ti[io + TI_ID_OFF], hs)
  const p = tok.pending ?? []
  w.u32(p.length / 4)
  for (let i = 0; i < p.length; i += 4) { w.f64(p[i]); w.i32(p[i + 1]); w.i32(p[i + 2]); w.u8(p[i + 3]) }
}

function writeRaw (w: Writer, e: Engine, r: number): void {
  const d = e._rawPool.data
  const ints = e._rawPool.ints
  const o = r * RAW_STRIDE
  // the encoding predates the int32 row (raw-swap.ts) and is kept: l3 and logIndex as doubles
  w.f64(d[o + R_T]); w.u8(ints[2 * (o + R_SL)])
  for (const at of [R_USD, R_AMT]) { const i = 2 * (o + at); w.u32(ints[i]); w.u32(ints[i + 1]); w.u32(ints[i + 2]); w.f64(ints[i + 3]) }
  w.f64(d[o + R_PRICE]); w.f64(d[o + R_BN]); w.f64(ints[2 * (o + R_SL) + 1])
  w.i32(ints[2 * (o + R_TRADER)]); w.i32(ints[2 * (o + R_TRADER) + 1])
  w.i32(ints[2 * (o + R_ID)]); w.i32(ints[2 * (o + R_ID) + 1])
}

/** Reads a raw swap into a new entry of the engine's raw pool (the token's `raw` once it is complete). */
function readRaw (r: Reader, e: Engine, tok: Token): void {
  const pool = e._rawPool
  const at = pool.alloc()
  // the token's before it is read, so a truncated input leaves nothing outside the token
  tok.raw = at
  const d = pool.data
  const o = at * RAW_STRIDE
  d[o + R_T] = r.f64()
  const side = r.u8()
  if (side > 1) throw new VolumerError('BAD_SNAPSHOT', 'raw swap with an unknown side')
  const ints = pool.ints
  ints[2 * (o + R_SL)] = side
  for (const f of [R_USD, R_AMT]) {
    for (let k = 0; k < 4; k++) {
      const limb = k < 3 ? r.u32() : r.f64()
      // the engine keeps only such swaps raw (fitsRaw), so another value is a damaged snapshot
      if (!fitsInt32(limb)) throw new VolumerError('BAD_SNAPSHOT', 'raw swap with an amount limb out of range')
      ints[2 * (o + f) + k] = limb
    }
  }
  d[o + R_PRICE] = r.f64(); d[o + R_BN] = r.f64()
  const li = r.f64()
  if (!fitsInt32(li)) throw new VolumerError('BAD_SNAPSHOT', 'raw swap with a logIndex out of range')
  ints[2 * (o + R_SL) + 1] = li
  ints[2 * (o + R_TRADER)] = r.i32(); ints[2 * (o + R_TRADER) + 1] = r.i32()
  ints[2 * (o + R_ID)] = r.i32(); ints[2 * (o + R_ID) + 1] = r.i32()
  if (r.version < TIME_KEYED) {
    mixTime(ints[2 * (o + R_ID)], ints[2 * (o + R_ID) + 1], d[o + R_T])
    ints[2 * (o + R_ID)] = hashOut[0]; ints[2 * (o + R_ID) + 1] = hashOut[1]
  }
}

/**
 * A table's live entries. Trader entries are written as { any, buy, sell } (the format since
 * version 2), `any` derived from the two the engine keeps.
 */
function writeTable (w: Writer, arena: TableArena, off: number, k: number, liveFrom: number, withAny: boolean): void {
  if (off < 0) { w.u32(0); return }
  const d = arena.data
  const stride = arena.stride
  let n = 0
  arena.forEach(off, k, (hi, lo, base) => { if (arena.isLive(base, liveFrom)) n++ })
  w.u32(n)
  arena.forEach(off, k, (hi, lo, base) => {
    if (!arena.isLive(base, liveFrom)) return
    w.i32(hi); w.i32(lo)
    if (withAny) w.f64(latestAny(d, base))
    for (let j = 0; j < stride; j++) w.f64(d[base + j])
  })
}

/** A token's dedup keys of the slices inside the horizon. */
function writeIds (w: Writer, dd: SlicedDedup, hd: number, liveFrom: number): void {
  const slice = dd.sliceMs
  w.f64(slice)
  if (hd < 0) { w.u32(0); return }
  let n = 0
  const slices = dd.slices(hd)
  for (let j = 0; j < slices; j++) if ((dd.sliceIndex(hd, j) + 1) * slice > liveFrom) n++
  w.u32(n)
  for (let j = 0; j < slices; j++) {
    if ((dd.sliceIndex(hd, j) + 1) * slice <= liveFrom) continue
    w.f64(dd.sliceIndex(hd, j) * slice)
    w.u32(dd.sliceSize(hd, j))
    dd.forEachKey(hd, j, (hi, lo) => { w.i32(hi); w.i32(lo) })
  }
}

/** Version 4's ids into the token's (row at io) dedup handle, created on the first key. */
function readIds (r: Reader, e: Engine, io: number): void {
  const ours = e._dedup.sliceMs
  const sliceMs = r.f64()
  // at most a week: a damaged length must not make the overlap loop below run for ever
  if (!(sliceMs > 0 && sliceMs <= 7 * 86_400_000 && Number.isInteger(sliceMs))) throw new VolumerError('BAD_SNAPSHOT', 'bad dedup slice length')
  const slices = r.u32()
  let count = 0
  for (let j = 0; j < slices; j++) {
    const start = r.f64()
    const n = r.u32()
    r.need(n * 8)
    for (let i = 0; i < n; i++) {
      const hi = r.i32(); const lo = r.i32()
      if (hi === 0 && lo === 0) throw new VolumerError('BAD_SNAPSHOT', 'empty key in a table')
      // each of our slices that [start, start + sliceMs) overlaps (one, when the lengths agree)
      for (let t = start; t < start + sliceMs; t = (Math.floor(t / ours) + 1) * ours) addId(e, io, t, hi, lo)
      count++
    }
  }
  e._ti[io + TI_ID_SIZE] = count
}

/** Versions 2 and 3: id fingerprints with their blockTime, re-keyed with it. */
function readIdsV3 (r: Reader, e: Engine, io: number): void {
  const n = r.u32()
  r.need(n * 16)
  for (let i = 0; i < n; i++) {
    const hi = r.i32(); const lo = r.i32()
    if (hi === 0 && lo === 0) throw new VolumerError('BAD_SNAPSHOT', 'empty key in a table')
    const t = r.f64()
    mixTime(hi, lo, t)
    addId(e, io, t, hashOut[0], hashOut[1])
  }
  e._ti[io + TI_ID_SIZE] = n
}

function addId (e: Engine, io: number, t: number, hi: number, lo: number): void {
  const dd = e._dedup
  let hd = e._ti[io + TI_ID_OFF]
  if (hd < 0) { hd = dd.create(); e._ti[io + TI_ID_OFF] = hd }
  e._ti[io + TI_ID_OFF] = dd.restoreKey(hd, t, hi, lo)
}

/** Reads a table into a new block of `arena`; returns its offset (-1: empty), k in arena.k, entries in arena.live. */
function readTable (r: Reader, arena: TableArena, withAny: boolean): number {
  const n = r.u32()
  arena.live = n
  if (n === 0) return -1
  // each entry takes at least 8 bytes: refuse a count the input cannot hold before allocating
  r.need(n * 8)
  const off = arena.create(n * 2)
  const k = arena.k
  const stride = arena.stride
  try {
    for (let i = 0; i < n; i++) {
      const hi = r.i32(); const lo = r.i32()
      if (hi === 0 && lo === 0) throw new VolumerError('BAD_SNAPSHOT', 'empty key in a table')
      const b = arena.insert(off, k, hi, lo)
      if (withAny) r.f64()
      for (let j = 0; j < stride; j++) arena.data[b + j] = r.f64()
    }
  } catch (err) {
    arena.free(off, k)
    throw err
  }
  return off
}

function readToken (r: Reader, e: Engine): Token {
  const chain = r.str(); const token = r.str()
  const tok = e._newToken(chain, token)
  try {
    readTokenState(r, e, tok)
  } catch (err) {
    // what was read so far sits in the engine's pools: give it back
    e._discard(tok)
    throw err
  }
  return tok
}

function readTokenState (r: Reader, e: Engine, tok: Token): void {
  const levels = e._levelCount
  const firstSeen = r.f64(); const lastT = r.f64(); const lastB = r.f64(); const lastL = r.f64(); const lastPrice = r.f64()
  const flags = r.u8()
  tok.reported = (flags & 1) !== 0
  tok.dirty = (flags & 2) !== 0
  tok.repHi = r.i32(); tok.repLo = r.i32()
  if ((flags & 8) !== 0) {
    // a raw token's values are its swap's (the writer takes them from it); it has folded nothing
    if ((flags & 4) !== 0) throw new VolumerError('BAD_SNAPSHOT', 'raw swap with fold times')
    readRaw(r, e, tok)
    return
  }
  e._assignRow(tok)
  const vo = tok.row * e._tvWidth
  e._tv[vo + TV_FIRST_SEEN] = firstSeen; e._tv[vo + TV_LAST_T] = lastT; e._tv[vo + TV_LAST_PRICE] = lastPrice
  e._tv[vo + TV_LAST_B] = lastB; e._tv[vo + TV_LAST_L] = lastL
  if ((flags & 4) !== 0) for (let k = 0; k < e._chainLength; k++) e._tv[vo + TV_FOLDED + k] = r.f64()
  const pool = e._pool
  for (let l = 0; l < levels; l++) {
    const n = r.u32()
    let prevStart = -Infinity
    for (let i = 0; i < n; i++) {
      const b = pool.alloc()
      // in the deque before it is read, so a truncated input leaves nothing outside the token
      appendTo(e._deques, tok, l, b)
      const d = pool.data
      const o = b * STRIDE
      d[o + B_START] = r.f64()
      for (let k = 0; k < 16; k += 4) { d[o + B_USD + k] = r.u32(); d[o + B_USD + k + 1] = r.u32(); d[o + B_USD + k + 2] = r.u32(); d[o + B_USD + k + 3] = r.f64() }
      d[o + B_COUNT] = r.u32(); d[o + B_COUNT + 1] = r.u32()
      d[o + B_T_ANY] = r.u32(); d[o + B_T_SIDE] = r.u32(); d[o + B_T_SIDE + 1] = r.u32()
      d[o + B_HIGH] = r.f64(); d[o + B_LOW] = r.f64()
      d[o + B_OPEN_P] = r.f64(); d[o + B_OPEN_T] = r.f64(); d[o + B_OPEN_B] = r.f64(); d[o + B_OPEN_L] = r.u32()
      d[o + B_CLOSE_P] = r.f64(); d[o + B_CLOSE_T] = r.f64(); d[o + B_CLOSE_B] = r.f64(); d[o + B_CLOSE_L] = r.u32()
      if (d[o + B_START] <= prevStart) throw new VolumerError('BAD_SNAPSHOT', 'buckets out of order')
      prevStart = d[o + B_START]
    }
  }
  // each handle stored as soon as its table exists, so a truncated input leaves nothing outside the token
  const io = tok.row * TI_STRIDE
  const trOff = readTable(r, e._traderArena, true)
  e._ti[io + TI_TR_OFF] = trOff; tok.trK = e._traderArena.k; e._ti[io + TI_TR_SIZE] = e._traderArena.live
  if (r.version < TIME_KEYED) readIdsV3(r, e, io)
  else readIds(r, e, io)
  const np = r.u32()
  if (np > 0) {
    tok.pending = []
    for (let i = 0; i < np; i++) {
      const t = r.f64()
      tok.pending.push(t, r.i32(), r.i32(), r.u8())
      if (t < e._tv[vo + TV_PENDING_MIN]) e._tv[vo + TV_PENDING_MIN] = t
    }
  }
}

/** The whole engine: configuration, clock, counters, every token, pending drain state. */
export function snapshotEngine (e: Engine): Uint8Array {
  const slices = snapshotEngineSlices(e)
  for (;;) {
    const next = slices.next()
    if (next.done === true) return next.value
  }
}

/**
 * snapshotEngine one token at a time: the same bytes, with the generator returning to its caller
 * after each token (and the removed-token list), so a caller on an event loop can let other work
 * run between slices instead of stalling for the whole encoding (issue #20: tens to hundreds of
 * ms per partition checkpoint in `volumer run`). The snapshot is of the engine as it is while
 * the generator runs: the caller must not change the engine before it is done.
 */
export function * snapshotEngineSlices (e: Engine): Generator<void, Uint8Array, void> {
  const w = new Writer()
  header(w, KIND_ENGINE)
  w.f64(e.skewMs); w.f64(e.now)
  w.f64(e.counters.counted); w.f64(e.counters.duplicates); w.f64(e.counters.late); w.f64(e.counters.future)
  w.u16(e.windows.length)
  for (const win of e.windows) { w.str(win.name); w.f64(win.lengthMs); w.f64(win.stepMs) }
  const toks = e._tokens()
  w.u32(toks.length)
  for (const tok of toks) { writeToken(w, e, tok); yield }
  const removed = e._removedEntries()
  w.u32(removed.length)
  for (const [key, fp] of removed) { w.str(key); w.i32(fp.hi); w.i32(fp.lo) }
  return w.bytes()
}

export function restoreEngine (bytes: Uint8Array): Engine {
  const r = new Reader(bytes)
  readHeader(r, KIND_ENGINE)
  const skewMs = r.f64(); const now = r.f64()
  const counters = { counted: r.f64(), duplicates: r.f64(), late: r.f64(), future: r.f64() }
  const nw = r.u16()
  const windows: WindowSpec[] = []
  for (let i = 0; i < nw; i++) windows.push(Object.freeze({ name: r.str(), lengthMs: r.f64(), stepMs: r.f64() }))
  const e = new Engine({ windows, skewMs, now })
  Object.assign(e.counters, counters)
  const n = r.u32()
  for (let i = 0; i < n; i++) adopt(e, readToken(r, e))
  const nr = r.u32()
  for (let i = 0; i < nr; i++) e._restoreRemoved(r.str(), r.i32(), r.i32())
  if (r.pos !== bytes.length) throw new VolumerError('BAD_SNAPSHOT', 'trailing bytes after the snapshot')
  return e
}

function adopt (e: Engine, tok: Token): void {
  const dirty = tok.dirty
  tok.dirty = false
  e._adopt(tok)
  if (dirty) e._markDirty(tok)
}

function levelSteps (e: Engine): number[] {
  return [...new Set(e.windows.map((w) => w.stepMs))].sort((a, b) => a - b)
}

/** One token's state, e.g. for a changelog record keyed chain:token. */
export function snapshotToken (e: Engine, chain: string, token: string): Uint8Array | undefined {
  const tok = e._token(chain, token)
  if (tok === undefined) return undefined
  // one writer reused for every token snapshot (the processor takes thousands per cycle);
  // bytes() copies out, so the result owns its memory
  const w = tokenWriter
  w.pos = 0
  header(w, KIND_TOKEN)
  const steps = levelSteps(e)
  w.u16(steps.length)
  for (const s of steps) w.f64(s)
  writeToken(w, e, tok)
  return w.bytes()
}

/** Replaces (or creates) the token's state from `snapshotToken` bytes. */
export function restoreToken (e: Engine, bytes: Uint8Array): void {
  const r = new Reader(bytes)
  readHeader(r, KIND_TOKEN)
  const steps = levelSteps(e)
  const n = r.u16()
  if (n !== steps.length) throw new VolumerError('BAD_SNAPSHOT', 'token snapshot was written with other windows')
  for (let i = 0; i < n; i++) if (r.f64() !== steps[i]) throw new VolumerError('BAD_SNAPSHOT', 'token snapshot was written with other window steps')
  const tok = readToken(r, e)
  if (r.pos !== bytes.length) throw new VolumerError('BAD_SNAPSHOT', 'trailing bytes after the token snapshot')
  adopt(e, tok)
}
