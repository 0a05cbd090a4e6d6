import type { TokenMeta } from '../token/token-meta.js'
import { compareRankValue, rankValueOf, type RankValue } from './rank-value.js'
import type { StatsStore, TokenEntry } from './stats-store.js'
import type { TokenDirectory } from './token-directory.js'

/**
 * GET /v1/search: tokens whose symbol, name (or any word of it) or address starts with the query,
 * case-insensitive, ranked by volumeUsd over one window (24 h), highest first; tokens without a
 * value in that window follow, by key. The brute-force definition is `matchesQuery` + that order
 * (test/edge/token-search.property.test.ts checks the index against it).
 *
 * A full scan costs 100s of ms at 100,000 tokens, so terms are kept in sorted runs and a prefix
 * is a binary-searched range in each:
 *
 *   run 0 (large)  "0x00c8…"  …  "ether"  "ethereum name service"  …  "weth"  "wrapped ether"
 *   ids            17            7        9                            7       7
 *                                └──── prefix "eth": [lo, hi) ────┘
 *   run 1 … k      the same, smaller (newer terms); pending: < MERGE_AT unsorted, scanned
 *
 * - New terms wait in `pending`; at MERGE_AT they become a sorted run, merged into the run before
 *   it while at least half its size (a binary counter: O(log n) copies per term).
 * - A renamed token's old terms and a forgotten token's terms are killed in place (id −1, found by
 *   binary search) and dropped by the next merge; a rebuild renumbers when the dead pile up.
 * - A token's ranking value is cached per id in typed arrays, marked stale by every stats update
 *   and read again by the next query that needs it.
 * - A narrow prefix (at most SCAN_AT candidate terms) keeps a top-`limit` list over its candidates:
 *   mostly one compare of two doubles each. A broad one ("0x", "a") walks the store's volume index
 *   from the top and keeps the tokens that match, so its cost follows the limit, not the number
 *   of matches; if that walk runs long it falls back to the candidates.
 */
export const MAX_QUERY_LENGTH = 64
export const MAX_SEARCH_LIMIT = 100
export const DEFAULT_SEARCH_LIMIT = 20

export interface TokenSearchOptions {
  /** the window whose volumeUsd ranks the results (default 24h) */
  window?: string
  /** pending terms merged into the sorted arrays at this many (default 2,048) */
  mergeAt?: number
  /** a prefix with more candidate terms than this walks the volume index (default 1,024) */
  scanAt?: number
}

export interface SearchHit {
  readonly key: string
  readonly chain: string
  readonly token: string
  readonly meta: TokenMeta | undefined
  readonly entry: TokenEntry | undefined
  /** volumeUsd over the ranking window; null = no value */
  readonly value: RankValue | null
}

export interface TokenSearch {
  /** `q` already normalised (`normaliseQuery`) */
  search (q: string, limit: number): SearchHit[]
  /** terms held (sorted + pending), for tests and metrics */
  readonly terms: number
}

const WORD_SEP = /[\s\-_/().,&+]+/

export function normaliseQuery (raw: string): string {
  return raw.trim().toLowerCase()
}

function splitKey (key: string): [string, string] {
  const c = key.indexOf(':')
  return c > 0 ? [key.slice(0, c), key.slice(c + 1)] : [key, '']
}

/** the searchable terms of a token: its address, symbol, name and each word of the name */
export function termsOf (token: string, meta: TokenMeta | undefined): string[] {
  const out = [token.toLowerCase()]
  if (meta === undefined) return out
  const symbol = meta.symbol.toLowerCase()
  const name = meta.name.toLowerCase()
  out.push(symbol)
  if (name !== symbol) out.push(name)
  for (const w of name.split(WORD_SEP)) if (w !== '' && !out.includes(w)) out.push(w)
  return out
}

/** the definition: `q` (normalised) is a prefix of one of the token's terms */
export function matchesQuery (q: string, token: string, meta: TokenMeta | undefined): boolean {
  for (const t of termsOf(token, meta)) if (t.startsWith(q)) return true
  return false
}

