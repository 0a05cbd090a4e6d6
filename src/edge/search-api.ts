import { VolumerError } from '../errors.js'
import type { ApiResult } from './http-api.js'
import { parseIntParam } from './http-query.js'
import { rankValueJson, rankValueOf } from './rank-value.js'
import { DEFAULT_SEARCH_LIMIT, MAX_QUERY_LENGTH, MAX_SEARCH_LIMIT, normaliseQuery, type SearchHit, type TokenSearch } from './token-search.js'

/**
 * GET /v1/search?q=eth&limit=20 (docs/http-api.md):
 * {"q":"eth","window":"24h","limit":20,"items":[{"chain":"ethereum","token":"0xc02a…","symbol":"WETH",
 *  "name":"Wrapped Ether","decimals":18,"logoUrl":null,"volumeUsd":"123.4","lastPrice":1790.1}, …]}
 * Unknown metadata is null here (a search result is a row of one shape); `volumeUsd` is the
 * ranking window's, null when the token has no value in it.
 */
export function getSearch (search: TokenSearch, window: string, q: Map<string, string>): ApiResult {
  const raw = q.get('q')
  if (raw === undefined) throw new VolumerError('BAD_PARAM', 'q is required: the start of a symbol, a name or an address, e.g. q=weth')
  const query = normaliseQuery(raw)
  if (query.length === 0) throw new VolumerError('BAD_PARAM', 'q must not be empty')
  if (query.length > MAX_QUERY_LENGTH) throw new VolumerError('BAD_PARAM', `q is at most ${MAX_QUERY_LENGTH} characters`)
  const limit = parseIntParam(q, 'limit', DEFAULT_SEARCH_LIMIT, 1, MAX_SEARCH_LIMIT)
  const hits = search.search(query, limit)
  const items: string[] = new Array(hits.length)
  for (let i = 0; i < hits.length; i++) items[i] = hitJson(hits[i])
  return {
    status: 200,
    body: '{"q":' + JSON.stringify(query) + ',"window":' + JSON.stringify(window) + ',"limit":' + limit + ',"items":[' + items.join(',') + ']}'
  }
}

function hitJson (h: SearchHit): string {
  const m = h.meta
  const last = h.entry === undefined ? null : rankValueOf(h.entry.current(), 'lastPrice', '')
  return JSON.stringify({
    chain: h.chain,
    token: h.token,
    symbol: m?.symbol ?? null,
    name: m?.name ?? null,
    decimals: m?.decimals ?? null,
    logoUrl: m?.logoUrl ?? null,
    volumeUsd: rankValueJson(h.value),
    lastPrice: last === null ? null : last.num
  })
}
