import { VolumerError } from '../errors.js'
import type { ApiResult } from './http-api.js'
import { clip, parseIntParam } from './http-query.js'
import type { CandleStore } from './candle-store.js'

/**
 * GET /v1/tokens/{chain}/{token}/candles?interval=1m&from=&to=&limit= (docs/http-api.md):
 * the token's candles of one interval whose start is in [from, to), the newest `limit` of
 * them, oldest first. Pure, like http-api.ts.
 */
export const MAX_CANDLE_LIMIT = 5000
export const DEFAULT_CANDLE_LIMIT = 500

/** a time parameter: ms since the epoch, or ISO 8601 */
export function parseTimeParam (q: Map<string, string>, name: string, dflt: number): number {
  const v = q.get(name)
  if (v === undefined || v === '') return dflt
  if (/^[0-9]{1,16}$/.test(v)) return Number(v)
  const t = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(v) ? Date.parse(v) : NaN
  if (!Number.isFinite(t)) throw new VolumerError('BAD_PARAM', `${name} must be ms since the epoch or an ISO 8601 time, got "${clip(v)}"`)
  return t
}

export function parseIntervalParam (store: CandleStore, q: Map<string, string>): string {
  const interval = q.get('interval') ?? '1m'
  if (store.interval(interval) === undefined) throw new VolumerError('BAD_PARAM', `unknown interval "${clip(interval)}"; known: ${store.intervalNames.join(', ')}`)
  return interval
}

export function getCandles (store: CandleStore, chain: string, token: string, q: Map<string, string>): ApiResult {
  const interval = parseIntervalParam(store, q)
  const from = parseTimeParam(q, 'from', 0)
  const to = parseTimeParam(q, 'to', 8.64e15)
  if (to < from) throw new VolumerError('BAD_PARAM', 'to must not be before from')
  const limit = parseIntParam(q, 'limit', DEFAULT_CANDLE_LIMIT, 1, MAX_CANDLE_LIMIT)
  const r = store.range(chain + ':' + token + ':' + interval, from, to, limit)
  let items = ''
  if (r !== undefined) for (let i = r.lo; i < r.hi; i++) items += (i === r.lo ? '' : ',') + r.series.body(i)
  return {
    status: 200,
    body: '{"chain":' + JSON.stringify(chain) + ',"token":' + JSON.stringify(token) + ',"interval":' + JSON.stringify(interval) +
      ',"candles":[' + items + ']}'
  }
}