/** value descending (nulls last), then key ascending: the order of /v1/search and of the volume index */
export function compareHits (a: { key: string, value: RankValue | null }, b: { key: string, value: RankValue | null }): number {
  if (a.value !== null && b.value !== null) {
    const c = compareRankValue(b.value, a.value)
    if (c !== 0) return c
  } else if (a.value !== null) return -1
  else if (b.value !== null) return 1
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

/** one known token (stats or metadata) */
interface Rec {
  readonly key: string
  /** its current terms (lower-cased once): a walked row is checked against these */
  terms: readonly string[]
  entry: TokenEntry | undefined
  /** slot in the per-token typed arrays; renumbered by a rebuild */
  id: number
}

/** one sorted run: terms ascending, ids[i] the token of terms[i], -1 once that term is dead */
interface Run {
  terms: string[]
  ids: Int32Array
}

/** first index whose term is ≥ s */
function lowerBound (terms: string[], s: string): number {
  let lo = 0
  let hi = terms.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (terms[mid] < s) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** the live entries of a and b in one run (dead ones are dropped here) */
function mergeRuns (a: Run, b: Run): Run {
  let n = 0
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] >= 0) n++
  for (let i = 0; i < b.ids.length; i++) if (b.ids[i] >= 0) n++
  const terms: string[] = new Array(n)
  const ids = new Int32Array(n)
  let i = 0
  let j = 0
  let o = 0
  for (;;) {
    while (i < a.ids.length && a.ids[i] < 0) i++
    while (j < b.ids.length && b.ids[j] < 0) j++
    if (i >= a.ids.length && j >= b.ids.length) break
    if (j >= b.ids.length || (i < a.ids.length && a.terms[i] <= b.terms[j])) { terms[o] = a.terms[i]; ids[o++] = a.ids[i++] } else { terms[o] = b.terms[j]; ids[o++] = b.ids[j++] }
  }
  return { terms, ids }
}

function sortedRun (terms: string[], ids: number[]): Run {
  const order = Array.from({ length: terms.length }, (_, i) => i)
  order.sort((x, y) => terms[x] < terms[y] ? -1 : terms[x] > terms[y] ? 1 : 0)
  return { terms: order.map(i => terms[i]), ids: Int32Array.from(order, i => ids[i]) }
}

function isMatch (q: string, rec: Rec): boolean {
  const ts = rec.terms
  for (let i = 0; i < ts.length; i++) if (ts[i].startsWith(q)) return true
  return false
}

