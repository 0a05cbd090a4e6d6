/**
 * The brute-force oracle: the plainest implementation of the engine contract (SPEC §3 and the
 * semantics written in the engine brief), used to check src/engine by property tests and the
 * `volumer stats` replay tests.
 *
 * It keeps every accepted swap of every token with state, with no incremental aggregate, and
 * recomputes every window from scratch at each evaluation: BigInt sums at scale 10¹⁸, exact
 * JavaScript Sets for distinct traders, a full scan for open/close/high/low. Slow on purpose;
 * nothing here is shared with src/engine except the Swap and StatsObject types.
 */
import type { Swap } from '../../src/swap/swap.js'
import type { StatsObject, WindowStats } from '../../src/engine/stats.js'
import { decimal18ToExact, formatExact } from '../helpers/exact-decimal.js'
import type { WindowSpec } from '../helpers/windows.js'

export const O_COUNTED = 0
export const O_DUPLICATE = 1
export const O_LATE = 2
export const O_FUTURE = 3
export type Outcome = 0 | 1 | 2 | 3

interface Kept {
  swap: Swap
  amount: bigint
  amountUsd: bigint
}

export interface TokenState {
  chain: string
  token: string
  /** every swap accepted since the token's state was (re)created, in arrival order */
  kept: Kept[]
}

export interface OracleCounters { counted: number, duplicates: number, late: number, future: number }

/** (blockTime, blockNumber, logIndex) order of SPEC §2. */
export function compareSwapOrder (a: Swap, b: Swap): number {
  return (a.blockTime - b.blockTime) || (a.blockNumber - b.blockNumber) || (a.logIndex - b.logIndex)
}

export function compareTokens (a: { chain: string, token: string }, b: { chain: string, token: string }): number {
  if (a.chain !== b.chain) return a.chain < b.chain ? -1 : 1
  if (a.token !== b.token) return a.token < b.token ? -1 : 1
  return 0
}

const iso = (ms: number): string => new Date(ms).toISOString()

export class Oracle {
  readonly windows: readonly WindowSpec[]
  readonly skewMs: number
  now: number
  readonly counters: OracleCounters = { counted: 0, duplicates: 0, late: 0, future: 0 }
  #tokens = new Map<string, TokenState>()

  constructor (windows: readonly WindowSpec[], skewMs: number, now: number) {
    if (windows.length === 0) throw new Error('oracle needs at least one window')
    this.windows = windows
    this.skewMs = skewMs
    this.now = now
  }

  /** Window edge E = (floor(T/s)+1)·s: the window covers [E − L, E). */
  static edge (w: WindowSpec, T: number): number {
    return (Math.floor(T / w.stepMs) + 1) * w.stepMs
  }

  horizonStart (T: number = this.now): number {
    let h = Infinity
    for (const w of this.windows) h = Math.min(h, Oracle.edge(w, T) - w.lengthMs)
    return h
  }

  ingest (swap: Swap): Outcome {
    const T = this.now
    if (swap.blockTime > T + this.skewMs) { this.counters.future++; return O_FUTURE }
    const hs = this.horizonStart(T)
    if (swap.blockTime < hs) { this.counters.late++; return O_LATE }
    const key = swap.chain + ':' + swap.token
    let st = this.#tokens.get(key)
    // SPEC 3: a duplicate repeats the id AND the blockTime of a swap counted within the horizon
    if (st !== undefined && st.kept.some((k) => k.swap.id === swap.id && k.swap.blockTime === swap.blockTime && k.swap.blockTime >= hs)) {
      this.counters.duplicates++
      return O_DUPLICATE
    }
    if (st === undefined) {
      st = { chain: swap.chain, token: swap.token, kept: [] }
      this.#tokens.set(key, st)
    }
    st.kept.push({ swap, amount: decimal18ToExact(swap.amount), amountUsd: decimal18ToExact(swap.amountUsd) })
    this.counters.counted++
    return O_COUNTED
  }

  advance (T: number): void {
    if (T > this.now) this.now = T
    const hs = this.horizonStart(this.now)
    for (const [key, st] of this.#tokens) {
      if (!st.kept.some((k) => k.swap.blockTime >= hs)) this.#tokens.delete(key)
    }
  }

