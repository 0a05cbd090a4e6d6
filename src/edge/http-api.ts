import type { StatsObject, WindowStats } from '../engine/stats.js'
import { VolumerError, type ErrorCode } from '../errors.js'
import { clip, decodeComponent, parseIntParam, splitList } from './http-query.js'
import { TOKEN_STATS, RANK_STATS, isRankStat, rankValueJson, type RankStat } from './rank-value.js'
import type { RankedRow } from './rank-index.js'
import { entryJson, type StatsStore, type TokenEntry } from './stats-store.js'
import { labelled, type TokenDirectory } from './token-directory.js'
import type { CandleStore } from './candle-store.js'

/**
 * The /v1 resources as pure functions of the store and the parsed request: no uWS here, so the
 * same code answers in tests, and edge-server.ts only moves bytes. docs/http-api.md describes
 * each one; openapi.ts is the machine-readable twin.
 */

export const MAX_IDS = 100
export const MAX_TOP_LIMIT = 500
export const DEFAULT_TOP_LIMIT = 50

/** HTTP status of each error code the API answers with */
export const HTTP_STATUS_OF: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  BAD_PARAM: 400,
  BAD_REQUEST: 400,
  TOO_MANY_IDS: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  URI_TOO_LONG: 414,
  UPGRADE_REQUIRED: 426,
  INTERNAL: 500,
  NOT_READY: 503
})

export function errorJson (code: string, message: string): string {
  return JSON.stringify({ error: { code, message } })
}

export interface ApiResult {
  status: number
  body: string
  /** set when the body is exactly the entry's JSON: its cached ETag and compressed forms apply */
  entry?: TokenEntry
}

export interface ApiContext {
  store: StatsStore
  /** window names the processor is configured with (the store adds any it sees) */
  windows: ReadonlySet<string>
  /** token metadata from the `tokens` topic; absent = no names are served */
  names?: TokenDirectory
  /** candles from the `candles` topic; absent = none are served */
  candles?: CandleStore
  /** false while the candle feed is still catching up (candles are then NOT_READY); absent = caught up */
  candlesCaughtUp?: () => boolean
}

function labelOf (ctx: ApiContext, key: string): ReturnType<TokenDirectory['get']> {
  return ctx.names?.get(key)
}

function isKnownWindow (ctx: ApiContext, w: string): boolean {
  return ctx.windows.has(w) || ctx.store.windows.has(w)
}

function knownWindows (ctx: ApiContext): string {
  return [...new Set([...ctx.windows, ...ctx.store.windows])].join(', ')
}

/** `?windows=5m,1h` → the list, validated; null = all windows */
function parseWindowFilter (ctx: ApiContext, q: Map<string, string>): string[] | null {
  const raw = q.get('windows')
  if (raw === undefined) return null
  const list = splitList(raw)
  if (list.length === 0) throw new VolumerError('BAD_PARAM', 'windows must name at least one window, e.g. windows=5m,1h')
  for (const w of list) {
    if (!isKnownWindow(ctx, w)) throw new VolumerError('BAD_PARAM', `unknown window "${clip(w)}"; known: ${knownWindows(ctx)}`)
  }
  return list
}

function filteredJson (stats: StatsObject, windows: string[]): string {
  const picked: Record<string, WindowStats> = {}
  for (const w of windows) { const s = stats.windows[w]; if (s !== undefined) picked[w] = s }
  return JSON.stringify({ ...stats, windows: picked })
}

/** GET /v1/tokens/{chain}/{token} — `chainRaw`/`tokenRaw` still percent-encoded */
export function getToken (ctx: ApiContext, chainRaw: string, tokenRaw: string, q: Map<string, string>): ApiResult {
  const chain = decodeComponent(chainRaw, 'the chain')
  const token = decodeComponent(tokenRaw, 'the token')
  const windows = parseWindowFilter(ctx, q)
  const entry = ctx.store.get(chain + ':' + token)
  if (entry === undefined) throw new VolumerError('NOT_FOUND', `no statistics for token ${clip(chain)}:${clip(token)}`)
  const label = labelOf(ctx, entry.key)
  // the entry's cached ETag and compressed bodies are of its stats text alone
  if (windows === null) return label === undefined ? { status: 200, body: entryJson(entry), entry } : { status: 200, body: labelled(entryJson(entry), label) }
  return { status: 200, body: labelled(filteredJson(entry.stats, windows), label) }
}

/** GET /v1/tokens?ids=chain:token,… — found tokens in request order, plus the ids not found */
export function getTokens (ctx: ApiContext, q: Map<string, string>): ApiResult {
  const raw = q.get('ids')
  if (raw === undefined) throw new VolumerError('BAD_PARAM', 'ids is required: ids=chain:token,chain:token (at most 100)')
  const ids = [...new Set(splitList(raw))]
  if (ids.length === 0) throw new VolumerError('BAD_PARAM', 'ids must list at least one chain:token')
  if (ids.length > MAX_IDS) throw new VolumerError('TOO_MANY_IDS', `at most ${MAX_IDS} ids per request, got ${ids.length}`)
  const windows = parseWindowFilter(ctx, q)
  const parts: string[] = []
  const missing: string[] = []
  for (const id of ids) {
    if (id.indexOf(':') <= 0) throw new VolumerError('BAD_PARAM', `id "${clip(id)}" is not of the form chain:token`)
    const entry = ctx.store.get(id)
    if (entry === undefined) missing.push(id)
    else parts.push(labelled(windows === null ? entryJson(entry) : filteredJson(entry.stats, windows), labelOf(ctx, id)))
  }
  // concatenated, not re-serialised: each token's JSON is cached per update
  return { status: 200, body: '{"tokens":[' + parts.join(',') + '],"missing":' + JSON.stringify(missing) + '}' }
}

