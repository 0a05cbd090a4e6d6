import type { StatsObject } from '../engine/stats.js'
import { RankIndex, type RankedRow } from './rank-index.js'
import { TOKEN_STATS, type RankStat } from './rank-value.js'
import { isDeferred, type DeferredStats, type StatsValue } from './stats-feed.js'

/**
 * One token as the edge holds it. The stats object arrives parsed (in-process feed), as the
 * record's JSON text, or still encoded (a Kafka feed: a DeferredStats that decodes the Avro
 * record on its first call). Text and encoded records are kept as they are and turned into the
 * object only when something needs the numbers (a ranked index, a ?windows= filter, the JSON
 * rendering). measured (bench/edge.bench.ts, 100,000 tokens of 11 windows, ~4.6 KB each):
 * parsing every record during the replay took ~3–11 s of JSON.parse and GC, storing the text
 * takes well under a second; the same holds for Avro (bench/e2e-latency.bench.ts: decoding
 * 100,000 records during the replay cost ~1 s of decode plus ~0.9 s of GC before /readyz), so a
 * node is serving lookups long before it has decoded everything (the server decodes the rest in
 * the background). A ranked index reads its one value per token straight from an encoded
 * record (`current()` + DeferredStats.field), so building one over 100,000 encoded tokens decodes
 * none of them. `etag` and the compressed bodies are made on first use and dropped on every
 * update.
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
  #deferred: DeferredStats | null

  constructor (key: string, value: StatsValue) {
    this.key = key
    const colon = key.indexOf(':')
    this.#stats = null
    this.#deferred = null
    this.json = null
    if (typeof value === 'string') this.json = value
    else if (isDeferred(value)) this.#deferred = value
    else this.#stats = value
    this.chain = this.#stats !== null ? this.#stats.chain : (colon > 0 ? key.slice(0, colon) : key)
  }

  get token (): string { return this.key.slice(this.chain.length + 1) }

  /** the stats object is at hand (not text or encoded) */
  get parsed (): boolean { return this.#stats !== null }

  /** still encoded: read single values with `current().field` */
  get encoded (): DeferredStats | null { return this.#deferred }

  get stats (): StatsObject {
    if (this.#stats === null) {
      if (this.#deferred !== null) {
        this.#stats = decodeStats(this.key, this.#deferred)
        this.#deferred = null // its bytes are garbage now
      } else {
        this.#stats = parseStats(this.key, this.json as string)
      }
    }
    return this.#stats
  }

  /** the value as held: the encoded record while it is one (no decoding), else the stats object */
  current (): StatsObject | DeferredStats {
    return this.#deferred ?? this.stats
  }

  set (value: StatsValue): void {
    this.rev++
    this.#stats = null
    this.#deferred = null
    this.json = null
    if (typeof value === 'string') this.json = value
    else if (isDeferred(value)) this.#deferred = value
    else this.#stats = value
    this.etag = null
    this.gzip = null
    this.br = null
  }
}

function emptyStats (key: string): StatsObject {
  const colon = key.indexOf(':')
  return { chain: key.slice(0, colon), token: key.slice(colon + 1), asOf: new Date(0).toISOString(), lastPrice: null, lastTradeAt: null, firstSeenAt: null, windows: {} }
}

/** a deferred record that fails after all (its adapter checked it, so it should not) is served like unparsable text */
function decodeStats (key: string, deferred: DeferredStats): StatsObject {
  try {
    return deferred.decode()
  } catch {
    return emptyStats(key)
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
    return emptyStats(key)
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
  /** applies one `stats` record: the object, its JSON text, the still-encoded record, or null (tombstone) */
  apply (key: string, value: StatsValue | null, json?: string): void
  /**
   * parses up to `max` entries still held as text, and notes the window names of up to `max`
   * encoded ones (which stay encoded); returns how many remain
   */
  warm (max: number): number
  top (q: TopQuery): Array<RankedRow<TokenEntry>>
  /** the index for q, built now if needed; pin/unpin keep it from LRU eviction */
  index (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): RankIndex<TokenEntry>
  pin (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): RankIndex<TokenEntry>
  unpin (index: RankIndex<TokenEntry>): void
  /** whether the index for q exists and something pins it */
  isPinned (q: Pick<TopQuery, 'stat' | 'window' | 'chain'>): boolean
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
  // keys held as text or encoded only: the background warm-up parses them (insertion-ordered)
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
    isPinned (q) { return (indexes.get(indexId(q.stat, q.window, q.chain))?.pins ?? 0) > 0 },
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
        if (indexes.size > 0) { const old = entry.current(); for (const ix of indexes.values()) ix.remove(entry, old) }
        const n = (chainCounts.get(entry.chain) ?? 1) - 1
        if (n === 0) chainCounts.delete(entry.chain)
        else chainCounts.set(entry.chain, n)
        for (const l of listeners) l(key, null)
        return
      }
      const isObject = typeof value === 'object' && !isDeferred(value)
      if (isObject) noteWindows(value)
      if (entry === undefined) {
        const e = new TokenEntry(key, value)
        if (json !== undefined && isObject) e.json = json
        tokens.set(key, e)
        if (!isObject) unparsed.add(key)
        chainCounts.set(e.chain, (chainCounts.get(e.chain) ?? 0) + 1)
        for (const ix of indexes.values()) ix.add(e)
        for (const l of listeners) l(key, e)
        return
      }
      // the old numbers are needed only to find the entry in live indexes
      const old = indexes.size > 0 ? entry.current() : null
      entry.set(value)
      if (json !== undefined && isObject) entry.json = json
      if (!isObject) unparsed.add(key)
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
        if (e === undefined) continue
        // an encoded record stays encoded (more compact than its object; ranked indexes read it
        // in place): only its window names are noted
        const enc = e.encoded
        if (enc !== null) { for (const w of enc.windowNames()) if (!windows.has(w)) windows.add(w) } else noteWindows(e.stats)
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