export function createTokenSearch (store: StatsStore, names: TokenDirectory, options: TokenSearchOptions = {}): TokenSearch {
  // measured (bench/search.bench.ts): see the README's benchmark table
  const { window = '24h', mergeAt: MERGE_AT = 512, scanAt: SCAN_AT = 8192 } = options
  /**
   * Sorted runs, oldest (largest) first, merged like a binary counter: a new run of MERGE_AT
   * terms is merged into the one before it while it is at least half that one's size, so every
   * term is copied O(log n) times and a query binary-searches a dozen runs. measured: one sorted
   * array with every 2,048 new terms merged into it copied O(n²/2,048) terms and took 9–16 s to
   * index 100,000 tokens; the runs take about 2 s, most of it the store's own work (bench:search).
   */
  let runs: Run[] = []
  let pendingTerms: string[] = []
  let pendingIds: number[] = []
  let live = 0
  let dead = 0
  const recs = new Map<string, Rec>()
  /**
   * Per token id: the ranking value, read from the stats once per update and kept in typed
   * arrays, so ranking a prefix's candidates reads two arrays instead of chasing
   * rec → entry → stats → window → decimal text per candidate. measured: that chase (cache
   * misses, ~1 µs a candidate) was nearly all of a 3–4 letter prefix's 0.7 ms.
   * num: the value's double, NaN = no value; exact: the RankValue (decimal text for ties);
   * fresh: num/exact are current; seen: the last query that counted the token (dedupe).
   */
  let byId: Array<Rec | undefined> = []
  let num = new Float64Array(1024)
  let fresh = new Uint8Array(1024)
  let seen = new Int32Array(1024)
  let exact: Array<RankValue | null> = []
  let freeIds = 0
  let query = 0

  function grow (n: number): void {
    if (n <= num.length) return
    let c = num.length
    while (c < n) c *= 2
    const n2 = new Float64Array(c); n2.set(num); num = n2
    const f2 = new Uint8Array(c); f2.set(fresh); fresh = f2
    const s2 = new Int32Array(c); s2.set(seen); seen = s2
  }

  function add (term: string, id: number): void {
    pendingTerms.push(term)
    pendingIds.push(id)
    live++
    if (pendingTerms.length >= MERGE_AT) flush()
  }

  /** the entries (term, id) die in place: a renamed token's old name, a forgotten token */
  function kill (term: string, id: number): void {
    for (const run of runs) {
      for (let i = lowerBound(run.terms, term); i < run.terms.length && run.terms[i] === term; i++) {
        if (run.ids[i] === id) { run.ids[i] = -1; dead++; live-- }
      }
    }
    for (let i = 0; i < pendingTerms.length; i++) {
      if (pendingIds[i] === id && pendingTerms[i] === term) { pendingIds[i] = -1; dead++; live-- }
    }
  }

  function flush (): void {
    if (dead > live / 2 + MERGE_AT || freeIds > recs.size / 2 + MERGE_AT) { rebuild(); return }
    runs.push(sortedRun(pendingTerms, pendingIds))
    pendingTerms = []
    pendingIds = []
    while (runs.length >= 2 && runs[runs.length - 1].terms.length * 2 >= runs[runs.length - 2].terms.length) {
      const b = runs.pop() as Run
      const a = runs.pop() as Run
      const m = mergeRuns(a, b)
      dead -= a.terms.length + b.terms.length - m.terms.length
      runs.push(m)
    }
  }

  /** one run of every live term, ids renumbered 0…n−1 (dead slots and terms dropped) */
  function rebuild (): void {
    const terms: string[] = []
    const ids: number[] = []
    byId = []
    exact = []
    num = new Float64Array(Math.max(1024, recs.size))
    fresh = new Uint8Array(num.length)
    seen = new Int32Array(num.length)
    for (const rec of recs.values()) {
      rec.id = byId.length
      byId.push(rec)
      exact.push(null)
      for (const t of rec.terms) { terms.push(t); ids.push(rec.id) }
    }
    runs = terms.length === 0 ? [] : [sortedRun(terms, ids)]
    pendingTerms = []
    pendingIds = []
    live = terms.length
    dead = 0
    freeIds = 0
  }

  function known (key: string): boolean {
    return store.get(key) !== undefined || names.get(key) !== undefined
  }

  function noteKey (key: string): Rec {
    let rec = recs.get(key)
    if (rec !== undefined) return rec
    const id = byId.length
    grow(id + 1)
    rec = { key, terms: termsOf(splitKey(key)[1], names.get(key)?.meta), entry: store.get(key), id }
    byId.push(rec)
    exact.push(null)
    fresh[id] = 0
    seen[id] = 0
    recs.set(key, rec)
    for (const t of rec.terms) add(t, id)
    return rec
  }

  function forget (key: string): void {
    const rec = recs.get(key)
    if (known(key) || rec === undefined) return
    recs.delete(key)
    for (const t of rec.terms) kill(t, rec.id)
    byId[rec.id] = undefined
    exact[rec.id] = null
    freeIds++
  }

  store.onChange((key, entry) => {
    if (entry !== null) {
      const rec = noteKey(key)
      rec.entry = entry
      fresh[rec.id] = 0 // its value is read again when a query needs it
      return
    }
    const rec = recs.get(key)
    if (rec !== undefined) { rec.entry = undefined; fresh[rec.id] = 0 }
    forget(key)
  })
  names.onChange((key, _before, after) => {
    const rec = recs.get(key)
    if (rec === undefined) { if (after !== null) noteKey(key); return }
    if (after === null && store.get(key) === undefined) { forget(key); return }
    // the address term stays; the name terms are replaced
    const ts = termsOf(splitKey(key)[1], after ?? undefined)
    for (let i = 1; i < rec.terms.length; i++) kill(rec.terms[i], rec.id)
    rec.terms = ts
    for (let i = 1; i < ts.length; i++) add(ts[i], rec.id)
  })
  for (const e of store.entries()) noteKey(e.key)
  for (const [k] of names.entries()) noteKey(k)

  function refresh (id: number): void {
    const e = (byId[id] as Rec).entry
    const v = e === undefined ? null : rankValueOf(e.current(), 'volumeUsd', window)
    exact[id] = v
    num[id] = v === null ? NaN : v.num
    fresh[id] = 1
  }

  /** a ranks before b in compareHits' order (both fresh) */
  function before (a: number, b: number): boolean {
    const x = num[a]
    const y = num[b]
    if (x === x) { // NaN = no value
      if (y !== y) return true
      if (x !== y) return x > y
      const c = compareRankValue(exact[b] as RankValue, exact[a] as RankValue)
      if (c !== 0) return c < 0
    } else if (y === y) return false
    return (byId[a] as Rec).key < (byId[b] as Rec).key
  }

  function hitOf (rec: Rec, value: RankValue | null): SearchHit {
    const [chain, token] = splitKey(rec.key)
    return { key: rec.key, chain, token, meta: names.get(rec.key)?.meta, entry: rec.entry, value }
  }

  // reused per query: the prefix's range in each run, the top list
  const los: number[] = []
  const his: number[] = []
  const top: number[] = []

  function consider (id: number, limit: number): void {
    if (id < 0 || seen[id] === query) return
    seen[id] = query
    if (fresh[id] === 0) refresh(id)
    let i = top.length
    if (i === limit) {
      if (!before(id, top[i - 1])) return
      i--
    }
    while (i > 0 && before(id, top[i - 1])) { top[i] = top[i - 1]; i-- }
    top[i] = id
  }

  /**
   * every candidate of the ranges, each token once, kept in a top-`limit` list in the answer's
   * order: no sort of all matches, and most candidates cost a compare of two doubles
   */
  function rankCandidates (q: string, limit: number): SearchHit[] {
    query = (query + 1) | 0
    top.length = 0
    for (let r = 0; r < runs.length; r++) {
      const ids = runs[r].ids
      for (let i = los[r]; i < his[r]; i++) consider(ids[i], limit)
    }
    for (let i = 0; i < pendingTerms.length; i++) if (pendingTerms[i].startsWith(q)) consider(pendingIds[i], limit)
    const out: SearchHit[] = new Array(top.length)
    for (let i = 0; i < top.length; i++) out[i] = hitOf(byId[top[i]] as Rec, exact[top[i]])
    return out
  }

  function search (q: string, limit: number): SearchHit[] {
    let m = 0
    const upper = q + '\uffff'
    for (let r = 0; r < runs.length; r++) {
      los[r] = lowerBound(runs[r].terms, q)
      his[r] = lowerBound(runs[r].terms, upper)
      m += his[r] - los[r]
    }
    if (m <= SCAN_AT) return rankCandidates(q, limit)
    // broad ("0x", "a"): walk the volume index from the top, keeping the tokens that match; the
    // cost follows the limit and the share of tokens matching, not the number of matches. A walk
    // that reads more than m/8 rows (the matches sit low in the ranking, or fewer than `limit`
    // have a value) stops and ranks the candidates instead, so a query costs about the cheaper of
    // the two.
    const out: SearchHit[] = []
    let budget = (m >>> 3) + 64
    let finished = false
    volumeIndex().walk(true, (entry, value) => {
      if (--budget < 0) return false
      const rec = recs.get(entry.key)
      if (rec !== undefined && isMatch(q, rec)) {
        out.push(hitOf(rec, value))
        if (out.length === limit) { finished = true; return false }
      }
      return true
    })
    return finished ? out : rankCandidates(q, limit)
  }

  let pinned: ReturnType<StatsStore['pin']> | null = null
  /**
   * the store's volumeUsd index, pinned: a broad query walks it, and rebuilding it after an LRU
   * eviction (a sort of every token) would land inside one query's latency
   */
  function volumeIndex (): ReturnType<StatsStore['pin']> {
    if (pinned === null) pinned = store.pin({ stat: 'volumeUsd', window, chain: null })
    return pinned
  }

  return {
    search,
    get terms () { return live }
  }
}
