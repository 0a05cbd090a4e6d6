import type { StatsObject } from '../engine/stats.js'
import { RankIndex, type RankedRow } from './rank-index.js'
import { TOKEN_STATS, type RankStat } from './rank-value.js'

/**
 * One token as the edge holds it. `json` is the stats object's text, kept from the feed when it
 * came with one, else made on first use; `etag` and the compressed bodies are made on first use
 * and dropped on every update (see http-body.ts).
 */
export interface TokenEntry {
  readonly key: string
  readonly chain: string
  readonly token: string
  stats: StatsObject
  /** number of records applied to this key since the store began; grows on every update */
  rev: number
  json: string | null
  etag: string | null
  gzip: Buffer | null
  br: Buffer | null
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
export type StoreListener = (key: string, entry: TokenEntry | null, oldStats: StatsObject | null) => void

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
  /** applies one `stats` record (null = tombstone) */
  apply (key: string, value: StatsObject | null, json?: string): void
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
        for (const ix of indexes.values()) ix.remove(entry, entry.stats)
        const n = (chainCounts.get(entry.chain) ?? 1) - 1
        if (n === 0) chainCounts.delete(entry.chain)
        else chainCounts.set(entry.chain, n)
        for (const l of listeners) l(key, null, entry.stats)
        return
      }
      noteWindows(value)
      if (entry === undefined) {
        const e: TokenEntry = {
          key,
          chain: value.chain,
          token: value.token,
          stats: value,
          rev: 1,
          json: json ?? null,
          etag: null,
          gzip: null,
          br: null
        }
        tokens.set(key, e)
        chainCounts.set(e.chain, (chainCounts.get(e.chain) ?? 0) + 1)
        for (const ix of indexes.values()) ix.add(e)
        for (const l of listeners) l(key, e, null)
        return
      }
      const old = entry.stats
      entry.stats = value
      entry.rev++
      entry.json = json ?? null
      entry.etag = null
      entry.gzip = null
      entry.br = null
      for (const ix of indexes.values()) ix.update(entry, old)
      for (const l of listeners) l(key, entry, old)
    }
  }
}

/** the entry's JSON text, made once per update */
export function entryJson (entry: TokenEntry): string {
  if (entry.json === null) entry.json = JSON.stringify(entry.stats)
  return entry.json
}
