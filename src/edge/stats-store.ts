import type { StatsObject } from '../engine/stats.js'
import { RankIndex, type RankedRow } from './rank-index.js'
import { TOKEN_STATS, type RankStat } from './rank-value.js'

/**
 * One token as the edge holds it. The stats object arrives either parsed (in-process feed) or as
 * the record's JSON text (a Kafka feed): text is kept as-is and parsed only when something needs
 * the numbers (a ranked index, a ?windows= filter). measured (bench/edge.bench.ts, 100,000
 * tokens of 11 windows, ~4.6 KB each): parsing every record during the replay took ~3–11 s of
 * JSON.parse and GC, storing the text takes well under a second, so a node is serving lookups
 * long before it has parsed everything (the server parses the rest in the background).
 * `etag` and the compressed bodies are made on first use and dropped on every update.
 */
export class TokenEntry {
  readonly key: string
  readonly chain: string
  /** number of records applied to this key since the store began; grows on every update */
  rev = 1
  json: string | null
  etag: string | null = null
  gzip: Buffer | null = null
  br: Buffer | null = null
  #stats: StatsObject | null

  constructor (key: string, value: StatsObject | string) {
    this.key = key
    const colon = key.indexOf(':')
    this.chain = typeof value === 'string' ? (colon > 0 ? key.slice(0, colon) : key) : value.chain
    this.#stats = typeof value === 'string' ? null : value
    this.json = typeof value === 'string' ? value : null
  }

  get token (): string { return this.key.slice(this.chain.length + 1) }

