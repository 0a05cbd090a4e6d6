import type { Swap } from '../swap/swap.js'
import { limbsToString, LIMB } from '../swap/decimal18.js'
import { VolumerError } from '../errors.js'
import type { StatsObject, WindowStats } from './stats.js'
import { DEFAULT_WINDOWS, type WindowSpec, windowEnd } from './windows.js'
import { hashString, hashOut, mixTime, TableArena } from './hash64.js'
import { SlicedDedup, DEFAULT_SLICE_MS } from './dedup-slices.js'
import {
  BucketPool, NIL, STRIDE, B_START, B_USD, B_AMT, B_COUNT, B_T_ANY, B_T_SIDE,
  B_HIGH, B_LOW, B_OPEN_P, B_OPEN_T, B_OPEN_B, B_OPEN_L, B_CLOSE_P, B_CLOSE_T, B_CLOSE_B, B_CLOSE_L
} from './bucket-pool.js'
import { TimerHeap } from './timer-heap.js'
import {
  Token, DequeArena, TR_SIDE, TR_STRIDE, latestAny, DQ_H, DQ_N, tailOf, insertAt, shift, shrink,
  TV_FIRST_SEEN, TV_LAST_T, TV_LAST_PRICE, TV_LAST_B, TV_LAST_L, TV_PENDING_MIN, TV_FOLDED, rowWidth, clearValues,
  TI_ID_OFF, TI_ID_SIZE, TI_TR_OFF, TI_TR_SIZE, TI_STRIDE
} from './token.js'
import { grown, grownFilled } from './grow.js'
import { snapshotEngine, snapshotToken, restoreToken } from './snapshot.js'
import {
  RAW_STRIDE, R_T, R_SL, R_USD, R_AMT, R_PRICE, R_BN, R_TRADER, R_ID, fitsRaw,
  SW_STRIDE, SW_T, SW_SIDE, SW_USD, SW_AMT, SW_PRICE, SW_BN, SW_LI
} from './raw-swap.js'


/** Outcomes of `ingest`, small integers so callers switch on them without allocation. */
export const COUNTED = 0
export const DUPLICATE = 1
export const LATE = 2
export const FUTURE = 3
export type IngestOutcome = typeof COUNTED | typeof DUPLICATE | typeof LATE | typeof FUTURE

export interface EngineOptions {
  /** default: 1m 5m 15m 30m 1h 2h 4h 6h 8h 12h 24h */
  windows?: readonly WindowSpec[]
  /** how far ahead of the clock a blockTime may be; default 60 s */
  skewMs?: number
  /** initial clock, ms since the epoch */
  now: number
  /**
   * @internal the dedup sets' time slice (dedup-slices.ts), default 1 h: tests pass a short one
   * so that slices expire while a token lives, as in day-long runs with the default
   */
  dedupSliceMs?: number
}

export interface EngineCounters {
  counted: number
  duplicates: number
  late: number
  future: number
}

/** Called by `drain` for each token whose numbers changed; `null` when its state was dropped. */
export type ChangeListener = (key: string, stats: StatsObject | null) => void
/**
 * Called by `drain` for each token whose persisted state must be rewritten: it took swaps since
 * the last drain (alive=true), or it was dropped (alive=false). Changes that time alone makes are
 * not reported: a restored state advanced to the same clock makes them again.
 */
export type StateListener = (key: string, chain: string, token: string, alive: boolean) => void

/** One bucket level: the windows sharing a step. */
interface Level {
  readonly step: number
  /** window indices, ascending length */
  readonly windows: readonly number[]
  readonly minL: number
  readonly maxL: number
  /** current end of the step containing the clock */
  E: number
  /** start of the level's longest window: buckets wholly before it are dropped */
  aMin: number
}

// Per-window result of a scan, `O_STRIDE` doubles per window (limbs normalised):
const O_USD = 0 // + side*4
const O_AMT = 8 // + side*4
const O_COUNT = 16 // + side
const O_T_ANY = 18
const O_T_SIDE = 19 // + side
const O_HIGH = 21
const O_LOW = 22
const O_OPEN = 23
const O_CLOSE = 24
const O_STRIDE = 25

// A bucket's limbs are carried every 2²⁰ swaps of one side, so a limb stays below ~1.1·10¹⁵
// and the scan can add four buckets before it must carry (2⁵³ ≈ 9·10¹⁵).
const BUCKET_CARRY_MASK = 0xfffff

// slots of the engine's double scratch array
const F_START = 0
const F_T = 1
const F_FROM = 2
const F_TO = 3
const ACC_CARRY_EVERY = 4

export class Engine {
  readonly windows: readonly WindowSpec[]
  readonly skewMs: number
  now: number
  readonly counters: EngineCounters = { counted: 0, duplicates: 0, late: 0, future: 0 }
  tokenCount = 0

  readonly #levels: Level[]
  /**
   * Levels [0, #chainLen) form the tiered chain: each step a multiple of the previous one. A
   * swap is written to one chain bucket only (the finest level that still holds its time);
   * buckets older than their level's horizon are folded into the next level (see #maintain).
   * Levels from #chainLen on (a step that is no multiple of the previous one) take every swap.
   */
  readonly #chainLen: number
  /** see the constructor: level 0's timer is the earliest for a swap in a present bucket */
  readonly #finestTimer: boolean
  /** per chain level k: min of aMin over chain levels ≥ k; a bucket of level k before it is useless */
  readonly #sufMin: Float64Array
  /** name of the longest window: `volumer stats` prints tokens with a swap in it */
  readonly #longestName: string
  readonly #winStart: Float64Array
  readonly #winEnd: Float64Array
  #horizonStart = 0
  readonly #pool = new BucketPool()
  /** lone swaps of tokens that have one (raw-swap.ts) */
  readonly #rawPool = new BucketPool(1024, RAW_STRIDE)
  /** every token's dedup sets, one per hour of blockTime (dedup-slices.ts); a token's handle is its TI_ID_OFF */
  readonly #dedup: SlicedDedup
  /** every token's trader table (see token.ts TR_*) */
  readonly #traderArena = new TableArena(TR_STRIDE)
  /** every token's per-level bucket deques */
  readonly #dq: DequeArena
  /** bucketed tokens' doubles, a row of #tvw per `row` (token.ts TV_*) */
  #tv: Float64Array
  readonly #tvw: number
  /** bucketed tokens' table handles, a row of TI_STRIDE per `row` (token.ts TI_*) */
  #ti = new Int32Array(1024 * TI_STRIDE)
  readonly #freeRows: number[] = []
  /** rows ever handed out: the next new one */
  #rowTop = 0
  /** per slot: time of the token's live entry in the timer heap (Infinity: none) */
  #timers = new Float64Array(1024).fill(Infinity)
  readonly #byChain = new Map<string, Map<string, Token>>()
  /** the chain of the last swap and its token map (undefined once that map is gone) */
  #lastChain: string | undefined = undefined
  #lastByToken: Map<string, Token> | undefined = undefined
  readonly #slots: Array<Token | undefined> = []
  readonly #freeSlots: number[] = []
  /** slots ever handed out: the next new one */
  #slotTop = 0
  readonly #heap = new TimerHeap()
  readonly #dirty: Token[] = []
  readonly #removed = new Map<string, { hi: number, lo: number }>()
  /** tokens dropped since the last drain: [key, chain, token, ...] */
  readonly #dropped: string[] = []
  readonly #out: Float64Array
  readonly #out32: Int32Array
  readonly #acc = new Float64Array(O_STRIDE)
  readonly #scratch: Int32Array
  /** typed scratch for arguments of hot private methods (see #settle) */
  readonly #f = new Float64Array(4)
  readonly #h = new Int32Array(2)
  /** fingerprint of the trader of the swap being ingested */
  readonly #tr = new Int32Array(2)
  /** the swap being ingested, as a swap row of raw-swap.ts (what #place reads) */
  readonly #sv = new Float64Array(SW_STRIDE)
  /** a raw swap being densified, unpacked to a swap row */
  readonly #rawSv = new Float64Array(SW_STRIDE)
  #isoAt = NaN
  /** start of the oldest bucket the scan took for the current level (NaN: none) */
  #oldest = NaN
  #asOfIso = ''
  readonly #fromIso: string[]
  readonly #toIso: string[]

