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
 * A full scan costs a few ms at 100,000 tokens, the whole p99 budget, so terms are kept sorted
 * and a prefix is a binary-searched range:
 *
 *   terms (sorted)  "0x00c8…"  "0x0258…"  …  "ether"  "ethereum name service"  …  "weth"  "wrapped ether"
 *   keys            k1         k2            k7       k9                           k7      k7
 *                                              └──── prefix "eth": [lo, hi) ────┘
 *
 * - New terms go to a small unsorted `pending` list (scanned per query) and are merged into the
 *   sorted arrays once it holds MERGE_AT: one O(n) merge per MERGE_AT new tokens, not one per token.
 * - Terms are never removed one by one: a candidate is checked against the token's current
 *   metadata, so a renamed token's old terms only cost a check; the arrays are rebuilt when dead
 *   terms outnumber live ones.
 * - A narrow prefix (at most SCAN_AT candidate terms) is ranked by reading each candidate's value;
 *   a broad one ("0x", "a") walks the store's volume index from the top and keeps the tokens
 *   that match, so its cost follows the limit, not the number of matches.
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

export function createTokenSearch (store: StatsStore, names: TokenDirectory, options: TokenSearchOptions = {}): TokenSearch {
  // measured (bench/search.bench.ts): see the README's benchmark table
  const { window = '24h', mergeAt: MERGE_AT = 2048, scanAt: SCAN_AT = 1024 } = options
  let terms: string[] = []
  let keys: string[] = []
  let pending: Array<[string, string]> = []
  /**
   * each known token's current terms (lower-cased once): the match check reads these instead of
   * lower-casing and splitting per candidate (measured: that allocation made a broad query's walk
   * cost ~1 µs per row); a token removed from both sources leaves the map
   */
  const termsByKey = new Map<string, string[]>()
  let dead = 0

  function add (term: string, key: string): void {
    pending.push([term, key])
    if (pending.length >= MERGE_AT) merge()
  }

  function merge (): void {
    if (dead > terms.length / 2 + MERGE_AT) { rebuild(); return }
    pending.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    const n = terms.length + pending.length
    const t2: string[] = new Array(n)
    const k2: string[] = new Array(n)
    let i = 0
    let j = 0
    for (let o = 0; o < n; o++) {
      if (j >= pending.length || (i < terms.length && terms[i] <= pending[j][0])) { t2[o] = terms[i]; k2[o] = keys[i]; i++ } else { t2[o] = pending[j][0]; k2[o] = pending[j][1]; j++ }
    }
    terms = t2
    keys = k2
    pending = []
  }

  function rebuild (): void {
    const all: Array<[string, string]> = []
    for (const [key, ts] of termsByKey) for (const t of ts) all.push([t, key])
    all.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    terms = all.map(x => x[0])
    keys = all.map(x => x[1])
    pending = []
    dead = 0
  }

  function known (key: string): boolean {
    return store.get(key) !== undefined || names.get(key) !== undefined
  }

  function noteKey (key: string): void {
    if (termsByKey.has(key)) return
    const ts = termsOf(splitKey(key)[1], names.get(key)?.meta)
    termsByKey.set(key, ts)
    for (const t of ts) add(t, key)
  }

  function forget (key: string): void {
    const ts = termsByKey.get(key)
    if (known(key) || ts === undefined) return
    termsByKey.delete(key)
    dead += ts.length
  }

  store.onChange((key, entry) => { if (entry !== null) noteKey(key); else forget(key) })
  names.onChange((key, _before, after) => {
    const old = termsByKey.get(key)
    if (old === undefined) { if (after !== null) noteKey(key); return }
    if (after === null && store.get(key) === undefined) { forget(key); return }
    // the address term stays; the name terms are replaced (the old ones die in place)
    const ts = termsOf(splitKey(key)[1], after ?? undefined)
    termsByKey.set(key, ts)
    dead += old.length - 1
    for (let i = 1; i < ts.length; i++) add(ts[i], key)
  })
  for (const e of store.entries()) noteKey(e.key)
  for (const [k] of names.entries()) noteKey(k)

  function hitOf (key: string): SearchHit {
    const [chain, token] = splitKey(key)
    const entry = store.get(key)
    return { key, chain, token, meta: names.get(key)?.meta, entry, value: entry === undefined ? null : rankValueOf(entry.current(), 'volumeUsd', window) }
  }

  function isMatch (q: string, key: string): boolean {
    const ts = termsByKey.get(key)
    if (ts === undefined) return false
    for (let i = 0; i < ts.length; i++) if (ts[i].startsWith(q)) return true
    return false
  }

  /** candidate keys of prefix q, each once, checked against current metadata */
  function candidates (q: string, lo: number, hi: number): Set<string> {
    const out = new Set<string>()
    for (let i = lo; i < hi; i++) {
      const k = keys[i]
      if (!out.has(k) && isMatch(q, k)) out.add(k)
    }
    for (const [t, k] of pending) if (t.startsWith(q) && !out.has(k) && isMatch(q, k)) out.add(k)
    return out
  }

  function search (q: string, limit: number): SearchHit[] {
    const lo = lowerBound(terms, q)
    const hi = lowerBound(terms, q + '\uffff')
    if (hi - lo <= SCAN_AT) {
      // only the value to sort by per candidate; the full hit for the `limit` kept
      const ranked: Array<{ key: string, value: RankValue | null }> = []
      for (const key of candidates(q, lo, hi)) {
        const e = store.get(key)
        ranked.push({ key, value: e === undefined ? null : rankValueOf(e.current(), 'volumeUsd', window) })
      }
      ranked.sort(compareHits)
      const n = Math.min(limit, ranked.length)
      const out: SearchHit[] = new Array(n)
      for (let i = 0; i < n; i++) out[i] = { ...hitOf(ranked[i].key), value: ranked[i].value }
      return out
    }
    // broad: walk the volume index from the top, doubling the rows read
    const out: SearchHit[] = []
    const seen = new Set<string>()
    let read = 0
    let want = Math.max(64, limit * 8)
    for (;;) {
      const rows = store.top({ stat: 'volumeUsd', window, chain: null, limit: want, descending: true })
      for (let i = read; i < rows.length; i++) {
        const r = rows[i]
        if (r.value === null) { read = Infinity; break }
        if (isMatch(q, r.entry.key)) {
          seen.add(r.entry.key)
          out.push({ ...hitOf(r.entry.key), value: r.value })
          if (out.length === limit) return out
        }
      }
      if (read === Infinity || rows.length < want) break
      read = rows.length
      want *= 4
    }
    // every valued match is out: the rest have no value in the window and go by key
    const rest: SearchHit[] = []
    for (const k of candidates(q, lo, hi)) {
      if (seen.has(k)) continue
      const h = hitOf(k)
      if (h.value === null) rest.push(h)
    }
    rest.sort(compareHits)
    for (const h of rest) { out.push(h); if (out.length === limit) break }
    return out
  }

  return {
    search,
    get terms () { return terms.length + pending.length }
  }
}