export interface TopParams {
  stat: RankStat
  window: string | null
  chain: string | null
  limit: number
  descending: boolean
}

/** validates the query of /v1/top (also used by WebSocket ranked subscriptions) */
export function parseTopParams (ctx: ApiContext, get: (name: string) => unknown): TopParams {
  const stat = get('stat') ?? 'volumeUsd'
  if (typeof stat !== 'string' || !isRankStat(stat)) {
    throw new VolumerError('BAD_PARAM', `stat must be one of ${RANK_STATS.join(', ')}; got "${clip(String(stat))}"`)
  }
  const windowRaw = get('window')
  let window: string | null = null
  if (windowRaw !== undefined) {
    if (typeof windowRaw !== 'string' || !isKnownWindow(ctx, windowRaw)) {
      throw new VolumerError('BAD_PARAM', `unknown window "${clip(String(windowRaw))}"; known: ${knownWindows(ctx)}`)
    }
    window = windowRaw
  } else if (!TOKEN_STATS.has(stat)) {
    throw new VolumerError('BAD_PARAM', `window is required for stat ${stat}, e.g. window=5m`)
  }
  const orderRaw = get('order') ?? 'desc'
  if (orderRaw !== 'asc' && orderRaw !== 'desc') throw new VolumerError('BAD_PARAM', `order must be asc or desc, got "${clip(String(orderRaw))}"`)
  const chainRaw = get('chain')
  if (chainRaw !== undefined && (typeof chainRaw !== 'string' || chainRaw.length === 0 || chainRaw.length > 64)) {
    throw new VolumerError('BAD_PARAM', 'chain must be a chain name, e.g. chain=ethereum')
  }
  const limitRaw = get('limit')
  let limit = DEFAULT_TOP_LIMIT
  if (typeof limitRaw === 'number') {
    if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > MAX_TOP_LIMIT) throw new VolumerError('BAD_PARAM', `limit must be an integer from 1 to ${MAX_TOP_LIMIT}`)
    limit = limitRaw
  } else if (limitRaw !== undefined) {
    limit = parseIntParam(new Map([['limit', String(limitRaw)]]), 'limit', DEFAULT_TOP_LIMIT, 1, MAX_TOP_LIMIT)
  }
  return { stat, window, chain: (chainRaw as string | undefined) ?? null, limit, descending: orderRaw === 'desc' }
}

/** the rows of a ranked list (empty for a chain the store has never seen: no index is built) */
export function topRows (ctx: ApiContext, p: TopParams): Array<RankedRow<TokenEntry>> {
  if (p.chain !== null && !ctx.store.hasChain(p.chain)) return []
  return ctx.store.top({ stat: p.stat, window: p.window ?? '', chain: p.chain, limit: p.limit, descending: p.descending })
}

/**
 * One ranked row as JSON:
 * {"rank":1,"chain":"…","token":"…","symbol":"…","name":"…","value":"123.4","lastPrice":…,"lastTradeAt":"…","asOf":"…","window":{…}|null}
 * `window` holds the stats of the requested window (null for lastPrice without a window);
 * `symbol` and `name` only when the token has metadata.
 */
export function rowJson (p: TopParams, row: RankedRow<TokenEntry>, rank: number, names?: TokenDirectory): string {
  const s = row.entry.stats
  const w = p.window === null ? null : (s.windows[p.window] ?? null)
  const meta = names?.get(row.entry.key)?.meta
  return JSON.stringify({
    rank,
    chain: s.chain,
    token: s.token,
    symbol: meta?.symbol,
    name: meta?.name,
    value: rankValueJson(row.value),
    lastPrice: s.lastPrice,
    lastTradeAt: s.lastTradeAt,
    asOf: s.asOf,
    window: w
  })
}

export function topBody (p: TopParams, rows: Array<RankedRow<TokenEntry>>, extra = '', names?: TokenDirectory): string {
  const items: string[] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) items[i] = rowJson(p, rows[i], i + 1, names)
  return '{' + extra + '"stat":' + JSON.stringify(p.stat) + ',"window":' + JSON.stringify(p.window) +
    ',"order":"' + (p.descending ? 'desc' : 'asc') + '","chain":' + JSON.stringify(p.chain) +
    ',"limit":' + p.limit + ',"items":[' + items.join(',') + ']}'
}

/** GET /v1/top?stat=volumeUsd&window=5m&limit=50&order=desc[&chain=…] */
export function getTop (ctx: ApiContext, q: Map<string, string>): ApiResult {
  const p = parseTopParams(ctx, name => q.get(name))
  return { status: 200, body: topBody(p, topRows(ctx, p), '', ctx.names) }
}