  get parsed (): boolean { return this.#stats !== null }

  get stats (): StatsObject {
    if (this.#stats === null) this.#stats = parseStats(this.key, this.json as string)
    return this.#stats
  }

  set (value: StatsObject | string): void {
    this.rev++
    this.#stats = typeof value === 'string' ? null : value
    this.json = typeof value === 'string' ? value : null
    this.etag = null
    this.gzip = null
    this.br = null
  }
}

/**
 * A record whose text does not parse is served as an empty token rather than failing every
 * ranked query that touches it; the feed adapter should have refused it (docs/http-api.md).
 */
function parseStats (key: string, json: string): StatsObject {
  try {
    return JSON.parse(json) as StatsObject
  } catch {
    const colon = key.indexOf(':')
    return { chain: key.slice(0, colon), token: key.slice(colon + 1), asOf: new Date(0).toISOString(), lastPrice: null, lastTradeAt: null, firstSeenAt: null, windows: {} }
  }
}

export interface TopQuery {
  stat: RankStat
  /** ignored for per-token stats (lastPrice) */
  window: string
  chain: string | null
  limit: number
  descending: boolean
}

/** called after every applied record; `entry` null = the token was removed (tombstone) */
export type StoreListener = (key: string, entry: TokenEntry | null) => void

export interface StatsStoreOptions {
  /**
   * most ranked indexes kept at once (default 32). Each costs about 60 bytes per token
   * (≈ 6 MB at 100,000 tokens) and every update touches all of them, so the least recently used
   * unpinned one is dropped when a new one is needed; pinned ones (live WebSocket ranked
   * subscriptions) are never dropped, and a query that would need more than the cap of pinned
   * indexes is refused by the caller (`canCreateIndex`).
   */
  maxIndexes?: number
}

export interface StatsStore {
  readonly size: number
  readonly indexCount: number
  readonly maxIndexes: number
  get (key: string): TokenEntry | undefined
  /** applies one `stats` record: the object, its JSON text, or null (tombstone) */
  apply (key: string, value: StatsObject | string | null, json?: string): void
  /** parses up to `max` entries still held as text; returns how many remain unparsed */
  warm (max: number): number
  top (q: TopQuery): Array<RankedRow<TokenEntry>>
  /** the index for q, built now if needed; pin/unpin keep it from LRU eviction */
  index (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): RankIndex<TokenEntry>
  pin (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): RankIndex<TokenEntry>
  unpin (index: RankIndex<TokenEntry>): void
  /** whether `index(q)` would fit without evicting a pinned index */
  canCreateIndex (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): boolean
  /** window names seen in any stats object */
  readonly windows: ReadonlySet<string>
  hasChain (chain: string): boolean
  onChange (listener: StoreListener): () => void
  entries (): IterableIterator<TokenEntry>
}

function indexId (stat: RankStat, window: string, chain: string | null): string {
  // per-token stats have no window: one index whatever window the query named
  return stat + '|' + (TOKEN_STATS.has(stat) ? '' : window) + '|' + (chain ?? '')
}

export function createStatsStore (options: StatsStoreOptions = {}): StatsStore {
  const maxIndexes = options.maxIndexes ?? 32
  if (!Number.isInteger(maxIndexes) || maxIndexes < 1) {
    throw new RangeError(`maxIndexes must be a positive integer, got ${String(options.maxIndexes)}`)
  }
  const tokens = new Map<string, TokenEntry>()
  const indexes = new Map<string, RankIndex<TokenEntry>>()
  const windows = new Set<string>()
  const chainCounts = new Map<string, number>()
  const listeners = new Set<StoreListener>()
  // keys held as text only: the background warm-up parses them (insertion-ordered)
  const unparsed = new Set<string>()
  let tick = 0

  function noteWindows (stats: StatsObject): void {
    // cheap after the first record: the same few names every time
    for (const w in stats.windows) if (!windows.has(w)) windows.add(w)
  }

  function evictFor (): void {
    if (indexes.size < maxIndexes) return
    let victim: string | null = null
    let oldest = Infinity
    for (const [id, ix] of indexes) {
      if (ix.pins === 0 && ix.lastUsed < oldest) { oldest = ix.lastUsed; victim = id }
    }
    if (victim !== null) indexes.delete(victim)
  }

  function index (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): RankIndex<TokenEntry> {
    const id = indexId(q.stat, q.window, q.chain)
    let ix = indexes.get(id)
    if (ix === undefined) {
      evictFor()
      ix = new RankIndex<TokenEntry>(q.stat, TOKEN_STATS.has(q.stat) ? '' : q.window, q.chain)
      ix.build(tokens.values())
      indexes.set(id, ix)
    }
    ix.lastUsed = ++tick
    return ix
  }

  return {
    get size () { return tokens.size },
    get indexCount () { return indexes.size },
    maxIndexes,
    windows,
    get: key => tokens.get(key),
    hasChain: chain => chainCounts.has(chain),
    entries: () => tokens.values(),
    index,
    pin (q) { const ix = index(q); ix.pins++; return ix },
    unpin (ix) { if (ix.pins > 0) ix.pins-- },
    canCreateIndex (q) {
      if (indexes.has(indexId(q.stat, q.window, q.chain)) || indexes.size < maxIndexes) return true
      for (const ix of indexes.values()) if (ix.pins === 0) return true
      return false
    },
    top (q) { return index(q).top(q.limit, q.descending) },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },

    apply (key, value, json) {
      const entry = tokens.get(key)
      if (value === null) {
        if (entry === undefined) return
        tokens.delete(key)
        unparsed.delete(key)
        if (indexes.size > 0) { const old = entry.stats; for (const ix of indexes.values()) ix.remove(entry, old) }
        const n = (chainCounts.get(entry.chain) ?? 1) - 1
        if (n === 0) chainCounts.delete(entry.chain)
        else chainCounts.set(entry.chain, n)
        for (const l of listeners) l(key, null)
        return
      }
      if (typeof value !== 'string') noteWindows(value)
      if (entry === undefined) {
        const e = new TokenEntry(key, value)
        if (json !== undefined && typeof value !== 'string') e.json = json
        tokens.set(key, e)
        if (typeof value === 'string') unparsed.add(key)
        chainCounts.set(e.chain, (chainCounts.get(e.chain) ?? 0) + 1)
        for (const ix of indexes.values()) ix.add(e)
        for (const l of listeners) l(key, e)
        return
      }
      // the old numbers are needed only to find the entry in live indexes
      const old = indexes.size > 0 ? entry.stats : null
      entry.set(value)
      if (json !== undefined && typeof value !== 'string') entry.json = json
      if (typeof value === 'string') unparsed.add(key)
      else unparsed.delete(key)
      if (old !== null) for (const ix of indexes.values()) ix.update(entry, old)
      for (const l of listeners) l(key, entry)
    },

    warm (max) {
      let n = 0
      for (const key of unparsed) {
        if (n++ >= max) break
        unparsed.delete(key)
        const e = tokens.get(key)
        if (e !== undefined) noteWindows(e.stats)
      }
      return unparsed.size
    }
  }
}

/** the entry's JSON text, made once per update */
export function entryJson (entry: TokenEntry): string {
  if (entry.json === null) entry.json = JSON.stringify(entry.stats)
  return entry.json
}