  constructor (options: EngineOptions) {
    const windows = options.windows ?? DEFAULT_WINDOWS
    if (windows.length === 0) throw new VolumerError('BAD_CONFIG', 'at least one window is needed')
    const skewMs = options.skewMs ?? 60_000
    if (!Number.isFinite(skewMs) || skewMs < 0) throw new VolumerError('BAD_CONFIG', `skew must be a non-negative number of ms, got ${skewMs}`)
    if (!Number.isFinite(options.now)) throw new VolumerError('BAD_CONFIG', 'the initial clock must be a finite number of ms')
    const sliceMs = options.dedupSliceMs ?? DEFAULT_SLICE_MS
    if (!Number.isInteger(sliceMs) || sliceMs <= 0) throw new VolumerError('BAD_CONFIG', `dedup slice must be a positive integer number of ms, got ${sliceMs}`)
    this.#dedup = new SlicedDedup(sliceMs)
    this.windows = Object.freeze([...windows])
    this.skewMs = skewMs
    this.now = options.now
    const steps = [...new Set(windows.map((w) => w.stepMs))].sort((a, b) => a - b)
    this.#levels = steps.map((step) => {
      const idx = windows.map((w, i) => i).filter((i) => windows[i].stepMs === step)
      idx.sort((a, b) => windows[a].lengthMs - windows[b].lengthMs)
      return { step, windows: idx, minL: windows[idx[0]].lengthMs, maxL: windows[idx[idx.length - 1]].lengthMs, E: 0, aMin: 0 }
    })
    let chainLen = 1
    while (chainLen < steps.length && steps[chainLen] % steps[chainLen - 1] === 0) chainLen++
    this.#chainLen = chainLen
    this.#dq = new DequeArena(this.#levels.length)
    this.#tvw = rowWidth(chainLen)
    this.#tv = new Float64Array(this.#tvw * 1024)
    // A swap in a past or current 1st-level bucket first changes a window when it leaves the
    // shortest one: start + minL of level 0 comes before c + minL of every coarser chain level
    // (c ≥ start − step) when minL − step of each is at least level 0's minL. True for the
    // default windows; with it, ingest skips a division per chain level.
    let finest = true
    for (let m = 1; m < chainLen; m++) if (this.#levels[m].minL - this.#levels[m].step < this.#levels[0].minL) finest = false
    this.#finestTimer = finest
    this.#sufMin = new Float64Array(chainLen)
    let longest = windows[0]
    for (const w of windows) if (w.lengthMs > longest.lengthMs) longest = w
    this.#longestName = longest.name
    this.#winStart = new Float64Array(windows.length)
    this.#winEnd = new Float64Array(windows.length)
    this.#out = new Float64Array(windows.length * O_STRIDE + 4)
    this.#out32 = new Int32Array(this.#out.buffer)
    this.#scratch = new Int32Array(this.#levels.length)
    this.#fromIso = new Array<string>(windows.length).fill('')
    this.#toIso = new Array<string>(windows.length).fill('')
    this.#recomputeEdges()
  }

  /** Start of the oldest window at the current clock: anything older is late. */
  get horizonStart (): number { return this.#horizonStart }
  get liveBuckets (): number { return this.#pool.live }

  #recomputeEdges (): void {
    let hs = Infinity
    for (const lv of this.#levels) {
      lv.E = windowEnd(this.now, lv.step)
      lv.aMin = lv.E - lv.maxL
      if (lv.aMin < hs) hs = lv.aMin
      for (const w of lv.windows) {
        this.#winEnd[w] = lv.E
        this.#winStart[w] = lv.E - this.windows[w].lengthMs
      }
    }
    this.#horizonStart = hs
    let m = Infinity
    for (let k = this.#chainLen - 1; k >= 0; k--) {
      const a = this.#levels[k].aMin
      if (a < m) m = a
      this.#sufMin[k] = m
    }
  }

  // ───────────────────────────── ingest ─────────────────────────────

  ingest (s: Swap): IngestOutcome {
    const t = s.blockTime
    if (!(t <= this.now + this.skewMs)) { this.counters.future++; return FUTURE }
    if (t < this.#horizonStart) { this.counters.late++; return LATE }
    // one chain per stream is the usual case: skip the chain map while it does not change
    let byToken: Map<string, Token> | undefined
    if (s.chain === this.#lastChain) byToken = this.#lastByToken
    else {
      byToken = this.#byChain.get(s.chain)
      if (byToken !== undefined) { this.#lastChain = s.chain; this.#lastByToken = byToken }
    }
    let tok = byToken?.get(s.token)
    hashString(s.id)
    // the dedup key is (id, blockTime): SPEC 3
    mixTime(hashOut[0], hashOut[1], t)
    const idHi = hashOut[0]
    const idLo = hashOut[1]
    hashString(s.trader)
    const tr = this.#tr
    tr[0] = hashOut[0]; tr[1] = hashOut[1]
    // NaN: the swap goes to buckets below
    let timer = NaN
    if (tok === undefined) {
      if (byToken === undefined) {
        byToken = new Map(); this.#byChain.set(s.chain, byToken)
        this.#lastChain = s.chain; this.#lastByToken = byToken
      }
      // a new token's first swap is kept raw (raw-swap.ts) until a second one comes
      tok = this.#createToken(s.chain, s.token, byToken)
      if (fitsRaw(s)) {
        this.#storeRaw(tok, s, idHi, idLo)
        timer = this.#rawTimer(t)
      } else this.#assignRow(tok)
    } else if (tok.raw >= 0) {
      const rp = this.#rawPool
      const o = tok.raw * RAW_STRIDE
      if (rp.ints[2 * (o + R_ID)] === idHi && rp.ints[2 * (o + R_ID) + 1] === idLo && rp.data[o + R_T] === t && t >= this.#horizonStart) {
        this.counters.duplicates++; return DUPLICATE
      }
      this.#densify(tok)
    }
    if (timer !== timer) {
      const dd = this.#dedup
      const ti = this.#ti
      const io = tok.row * TI_STRIDE
      let hd = ti[io + TI_ID_OFF]
      if (hd < 0) hd = dd.create()
      hd = dd.add(hd, t, idHi, idLo, this.#horizonStart)
      if (hd < 0) { this.counters.duplicates++; return DUPLICATE }
      ti[io + TI_ID_OFF] = hd
      ti[io + TI_ID_SIZE]++
      const sv = this.#sv
      this.#fillRow(sv, 0, s)
      timer = this.#place(tok, sv, 0)
    }

    if (tok.row >= 0) {
      const tv = this.#tv
      const vo = tok.row * this.#tvw
      const lastT = tv[vo + TV_LAST_T]
      if (t > lastT || (t === lastT && (s.blockNumber > tv[vo + TV_LAST_B] || (s.blockNumber === tv[vo + TV_LAST_B] && s.logIndex >= tv[vo + TV_LAST_L])))) {
        tv[vo + TV_LAST_T] = t; tv[vo + TV_LAST_B] = s.blockNumber; tv[vo + TV_LAST_L] = s.logIndex; tv[vo + TV_LAST_PRICE] = s.price
      }
      if (t < tv[vo + TV_FIRST_SEEN]) tv[vo + TV_FIRST_SEEN] = t
    }
    // (a new raw token's first-seen, last trade and price are its raw swap's)
    if (!tok.dirty) { tok.dirty = true; this.#dirty.push(tok) }
    tok.stateDirty = true
    this.#setTimer(tok, timer)
    this.counters.counted++
    return COUNTED
  }

  /**
   * Adds swap s (its id already in the dedup table, its trader's fingerprint in #tr) to the
   * token's buckets and trader counts; returns the earliest time it changes a window.
   */
  #place (tok: Token, src: Float64Array, so: number): number {
    const t = src[so + SW_T]
    const side = src[so + SW_SIDE]
    const levels = this.#levels
    const scratch = this.#scratch
    const f = this.#f
    let timer = Infinity
    const cl = this.#chainLen
    const k = this.#levelOf(tok, t)
    if (k >= 0) {
      const lv = levels[k]
      const start = Math.floor(t / lv.step) * lv.step
      f[F_START] = start
      const b = this.#bucketFor(tok, k)
      scratch[k] = b
      this.#addSwap(b, src, so, side)
      // the bucket serves the windows of level k and of every coarser chain level
      if (k === 0 && start < lv.E && this.#finestTimer) timer = start + lv.minL
      else {
        for (let m = k; m < cl; m++) {
          const lm = levels[m]
          const c = Math.floor(start / lm.step) * lm.step
          const when = c >= lm.E ? c : c + lm.minL
          if (when < timer) timer = when
        }
      }
    }
    for (let l = cl; l < levels.length; l++) {
      const lv = levels[l]
      if (t < lv.aMin) { scratch[l] = NIL; continue }
      const start = Math.floor(t / lv.step) * lv.step
      f[F_START] = start
      const b = this.#bucketFor(tok, l)
      scratch[l] = b
      this.#addSwap(b, src, so, side)
      // earliest moment this swap changes a window with no further input: it enters (future
      // bucket) or leaves the level's shortest window; early is harmless, late is not
      const when = start >= lv.E ? start : start + lv.minL
      if (when < timer) timer = when
    }

    // swaps that were ahead of the clock and no longer are: settle them before this one, so
    // `pending` holds only what is still ahead (bounded by the skew) even without a drain
    const tv = this.#tv
    const vo = tok.row * this.#tvw
    if (tv[vo + TV_PENDING_MIN] <= this.now) this.#promote(tok)
    const tr = this.#tr
    if (t <= this.now) {
      this.#h[0] = tr[0]; this.#h[1] = tr[1]; f[F_T] = t
      this.#settle(tok, side, true)
    } else {
      if (tok.pending === null) tok.pending = []
      tok.pending.push(t, tr[0], tr[1], side)
      if (t < tv[vo + TV_PENDING_MIN]) tv[vo + TV_PENDING_MIN] = t
    }
    return timer
  }

  // ─────────────────────── a token's lone swap, kept raw ───────────────────────

  /** Writes the swap's values into swap row `o` of `d` (raw-swap.ts SW_*). */
  #fillRow (d: Float64Array, o: number, s: Swap): void {
    d[o + SW_T] = s.blockTime
    d[o + SW_SIDE] = s.side
    const u = s.amountUsd
    d[o + SW_USD] = u.l0; d[o + SW_USD + 1] = u.l1; d[o + SW_USD + 2] = u.l2; d[o + SW_USD + 3] = u.l3
    const a = s.amount
    d[o + SW_AMT] = a.l0; d[o + SW_AMT + 1] = a.l1; d[o + SW_AMT + 2] = a.l2; d[o + SW_AMT + 3] = a.l3
    d[o + SW_PRICE] = s.price
    d[o + SW_BN] = s.blockNumber
    d[o + SW_LI] = s.logIndex
  }

  /** Keeps s as the token's raw swap; the caller has checked `fitsRaw(s)`. */
  #storeRaw (tok: Token, s: Swap, idHi: number, idLo: number): void {
    const rp = this.#rawPool
    const r = rp.alloc()
    const o = r * RAW_STRIDE
    const d = rp.data
    const ints = rp.ints
    d[o + R_T] = s.blockTime
    d[o + R_PRICE] = s.price
    d[o + R_BN] = s.blockNumber
    ints[2 * (o + R_SL)] = s.side; ints[2 * (o + R_SL) + 1] = s.logIndex
    const u = s.amountUsd
    const iu = 2 * (o + R_USD)
    ints[iu] = u.l0; ints[iu + 1] = u.l1; ints[iu + 2] = u.l2; ints[iu + 3] = u.l3
    const a = s.amount
    const ia = 2 * (o + R_AMT)
    ints[ia] = a.l0; ints[ia + 1] = a.l1; ints[ia + 2] = a.l2; ints[ia + 3] = a.l3
    ints[2 * (o + R_TRADER)] = this.#tr[0]; ints[2 * (o + R_TRADER) + 1] = this.#tr[1]
    ints[2 * (o + R_ID)] = idHi; ints[2 * (o + R_ID) + 1] = idLo
    tok.raw = r
  }

  /** Earliest time a lone swap at t changes a window: it enters one (ahead of the clock) or leaves one. */
  #rawTimer (t: number): number {
    let timer = Infinity
    for (const lv of this.#levels) {
      const c = Math.floor(t / lv.step) * lv.step
      const when = c >= lv.E ? c : c + lv.minL
      if (when < timer) timer = when
    }
    return timer
  }

  /**
   * Moves the token's raw swap into buckets and tables, as if it had been ingested that way
   * (a swap that has left every window is simply forgotten, as its bucket would have been).
   */
  #densify (tok: Token): void {
    const rp = this.#rawPool
    const d = rp.data
    const o = tok.raw * RAW_STRIDE
    const t = d[o + R_T]
    const ints = rp.ints
    const idHi = ints[2 * (o + R_ID)]; const idLo = ints[2 * (o + R_ID) + 1]
    const trHi = ints[2 * (o + R_TRADER)]; const trLo = ints[2 * (o + R_TRADER) + 1]
    this.#assignRow(tok)
    const vo = tok.row * this.#tvw
    const tv = this.#tv
    tv[vo + TV_FIRST_SEEN] = t; tv[vo + TV_LAST_T] = t; tv[vo + TV_LAST_PRICE] = d[o + R_PRICE]
    tv[vo + TV_LAST_B] = d[o + R_BN]; tv[vo + TV_LAST_L] = ints[2 * (o + R_SL) + 1]
    if (t < this.#horizonStart) { rp.release(tok.raw); tok.raw = -1; return }
    const dd = this.#dedup
    const ti = this.#ti
    const io = tok.row * TI_STRIDE
    ti[io + TI_ID_OFF] = dd.add(dd.create(), t, idHi, idLo, this.#horizonStart)
    ti[io + TI_ID_SIZE] = 1
    // #place reads the trader from #tr, which holds the swap being ingested: keep it aside
    const tr = this.#tr
    const h0 = tr[0]; const h1 = tr[1]
    tr[0] = trHi; tr[1] = trLo
    const sv = this.#rawSv
    sv[SW_T] = t
    sv[SW_SIDE] = ints[2 * (o + R_SL)]
    for (let k = 0; k < 4; k++) {
      sv[SW_USD + k] = ints[2 * (o + R_USD) + k]
      sv[SW_AMT + k] = ints[2 * (o + R_AMT) + k]
    }
    sv[SW_PRICE] = d[o + R_PRICE]
    sv[SW_BN] = d[o + R_BN]
    sv[SW_LI] = ints[2 * (o + R_SL) + 1]
    rp.release(tok.raw)
    tok.raw = -1
    const timer = this.#place(tok, sv, 0)
    this.#setTimer(tok, timer)
    tr[0] = h0; tr[1] = h1
  }

  /** #scan for a token whose one swap is kept raw: each window holds it or not. */
  #scanRaw (tok: Token): number {
    const rp = this.#rawPool
    const d = rp.data
    const o = tok.raw * RAW_STRIDE
    const ints = rp.ints
    const t = d[o + R_T]
    const side = ints[2 * (o + R_SL)]
    const price = d[o + R_PRICE]
    const out = this.#out
    let next = Infinity
    for (const lv of this.#levels) {
      const c = Math.floor(t / lv.step) * lv.step
      for (const w of lv.windows) {
        const base = w * O_STRIDE
        for (let k = 0; k < O_STRIDE; k++) out[base + k] = 0
        if (c >= lv.E) {
          // ahead of the window's end: enters it when the end passes
          if (c < next) next = c
        } else if (c >= this.#winStart[w]) {
          for (let k = 0; k < 4; k++) {
            out[base + O_USD + side * 4 + k] = ints[2 * (o + R_USD) + k]
            out[base + O_AMT + side * 4 + k] = ints[2 * (o + R_AMT) + k]
          }
          for (let k = 0; k < 16; k += 4) carry(out, base + O_USD + k)
          out[base + O_COUNT + side] = 1
          out[base + O_T_ANY] = 1
          out[base + O_T_SIDE + side] = 1
          out[base + O_HIGH] = price; out[base + O_LOW] = price
          out[base + O_OPEN] = price; out[base + O_CLOSE] = price
          const leave = c + this.windows[w].lengthMs
          if (leave < next) next = leave
          continue
        }
        out[base + O_HIGH] = NaN; out[base + O_LOW] = NaN; out[base + O_OPEN] = NaN; out[base + O_CLOSE] = NaN
      }
    }
    this.#outTail(tok)
    return next
  }

  /**
   * A token with empty state in a slot of its own, not yet in the token maps (`_adopt` or
   * #createToken puts it there; `_discard` gives the slot back).
   */
  #newToken (chain: string, token: string): Token {
    let slot: number
    if (this.#freeSlots.length > 0) slot = this.#freeSlots.pop()!
    else {
      slot = this.#slotTop++
      this.#slots.push(undefined)
      if (slot >= this.#timers.length) this.#timers = grownFilled(this.#timers, slot + 1, Infinity)
    }
    this.#timers[slot] = Infinity
    return new Token(chain, token, slot)
  }

  /** Gives a token that has none a row of doubles and deque roots, cleared (the bucketed form). */
  #assignRow (tok: Token): void {
    let row: number
    if (this.#freeRows.length > 0) row = this.#freeRows.pop()!
    else {
      row = this.#rowTop++
      if ((row + 1) * this.#tvw > this.#tv.length) this.#tv = grown(this.#tv, row * this.#tvw, (row + 1) * this.#tvw)
    }
    clearValues(this.#tv, row * this.#tvw, this.#tvw)
    this.#dq.clearRoots(row)
    if ((row + 1) * TI_STRIDE > this.#ti.length) this.#ti = grown(this.#ti, row * TI_STRIDE, (row + 1) * TI_STRIDE)
    const io = row * TI_STRIDE
    this.#ti[io + TI_ID_OFF] = -1; this.#ti[io + TI_ID_SIZE] = 0; this.#ti[io + TI_TR_OFF] = -1; this.#ti[io + TI_TR_SIZE] = 0
    tok.row = row
  }

  #createToken (chain: string, token: string, byToken: Map<string, Token>): Token {
    const tok = this.#newToken(chain, token)
    this.#slots[tok.slot] = tok
    byToken.set(token, tok)
    this.tokenCount++
    // a token dropped and re-created before the next drain is compared with what was reported
    if (this.#removed.size > 0) {
      const key = tok.key
      const prev = this.#removed.get(key)
      if (prev !== undefined) {
        tok.reported = true; tok.repHi = prev.hi; tok.repLo = prev.lo
        this.#removed.delete(key)
      }
    }
    return tok
  }

  /** The bucket starting at f[F_START] in the token's level list, created in order if missing. */
  #bucketFor (tok: Token, l: number): number {
    const d = this.#pool.data
    const start = this.#f[F_START]
    const off = this.#dq.roots[tok.row * this.#dq.levels + l]
    let pos: number
    if (off < 0) pos = 0
    else {
      const q = this.#dq.data
      const h = q[off + DQ_H]
      const n = q[off + DQ_N]
      const tail = q[h + n - 1]
      const ts = d[tail * STRIDE + B_START]
      // swaps arrive mostly in time order: the tail is the usual answer
      if (ts === start) return tail
      if (ts < start) pos = h + n
      else {
        pos = lowerBound(d, q, h, h + n - 1, start, h + n - 1 - (ts - start) / this.#levels[l].step)
        if (d[q[pos] * STRIDE + B_START] === start) return q[pos]
      }
    }
    const b = this.#pool.alloc()
    this.#pool.data[b * STRIDE + B_START] = start
    insertAt(this.#dq, tok, l, pos, b)
    return b
  }

  /** The bucket starting at f[F_START], or NIL. */
  #findBucket (tok: Token, l: number): number {
    const off = this.#dq.roots[tok.row * this.#dq.levels + l]
    if (off < 0) return NIL
    const q = this.#dq.data
    const n = q[off + DQ_N]
    const d = this.#pool.data
    const h = q[off + DQ_H]
    const start = this.#f[F_START]
    const ts = d[q[h + n - 1] * STRIDE + B_START]
    if (ts <= start) return ts === start ? q[h + n - 1] : NIL
    const pos = lowerBound(d, q, h, h + n - 1, start, h + n - 1 - (ts - start) / this.#levels[l].step)
    return d[q[pos] * STRIDE + B_START] === start ? q[pos] : NIL
  }

  #addSwap (b: number, src: Float64Array, so: number, side: number): void {
    const t = src[so + SW_T]
    const d = this.#pool.data
    const o = b * STRIDE
    const ou = o + B_USD + side * 4
    d[ou] += src[so + SW_USD]; d[ou + 1] += src[so + SW_USD + 1]; d[ou + 2] += src[so + SW_USD + 2]; d[ou + 3] += src[so + SW_USD + 3]
    const oa = o + B_AMT + side * 4
    d[oa] += src[so + SW_AMT]; d[oa + 1] += src[so + SW_AMT + 1]; d[oa + 2] += src[so + SW_AMT + 2]; d[oa + 3] += src[so + SW_AMT + 3]
    const c = ++d[o + B_COUNT + side]
    if ((c & BUCKET_CARRY_MASK) === 0) { carry(d, ou); carry(d, oa) }
    const price = src[so + SW_PRICE]
    const bn = src[so + SW_BN]
    const li = src[so + SW_LI]
    if (d[o + B_COUNT] + d[o + B_COUNT + 1] === 1) {
      d[o + B_HIGH] = price; d[o + B_LOW] = price
      d[o + B_OPEN_P] = price; d[o + B_OPEN_T] = t; d[o + B_OPEN_B] = bn; d[o + B_OPEN_L] = li
      d[o + B_CLOSE_P] = price; d[o + B_CLOSE_T] = t; d[o + B_CLOSE_B] = bn; d[o + B_CLOSE_L] = li
      return
    }
    if (price > d[o + B_HIGH]) d[o + B_HIGH] = price
    if (price < d[o + B_LOW]) d[o + B_LOW] = price
    // ties on the whole key: the first accepted swap opens, the last accepted closes
    const ot = d[o + B_OPEN_T]
    if (t < ot || (t === ot && (bn < d[o + B_OPEN_B] || (bn === d[o + B_OPEN_B] && li < d[o + B_OPEN_L])))) {
      d[o + B_OPEN_P] = price; d[o + B_OPEN_T] = t; d[o + B_OPEN_B] = bn; d[o + B_OPEN_L] = li
    }
    const ct = d[o + B_CLOSE_T]
    if (t > ct || (t === ct && (bn > d[o + B_CLOSE_B] || (bn === d[o + B_CLOSE_B] && li >= d[o + B_CLOSE_L])))) {
      d[o + B_CLOSE_P] = price; d[o + B_CLOSE_T] = t; d[o + B_CLOSE_B] = bn; d[o + B_CLOSE_L] = li
    }
  }

  /**
   * Moves the trader (h[0], h[1])'s latest settled time to f[F_T] if later, keeping the bucket
   * trader counts. Arguments travel in typed scratch arrays: doubles and large int32s passed
   * to a method are boxed per call.
   */
  #settle (tok: Token, side: number, fromIngest: boolean): void {
    const hi = this.#h[0]
    const lo = this.#h[1]
    const f = this.#f
    const t = f[F_T]
    const tra = this.#traderArena
    const ti = this.#ti
    const io = tok.row * TI_STRIDE
    if (ti[io + TI_TR_OFF] < 0) { ti[io + TI_TR_OFF] = tra.create(1); tok.trK = tra.k }
    let base = tra.find(ti[io + TI_TR_OFF], tok.trK, hi, lo)
    if (base < 0) {
      if (tra.full(ti[io + TI_TR_SIZE], tok.trK)) {
        ti[io + TI_TR_OFF] = tra.rebuild(ti[io + TI_TR_OFF], tok.trK, this.#horizonStart)
        tok.trK = tra.k; ti[io + TI_TR_SIZE] = tra.live
      }
      base = tra.insert(ti[io + TI_TR_OFF], tok.trK, hi, lo)
      ti[io + TI_TR_SIZE]++
      const d = tra.data
      d[base + TR_SIDE] = -Infinity
      d[base + TR_SIDE + 1] = -Infinity
    }
    const v = tra.data
    const oldAny = latestAny(v, base)
    const oldSide = v[base + TR_SIDE + side]
    const anyMoves = t > oldAny
    const sideMoves = t > oldSide
    if (sideMoves) v[base + TR_SIDE + side] = t
    f[F_TO] = t
    // a trader whose latest swap was on this side moves both counts between the same buckets:
    // one lookup of the old bucket instead of two
    if (anyMoves && sideMoves && oldAny === oldSide) { f[F_FROM] = oldAny; this.#moveLatest(tok, B_T_ANY, B_T_SIDE + side, fromIngest) } else {
      if (anyMoves) { f[F_FROM] = oldAny; this.#moveLatest(tok, B_T_ANY, -1, fromIngest) }
      if (sideMoves) { f[F_FROM] = oldSide; this.#moveLatest(tok, B_T_SIDE + side, -1, fromIngest) }
    }
  }

  /**
   * Moves one trader count (`field`, and `field2` unless -1) from the bucket of f[F_FROM] to the
   * bucket of f[F_TO], per level.
   */
  #moveLatest (tok: Token, field: number, field2: number, fromIngest: boolean): void {
    const levels = this.#levels
    const f = this.#f
    const from = f[F_FROM]
    const to = f[F_TO]
    // chain: the count lives in the one chain level that holds the time
    const kf = this.#levelOf(tok, from)
    const kt = this.#levelOf(tok, to)
    if (kf < 0 || kf !== kt || Math.floor(from / levels[kf].step) !== Math.floor(to / levels[kf].step)) {
      if (kf >= 0) {
        const st = levels[kf].step
        f[F_START] = Math.floor(from / st) * st
        const ob = this.#findBucket(tok, kf)
        if (ob !== NIL) this.#bump(ob, field, field2, -1)
      }
      if (kt >= 0) {
        let nb: number
        if (fromIngest) nb = this.#scratch[kt]
        else { const st = levels[kt].step; f[F_START] = Math.floor(to / st) * st; nb = this.#findBucket(tok, kt) }
        if (nb !== NIL) this.#bump(nb, field, field2, 1)
      }
    }
    for (let l = this.#chainLen; l < levels.length; l++) {
      const lv = levels[l]
      // same bucket at this level (a busy trader, a coarse step): the move changes nothing
      if (from >= lv.aMin && Math.floor(from / lv.step) === Math.floor(to / lv.step)) continue
      // below aMin the bucket is outside every window of the level (or already freed)
      if (from >= lv.aMin) {
        f[F_START] = Math.floor(from / lv.step) * lv.step
        const ob = this.#findBucket(tok, l)
        if (ob !== NIL) this.#bump(ob, field, field2, -1)
      }
      if (to >= lv.aMin) {
        let nb: number
        if (fromIngest) nb = this.#scratch[l]
        else { f[F_START] = Math.floor(to / lv.step) * lv.step; nb = this.#findBucket(tok, l) }
        if (nb !== NIL) this.#bump(nb, field, field2, 1)
      }
    }
  }

  /** Adds `delta` to bucket b's trader count `field` (and `field2` unless -1). */
  #bump (b: number, field: number, field2: number, delta: number): void {
    const d = this.#pool.data
    d[b * STRIDE + field] += delta
    if (field2 >= 0) d[b * STRIDE + field2] += delta
  }

  /**
   * The chain level whose buckets hold time x for this token (the finest one not folded past
   * x), or -1 when x lies before every chain level or only in buckets no window needs.
   */
  #levelOf (tok: Token, x: number): number {
    if (!(x > -Infinity)) return -1
    const tv = this.#tv
    const o = tok.row * this.#tvw + TV_FOLDED
    const cl = this.#chainLen
    let k = 0
    while (k < cl && x < tv[o + k]) k++
    if (k === cl) return -1
    return x < this.#sufMin[k] ? -1 : k
  }

  #setTimer (tok: Token, at: number): void {
    if (at < this.#timers[tok.slot]) {
      this.#timers[tok.slot] = at
      this.#heap.push(at, tok.slot)
    }
  }

  // ───────────────────────────── clock ─────────────────────────────

  /** Moves the clock forward (never back) and drops tokens with nothing left in the horizon. */
  advance (t: number): void {
    if (!(t > this.now)) return
    this.now = t
    this.#recomputeEdges()
    const heap = this.#heap
    while (heap.size > 0 && heap.topTime <= t) {
      const at = heap.topTime
      const tok = this.#slots[heap.topSlot]
      heap.pop()
      if (tok === undefined || this.#timers[tok.slot] !== at) continue
      this.#timers[tok.slot] = Infinity
      if (this.#maintain(tok)) continue
      if (!tok.dirty) { tok.dirty = true; this.#dirty.push(tok) }
      // drain sets the precise next change; until then make sure the token is dropped on time
      this.#setTimer(tok, this.#dropTime(tok))
    }
  }

  /**
   * Settles swaps the clock has reached; folds chain buckets older than their level's horizon
   * into the next level; frees buckets no window needs. True if the token was dropped.
   */
  #maintain (tok: Token): boolean {
    if (tok.raw >= 0) {
      // a lone swap is in some window until it is older than the horizon (see #scanRaw)
      if (this.#rawPool.data[tok.raw * RAW_STRIDE + R_T] >= this.#horizonStart) return false
      this.#drop(tok)
      return true
    }
    if (tok.pending !== null) this.#promote(tok)
    const pool = this.#pool
    const levels = this.#levels
    const cl = this.#chainLen
    let any = false
    let bound = Infinity
    const dq = this.#dq
    const r = tok.row * dq.levels
    const F = tok.row * this.#tvw + TV_FOLDED
    for (let k = 0; k < cl; k++) {
      const lv = levels[k]
      // level k keeps [fk, folded[k-1]): its own horizon, never past what finer levels keep
      let fk = Math.floor(Math.min(lv.aMin, bound) / lv.step) * lv.step
      if (this.#tv[F + k] > fk) fk = this.#tv[F + k]
      bound = fk
      const useless = this.#sufMin[k]
      const last = k === cl - 1
      // re-read per bucket: a fold may grow the arena (a new array) or move the deque
      while (dq.roots[r + k] >= 0) {
        const b = dq.data[dq.data[dq.roots[r + k] + DQ_H]]
        const start = pool.data[b * STRIDE + B_START]
        if (start >= useless && (last || start >= fk)) break
        shift(dq, tok, k)
        if (start >= useless) this.#foldInto(tok, k + 1, b, start)
        pool.release(b)
      }
      this.#tv[F + k] = fk
      if (dq.roots[r + k] >= 0) { any = true; shrink(dq, tok, k) }
    }
    for (let l = cl; l < levels.length; l++) {
      const lv = levels[l]
      while (dq.roots[r + l] >= 0) {
        const b = dq.data[dq.data[dq.roots[r + l] + DQ_H]]
        if (pool.data[b * STRIDE + B_START] + lv.step > lv.aMin) break
        pool.release(b)
        shift(dq, tok, l)
      }
      if (dq.roots[r + l] >= 0) { any = true; shrink(dq, tok, l) }
    }
    if (any) return false
    this.#drop(tok)
    return true
  }

  /** Merges chain bucket `src` (starting at `start`) into its bucket of level k. */
  #foldInto (tok: Token, k: number, src: number, start: number): void {
    const step = this.#levels[k].step
    const f = this.#f
    f[F_START] = Math.floor(start / step) * step
    if (f[F_START] < this.#sufMin[k]) return
    const dst = this.#bucketFor(tok, k)
    mergeBucket(this.#pool.data, dst, src)
  }

  /** Settles the pending swaps the clock has reached. */
  #promote (tok: Token): void {
    const pending = tok.pending
    if (pending === null) return
    let keep = 0
    let min = Infinity
    for (let i = 0; i < pending.length; i += 4) {
      if (pending[i] <= this.now) {
        this.#h[0] = pending[i + 1]; this.#h[1] = pending[i + 2]; this.#f[F_T] = pending[i]
        this.#settle(tok, pending[i + 3], false)
      } else {
        if (pending[i] < min) min = pending[i]
        pending[keep] = pending[i]; pending[keep + 1] = pending[i + 1]
        pending[keep + 2] = pending[i + 2]; pending[keep + 3] = pending[i + 3]
        keep += 4
      }
    }
    pending.length = keep
    this.#tv[tok.row * this.#tvw + TV_PENDING_MIN] = min
    if (keep === 0) tok.pending = null
  }

  #dropTime (tok: Token): number {
    if (tok.raw >= 0) {
      const t = this.#rawPool.data[tok.raw * RAW_STRIDE + R_T]
      let at = -Infinity
      for (const lv of this.#levels) {
        const when = Math.floor(t / lv.step) * lv.step + lv.maxL
        if (when > at) at = when
      }
      return at
    }
    const d = this.#pool.data
    const levels = this.#levels
    const cl = this.#chainLen
    let at = -Infinity
    for (let l = 0; l < levels.length; l++) {
      const tail = tailOf(this.#dq, tok, l)
      if (tail === NIL) continue
      const s = d[tail * STRIDE + B_START]
      // a chain bucket serves its level and every coarser chain level
      const upTo = l < cl ? cl : l + 1
      for (let m = l; m < upTo; m++) {
        const when = Math.floor(s / levels[m].step) * levels[m].step + levels[m].maxL
        if (when > at) at = when
      }
    }
    return at
  }

  /** Gives the token's raw swap or its row, buckets, deques and tables back to their pools. */
  #freeState (tok: Token): void {
    if (tok.raw >= 0) { this.#rawPool.release(tok.raw); tok.raw = -1 }
    if (tok.row < 0) return
    const dq = this.#dq
    for (let l = 0; l < this.#levels.length; l++) {
      const r = tok.row * dq.levels + l
      const off = dq.roots[r]
      if (off < 0) continue
      const q = dq.data
      const h = q[off + DQ_H]
      for (let i = h; i < h + q[off + DQ_N]; i++) this.#pool.release(q[i])
      dq.free(off)
      dq.roots[r] = -1
    }
    const ti = this.#ti
    const io = tok.row * TI_STRIDE
    if (ti[io + TI_ID_OFF] >= 0) { this.#dedup.free(ti[io + TI_ID_OFF]); ti[io + TI_ID_OFF] = -1; ti[io + TI_ID_SIZE] = 0 }
    if (ti[io + TI_TR_OFF] >= 0) { this.#traderArena.free(ti[io + TI_TR_OFF], tok.trK); ti[io + TI_TR_OFF] = -1; ti[io + TI_TR_SIZE] = 0 }
    this.#freeRows.push(tok.row)
    tok.row = -1
  }

  #drop (tok: Token): void {
    this.#freeState(tok)
    const byToken = this.#byChain.get(tok.chain)
    if (byToken !== undefined) {
      byToken.delete(tok.token)
      if (byToken.size === 0) {
        this.#byChain.delete(tok.chain)
        if (this.#lastByToken === byToken) { this.#lastChain = undefined; this.#lastByToken = undefined }
      }
    }
    this.#slots[tok.slot] = undefined
    this.#freeSlots.push(tok.slot)
    tok.slot = -1
    this.tokenCount--
    const key = tok.key
    if (tok.reported) this.#removed.set(key, { hi: tok.repHi, lo: tok.repLo })
    this.#dropped.push(key, tok.chain, tok.token)
  }

  // ───────────────────────────── output ─────────────────────────────

  /**
   * Reports every token whose numbers changed since the previous drain (new swaps, or a window
   * edge that moved a bucket in or out), and `null` for reported tokens whose state was dropped.
   * With `onChange` null nothing is rendered: the changed tokens' current numbers only count as
   * reported (a standby copy, whose owner has published them, keeps its drain state this way).
   */
  drain (onChange: ChangeListener | null, onState?: StateListener): number {
    let n = 0
    for (const key of this.#removed.keys()) { onChange?.(key, null); n++ }
    this.#removed.clear()
    const dirty = this.#dirty
    for (let i = 0; i < dirty.length; i++) {
      const tok = dirty[i]
      tok.dirty = false
      if (tok.slot < 0) continue
      if (this.#maintain(tok)) {
        const key = tok.key
        if (this.#removed.delete(key)) { onChange?.(key, null); n++ }
        continue
      }
      this.#setTimer(tok, this.#scan(tok))
      this.#fingerprint(tok)
      let key: string | undefined
      if (!tok.reported || fpHi !== tok.repHi || fpLo !== tok.repLo) {
        tok.reported = true; tok.repHi = fpHi; tok.repLo = fpLo
        if (onChange !== null) {
          key = tok.key
          onChange(key, this.#render(tok))
        }
        n++
      }
      // Only tokens that took swaps: what time alone does to a state (buckets leaving windows,
      // expiry) is redone by advance() after a restore, so decay needs no changelog record.
      // After reporting, so a persisted state carries the fingerprint just reported.
      if (tok.stateDirty) {
        tok.stateDirty = false
        if (onState !== undefined) onState(key ?? tok.key, tok.chain, tok.token, true)
      }
    }
    dirty.length = 0
    const dropped = this.#dropped
    if (onState !== undefined) {
      for (let i = 0; i < dropped.length; i += 3) {
        // dropped and re-created since: the live token was reported above
        if (this._token(dropped[i + 1], dropped[i + 2]) === undefined) onState(dropped[i], dropped[i + 1], dropped[i + 2], false)
      }
    }
    dropped.length = 0
    return n
  }

  /** Current numbers of one token, or undefined when it has no state. */
  stats (chain: string, token: string): StatsObject | undefined {
    const tok = this.#byChain.get(chain)?.get(token)
    if (tok === undefined) return undefined
    this.#scan(tok)
    return this.#render(tok)
  }

  /** Every token with state, sorted by (chain, token). */
  allStats (): StatsObject[] {
    const out: StatsObject[] = []
    for (const tok of this.#sortedTokens()) {
      this.#scan(tok)
      out.push(this.#render(tok))
    }
    return out
  }

  /** Tokens with state, sorted by (chain, token). */
  #sortedTokens (): Token[] {
    const toks: Token[] = []
    for (const t of this.#slots) if (t !== undefined) toks.push(t)
    toks.sort((a, b) => a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : a.token < b.token ? -1 : a.token > b.token ? 1 : 0)
    return toks
  }

  /** Does the token's longest window hold at least one swap? */
  hasSwapsInLongestWindow (stats: StatsObject): boolean {
    return stats.windows[this.#longestName].txns > 0
  }

  /**
   * Folds the token's buckets into `#out`, one level at a time from the newest bucket back:
   * the windows of a level are nested (same end), so one pass serves them all. Returns when the
   * numbers next change with no new swap: a future bucket entering, or the oldest bucket of a
   * window leaving it.
   */
  #scan (tok: Token): number {
    if (tok.raw >= 0) return this.#scanRaw(tok)
    const d = this.#pool.data
    const acc = this.#acc
    const out = this.#out
    const cl = this.#chainLen
    let next = Infinity
    for (let l = 0; l < this.#levels.length; l++) {
      const lv = this.#levels[l]
      const step = lv.step
      const E = lv.E
      const wins = lv.windows
      let wi = 0
      acc.fill(0)
      acc[O_HIGH] = -Infinity; acc[O_LOW] = Infinity; acc[O_OPEN] = NaN; acc[O_CLOSE] = NaN
      this.#oldest = NaN
      let folded = 0
      // a chain level's windows also take the finer chain levels' buckets: newest level first,
      // each newest bucket first, is newest time first (the levels hold disjoint time ranges)
      for (let k = l < cl ? 0 : l; k <= l && wi < wins.length; k++) {
        const off = this.#dq.roots[tok.row * this.#dq.levels + k]
        if (off < 0) continue
        const q = this.#dq.data
        const h = q[off + DQ_H]
        for (let i = h + q[off + DQ_N] - 1; i >= h; i--) {
          const o = q[i] * STRIDE
          const start = d[o + B_START]
          if (start >= E) {
            const enters = Math.floor(start / step) * step
            if (enters < next) next = enters
            continue
          }
          while (wi < wins.length && start < this.#winStart[wins[wi]]) {
            next = this.#finish(tok, wins[wi], step, next)
            wi++
          }
          if (wi === wins.length) break
          for (let q = 0; q < 16; q++) acc[O_USD + q] += d[o + B_USD + q]
          acc[O_COUNT] += d[o + B_COUNT]; acc[O_COUNT + 1] += d[o + B_COUNT + 1]
          acc[O_T_ANY] += d[o + B_T_ANY]; acc[O_T_SIDE] += d[o + B_T_SIDE]; acc[O_T_SIDE + 1] += d[o + B_T_SIDE + 1]
          if (d[o + B_HIGH] > acc[O_HIGH]) acc[O_HIGH] = d[o + B_HIGH]
          if (d[o + B_LOW] < acc[O_LOW]) acc[O_LOW] = d[o + B_LOW]
          acc[O_OPEN] = d[o + B_OPEN_P]
          if (folded === 0) acc[O_CLOSE] = d[o + B_CLOSE_P]
          this.#oldest = start
          if (++folded % ACC_CARRY_EVERY === 0) for (let q = 0; q < 16; q += 4) carry(acc, O_USD + q)
        }
      }
      while (wi < wins.length) {
        next = this.#finish(tok, wins[wi], step, next)
        wi++
      }
    }
    this.#outTail(tok)
    return next
  }

  /** The token-wide values after the windows in `#out`. */
  #outTail (tok: Token): void {
    const out = this.#out
    const m = this.windows.length * O_STRIDE
    if (tok.row >= 0) {
      const vo = tok.row * this.#tvw
      out[m] = this.#tv[vo + TV_LAST_PRICE]; out[m + 1] = this.#tv[vo + TV_LAST_T]; out[m + 2] = this.#tv[vo + TV_FIRST_SEEN]
    } else {
      // a raw token: its one swap is its first and its last
      const o = tok.raw * RAW_STRIDE
      const d = this.#rawPool.data
      out[m] = d[o + R_PRICE]; out[m + 1] = d[o + R_T]; out[m + 2] = d[o + R_T]
    }
    out[m + 3] = 0
  }

  /**
   * Copies the accumulator into window w's result; returns the updated next-change time: when
   * the oldest bucket taken (#oldest, NaN: none) leaves the window.
   */
  #finish (tok: Token, w: number, step: number, next: number): number {
    const acc = this.#acc
    const out = this.#out
    const base = w * O_STRIDE
    for (let k = 0; k < 16; k += 4) carry(acc, O_USD + k)
    for (let k = 0; k < O_STRIDE; k++) out[base + k] = acc[k]
    if (acc[O_COUNT] + acc[O_COUNT + 1] === 0) {
      out[base + O_HIGH] = NaN; out[base + O_LOW] = NaN; out[base + O_OPEN] = NaN; out[base + O_CLOSE] = NaN
    }
    if (tok.pending !== null) this.#countPendingTraders(tok, w, base)
    const oldest = this.#oldest
    if (oldest === oldest) {
      const leave = Math.floor(oldest / step) * step + this.windows[w].lengthMs
      if (leave < next) next = leave
    }
    return next
  }

  /**
   * Traders whose only swaps in window w are ahead of the clock are not in the bucket counts
   * (those hold settled swaps only): count them here, once each.
   */
  #countPendingTraders (tok: Token, w: number, base: number): void {
    const p = tok.pending!
    const a = this.#winStart[w]
    const e = this.#winEnd[w]
    const out = this.#out
    const tra = this.#traderArena
    for (let i = 0; i < p.length; i += 4) {
      if (p[i] >= e || p[i] < a) continue
      const hi = p[i + 1]; const lo = p[i + 2]; const side = p[i + 3]
      let latestAnyTime = -Infinity
      let latestSide = -Infinity
      const trOff = this.#ti[tok.row * TI_STRIDE + TI_TR_OFF]
      if (trOff >= 0) {
        const base = tra.find(trOff, tok.trK, hi, lo)
        if (base >= 0) {
          latestAnyTime = latestAny(tra.data, base)
          latestSide = tra.data[base + TR_SIDE + side]
        }
      }
      let seenAny = false
      let seenSide = false
      for (let j = 0; j < i; j += 4) {
        if (p[j] >= e || p[j] < a || p[j + 1] !== hi || p[j + 2] !== lo) continue
        seenAny = true
        if (p[j + 3] === side) seenSide = true
      }
      if (!seenAny && latestAnyTime < a) out[base + O_T_ANY]++
      if (!seenSide && latestSide < a) out[base + O_T_SIDE + side]++
    }
  }

  #fingerprint (tok: Token): void {
    void tok
    const words = this.#out32
    let h1 = 0x811c9dc5 | 0
    let h2 = 0x1b873593 | 0
    for (let i = 0; i < words.length; i++) {
      const x = words[i]
      h1 = Math.imul(h1 ^ x, 0x01000193)
      h2 = Math.imul(h2 ^ x, 0x5bd1e995); h2 ^= h2 >>> 15
    }
    h1 ^= h1 >>> 16; h1 = Math.imul(h1, 0x85ebca6b); h1 ^= h1 >>> 13
    h2 ^= h2 >>> 16; h2 = Math.imul(h2, 0xc2b2ae35); h2 ^= h2 >>> 16
    fpHi = h1; fpLo = h2
  }

  #isoCache (): void {
    if (this.#isoAt === this.now) return
    this.#isoAt = this.now
    this.#asOfIso = new Date(this.now).toISOString()
    for (let w = 0; w < this.windows.length; w++) {
      this.#fromIso[w] = new Date(this.#winStart[w]).toISOString()
      this.#toIso[w] = new Date(this.#winEnd[w]).toISOString()
    }
  }

  /** Builds the stats object from `#out` (filled by `#scan` for this token). */
  #render (tok: Token): StatsObject {
    this.#isoCache()
    const out = this.#out
    const windows: Record<string, WindowStats> = {}
    // Nested windows often hold the same swaps (a sparse token's every window from 15m up):
    // a window whose sums equal the previous window's reuses its strings and vwap. Formatting
    // limbs and parsing them back for vwap was ~13 % of the processor's CPU.
    let volumeUsd = ''; let buyVolumeUsd = ''; let sellVolumeUsd = ''
    let volume = ''; let buyVolume = ''; let sellVolume = ''
    let vwap: number | null = null
    for (let w = 0; w < this.windows.length; w++) {
      const b = w * O_STRIDE
      const p = b - O_STRIDE
      const buys = out[b + O_COUNT]
      const sells = out[b + O_COUNT + 1]
      const usdSame = w > 0 && sameLimbs(out, b + O_USD, p + O_USD)
      const amtSame = w > 0 && sameLimbs(out, b + O_AMT, p + O_AMT)
      if (!usdSame) {
        volumeUsd = limbsToString(out[b] + out[b + 4], out[b + 1] + out[b + 5], out[b + 2] + out[b + 6], out[b + 3] + out[b + 7])
        buyVolumeUsd = limbsToString(out[b], out[b + 1], out[b + 2], out[b + 3])
        sellVolumeUsd = limbsToString(out[b + 4], out[b + 5], out[b + 6], out[b + 7])
      }
      if (!amtSame) {
        volume = limbsToString(out[b + 8] + out[b + 12], out[b + 9] + out[b + 13], out[b + 10] + out[b + 14], out[b + 11] + out[b + 15])
        buyVolume = limbsToString(out[b + 8], out[b + 9], out[b + 10], out[b + 11])
        sellVolume = limbsToString(out[b + 12], out[b + 13], out[b + 14], out[b + 15])
      }
      const open = out[b + O_OPEN]
      const close = out[b + O_CLOSE]
      const empty = buys + sells === 0
      // equal sums, equal emptiness: amounts are positive, so a window with swaps has non-zero sums
      if (!(usdSame && amtSame)) vwap = empty ? null : Number(volumeUsd) / Number(volume)
      windows[this.windows[w].name] = {
        from: this.#fromIso[w],
        to: this.#toIso[w],
        volumeUsd,
        buyVolumeUsd,
        sellVolumeUsd,
        volume,
        buyVolume,
        sellVolume,
        txns: buys + sells,
        buys,
        sells,
        traders: out[b + O_T_ANY],
        buyers: out[b + O_T_SIDE],
        sellers: out[b + O_T_SIDE + 1],
        open: empty ? null : open,
        close: empty ? null : close,
        high: empty ? null : out[b + O_HIGH],
        low: empty ? null : out[b + O_LOW],
        priceChangePct: empty ? null : (close - open) / open * 100,
        vwap
      }
    }
    // the token-wide values #outTail put after the windows (#render follows a #scan)
    const m = this.windows.length * O_STRIDE
    const lastT = out[m + 1]
    const firstSeen = out[m + 2]
    const hasLast = lastT > -Infinity
    return {
      chain: tok.chain,
      token: tok.token,
      asOf: this.#asOfIso,
      lastPrice: hasLast ? out[m] : null,
      lastTradeAt: hasLast ? new Date(lastT).toISOString() : null,
      firstSeenAt: firstSeen < Infinity ? new Date(firstSeen).toISOString() : null,
      windows
    }
  }

  // ───────────────────────────── snapshots ─────────────────────────────

  /** The whole state, versioned binary (snapshot.ts); `restoreEngine` reads it. */
  snapshot (): Uint8Array { return snapshotEngine(this) }
  /** One token's state, or undefined when it has none. */
  snapshotToken (chain: string, token: string): Uint8Array | undefined { return snapshotToken(this, chain, token) }
  /** Replaces (or creates) one token's state from `snapshotToken` bytes. */
  restoreToken (bytes: Uint8Array): void { restoreToken(this, bytes) }
  /**
   * Forgets what was reported, so the next drain reports every token: for a restart whose
   * stats log did not survive (the embedded mode's in-process log).
   */
  resetReported (): void {
    for (const tok of this.#slots) {
      if (tok === undefined) continue
      tok.reported = false
      if (!tok.dirty) { tok.dirty = true; this.#dirty.push(tok) }
    }
    this.#removed.clear()
  }

  /** Forgets one token's state (a changelog tombstone). */
  dropToken (chain: string, token: string): void {
    const tok = this.#byChain.get(chain)?.get(token)
    if (tok !== undefined) this.#drop(tok)
  }

  // ─────────────────────── access for snapshot.ts ───────────────────────

  /** @internal */ get _pool (): BucketPool { return this.#pool }
  /** @internal */ get _deques (): DequeArena { return this.#dq }
  /** @internal */ get _dedup (): SlicedDedup { return this.#dedup }
  /** @internal */ get _traderArena (): TableArena { return this.#traderArena }
  /** @internal */ get _rawPool (): BucketPool { return this.#rawPool }
  /** @internal */ get _levelCount (): number { return this.#levels.length }
  /** @internal each level's step, finest first (memory-report.ts) */
  get _levelSteps (): number[] { return this.#levels.map((l) => l.step) }
  /** @internal */ get _timerBytes (): number { return this.#timers.byteLength }
  /** @internal */ get _chainLength (): number { return this.#chainLen }
  /** @internal */ _tokens (): Token[] { return this.#sortedTokens() }
  /** @internal */ _token (chain: string, token: string): Token | undefined { return this.#byChain.get(chain)?.get(token) }
  /** @internal */ _adopt (tok: Token): void {
    const existing = this.#byChain.get(tok.chain)?.get(tok.token)
    if (existing !== undefined) this.#drop(existing)
    this.#removed.delete(tok.key)
    let byToken = this.#byChain.get(tok.chain)
    if (byToken === undefined) { byToken = new Map(); this.#byChain.set(tok.chain, byToken) }
    this.#slots[tok.slot] = tok
    byToken.set(tok.token, tok)
    this.tokenCount++
    // the first advance re-derives the precise timer
    this.#timers[tok.slot] = Infinity
    this.#setTimer(tok, this.now)
  }
  /** @internal A token in a slot of its own, for snapshot.ts to fill and then `_adopt` or `_discard`. */
  _newToken (chain: string, token: string): Token { return this.#newToken(chain, token) }
  /** @internal Gives a token read from a snapshot its row (the bucketed form). */
  _assignRow (tok: Token): void { this.#assignRow(tok) }
  /** @internal bucketed tokens' doubles (token.ts TV_*), a row of `_tvWidth` per `row`; replaced when it grows */
  get _tv (): Float64Array { return this.#tv }
  /** @internal */ get _tvWidth (): number { return this.#tvw }
  /** @internal bucketed tokens' table handles (token.ts TI_*), a row of TI_STRIDE per `row`; replaced when it grows */
  get _ti (): Int32Array { return this.#ti }
  /** @internal */ _discard (tok: Token): void {
    this.#freeState(tok)
    this.#freeSlots.push(tok.slot)
    tok.slot = -1
  }
  /** @internal */ _markDirty (tok: Token): void { if (!tok.dirty) { tok.dirty = true; this.#dirty.push(tok) } }
  /** @internal */ _removedEntries (): Array<[string, { hi: number, lo: number }]> { return [...this.#removed] }
  /** @internal */ _restoreRemoved (key: string, hi: number, lo: number): void { this.#removed.set(key, { hi, lo }) }
}

let fpHi = 0
let fpLo = 0

/** First position in arr[lo, hi) whose bucket starts at or after f[F_START] (hi if none). */
function lowerBound (d: Float64Array, arr: Int32Array, lo: number, hi: number, start: number, guess: number): number {
  if (guess > lo) {
    if (d[arr[guess] * STRIDE + B_START] >= start) return guess
    lo = guess + 1
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (d[arr[mid] * STRIDE + B_START] < start) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Adds bucket src into dst (dst's swaps all precede src's, or dst is empty) and carries dst's
 * limbs, so a bucket built by folds stays as far from 2⁵³ as one filled swap by swap.
 */
function mergeBucket (d: Float64Array, dst: number, src: number): void {
  const od = dst * STRIDE
  const os = src * STRIDE
  if (d[od + B_COUNT] + d[od + B_COUNT + 1] === 0) {
    for (let k = B_USD; k < STRIDE; k++) d[od + k] = d[os + k]
  } else {
    for (let k = 0; k < 16; k++) d[od + B_USD + k] += d[os + B_USD + k]
    d[od + B_COUNT] += d[os + B_COUNT]; d[od + B_COUNT + 1] += d[os + B_COUNT + 1]
    d[od + B_T_ANY] += d[os + B_T_ANY]; d[od + B_T_SIDE] += d[os + B_T_SIDE]; d[od + B_T_SIDE + 1] += d[os + B_T_SIDE + 1]
    if (d[os + B_HIGH] > d[od + B_HIGH]) d[od + B_HIGH] = d[os + B_HIGH]
    if (d[os + B_LOW] < d[od + B_LOW]) d[od + B_LOW] = d[os + B_LOW]
    const ot = d[od + B_OPEN_T]; const st = d[os + B_OPEN_T]
    if (st < ot || (st === ot && (d[os + B_OPEN_B] < d[od + B_OPEN_B] || (d[os + B_OPEN_B] === d[od + B_OPEN_B] && d[os + B_OPEN_L] < d[od + B_OPEN_L])))) {
      for (let k = B_OPEN_P; k <= B_OPEN_L; k++) d[od + k] = d[os + k]
    }
    const ct = d[od + B_CLOSE_T]; const sc = d[os + B_CLOSE_T]
    if (sc > ct || (sc === ct && (d[os + B_CLOSE_B] > d[od + B_CLOSE_B] || (d[os + B_CLOSE_B] === d[od + B_CLOSE_B] && d[os + B_CLOSE_L] >= d[od + B_CLOSE_L])))) {
      for (let k = B_CLOSE_P; k <= B_CLOSE_L; k++) d[od + k] = d[os + k]
    }
  }
  for (let k = 0; k < 16; k += 4) carry(d, od + B_USD + k)
}

/** Are the 8 limbs (buy and sell sums) at a and b equal? Both normalised by #finish. */
function sameLimbs (out: Float64Array, a: number, b: number): boolean {
  for (let k = 0; k < 8; k++) if (out[a + k] !== out[b + k]) return false
  return true
}

/** Carries a four-limb decimal so its three low limbs are in [0, 10⁹). */
function carry (d: Float64Array, o: number): void {
  let c = Math.floor(d[o] / LIMB); d[o] -= c * LIMB; d[o + 1] += c
  c = Math.floor(d[o + 1] / LIMB); d[o + 1] -= c * LIMB; d[o + 2] += c
  c = Math.floor(d[o + 2] / LIMB); d[o + 2] -= c * LIMB; d[o + 3] += c
}

export function createEngine (options: EngineOptions): Engine {
  return new Engine(options)
}