  /** An independent copy (the oracle's stand-in for snapshot/restore). */
  clone (): Oracle {
    const o = new Oracle(this.windows, this.skewMs, this.now)
    Object.assign(o.counters, this.counters)
    for (const [key, st] of this.#tokens) o.#tokens.set(key, { ...st, kept: st.kept.slice() })
    return o
  }

  /** A copy of one token's state, or undefined; `importToken` puts it into another oracle. */
  exportToken (chain: string, token: string): TokenState | undefined {
    const st = this.#tokens.get(chain + ':' + token)
    return st === undefined ? undefined : { ...st, kept: st.kept.slice() }
  }

  importToken (st: TokenState): void {
    this.#tokens.set(st.chain + ':' + st.token, { ...st, kept: st.kept.slice() })
  }

  hasState (chain: string, token: string): boolean {
    return this.#tokens.has(chain + ':' + token)
  }

  tokenKeys (): string[] {
    return [...this.#tokens.values()].sort(compareTokens).map((s) => s.chain + ':' + s.token)
  }

  stats (chain: string, token: string): StatsObject | undefined {
    const st = this.#tokens.get(chain + ':' + token)
    return st === undefined ? undefined : this.#evaluate(st)
  }

  statsAll (): StatsObject[] {
    return [...this.#tokens.values()].sort(compareTokens).map((st) => this.#evaluate(st))
  }

  /** What `volumer stats` prints: tokens with at least one swap in the longest window. */
  statsPrintable (): StatsObject[] {
    let longest = this.windows[0]
    for (const w of this.windows) if (w.lengthMs > longest.lengthMs) longest = w
    return this.statsAll().filter((s) => s.windows[longest.name].txns > 0)
  }

  #evaluate (st: TokenState): StatsObject {
    const T = this.now
    let last: Swap | null = null
    let first = Infinity
    for (const { swap } of st.kept) {
      if (last === null || compareSwapOrder(swap, last) > 0) last = swap
      if (swap.blockTime < first) first = swap.blockTime
    }
    const windows: Record<string, WindowStats> = {}
    for (const w of this.windows) {
      const to = Oracle.edge(w, T)
      const from = to - w.lengthMs
      windows[w.name] = windowStats(st.kept.filter((k) => k.swap.blockTime >= from && k.swap.blockTime < to), from, to)
    }
    return {
      chain: st.chain,
      token: st.token,
      asOf: iso(T),
      lastPrice: last === null ? null : last.price,
      lastTradeAt: last === null ? null : iso(last.blockTime),
      firstSeenAt: first === Infinity ? null : iso(first),
      windows,
    }
  }
}

function windowStats (inWindow: Kept[], from: number, to: number): WindowStats {
  const ids = new Set<string>()
  let volumeUsd = 0n; let buyVolumeUsd = 0n; let sellVolumeUsd = 0n
  let volume = 0n; let buyVolume = 0n; let sellVolume = 0n
  let buys = 0; let sells = 0
  const traders = new Set<string>(); const buyers = new Set<string>(); const sellers = new Set<string>()
  let open: Swap | null = null; let close: Swap | null = null
  let high: number | null = null; let low: number | null = null
  for (const { swap, amount, amountUsd } of inWindow) {
    // The contract counts a swap once per distinct (id, blockTime). Dedup makes a second copy
    // impossible inside any window (the first copy would be below the horizon); the oracle checks it.
    const idKey = swap.id + '@' + swap.blockTime
    if (ids.has(idKey)) throw new Error('oracle invariant: two accepted copies of ' + idKey + ' in one window')
    ids.add(idKey)
    volumeUsd += amountUsd; volume += amount
    traders.add(swap.trader)
    if (swap.side === 0) { buys++; buyVolumeUsd += amountUsd; buyVolume += amount; buyers.add(swap.trader) } else { sells++; sellVolumeUsd += amountUsd; sellVolume += amount; sellers.add(swap.trader) }
    if (open === null || compareSwapOrder(swap, open) < 0) open = swap
    if (close === null || compareSwapOrder(swap, close) > 0) close = swap
    if (high === null || swap.price > high) high = swap.price
    if (low === null || swap.price < low) low = swap.price
  }
  const volumeUsdText = formatExact(volumeUsd)
  const volumeText = formatExact(volume)
  const empty = inWindow.length === 0
  return {
    from: iso(from),
    to: iso(to),
    volumeUsd: volumeUsdText,
    buyVolumeUsd: formatExact(buyVolumeUsd),
    sellVolumeUsd: formatExact(sellVolumeUsd),
    volume: volumeText,
    buyVolume: formatExact(buyVolume),
    sellVolume: formatExact(sellVolume),
    txns: inWindow.length,
    buys,
    sells,
    traders: traders.size,
    buyers: buyers.size,
    sellers: sellers.size,
    open: open === null ? null : open.price,
    close: close === null ? null : close.price,
    high,
    low,
    priceChangePct: empty ? null : (close!.price - open!.price) / open!.price * 100,
    vwap: empty ? null : Number(volumeUsdText) / Number(volumeText),
  }
}

/** A stats object without the fields that move with the clock alone (asOf, window from/to). */
export function numbersOnly (s: StatsObject): unknown {
  const windows: Record<string, unknown> = {}
  for (const [name, w] of Object.entries(s.windows)) {
    const { from: _from, to: _to, ...rest } = w
    windows[name] = rest
  }
  const { asOf: _asOf, windows: _w, ...head } = s
  return { ...head, windows }
}

/**
 * What `drain` must report, given what the previous drains reported (key → object) and the
 * current stats of every token with state: each token whose numbers differ from its last report
 * (or that was never reported), and null for each reported token that no longer has state.
 * Updates `reported` in place to the state after this drain.
 */
export function expectedDrain (reported: Map<string, StatsObject>, current: StatsObject[]): Map<string, StatsObject | null> {
  const out = new Map<string, StatsObject | null>()
  const live = new Set<string>()
  for (const s of current) {
    const key = s.chain + ':' + s.token
    live.add(key)
    const prev = reported.get(key)
    if (prev === undefined || JSON.stringify(numbersOnly(prev)) !== JSON.stringify(numbersOnly(s))) {
      out.set(key, s)
      reported.set(key, s)
    }
  }
  for (const key of [...reported.keys()]) {
    if (!live.has(key)) { out.set(key, null); reported.delete(key) }
  }
  return out
}
