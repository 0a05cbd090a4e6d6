import { VolumerError } from '../errors.js'
import type { ApiResult } from './http-api.js'
import { clip, parseIntParam } from './http-query.js'
import type { CandleStore } from './candle-store.js'
import type { TokenDirectory } from './token-directory.js'
import { MAX_QUERY_LENGTH, normaliseQuery, type TokenSearch } from './token-search.js'
import type { CandleInterval } from '../engine/candle-intervals.js'

/**
 * TradingView's UDF datafeed convention under /udf (docs/http-api.md, "TradingView UDF"), so a
 * charting front end that speaks it (the Charting Library's UDFCompatibleDatafeed, or anything
 * built on it) draws Volumer's candles unchanged. A symbol is `chain:token`; its exchange is the
 * chain. Times are Unix seconds, as UDF has them; bar volume is the candle's volumeUsd.
 *
 *   /udf/config                          what the feed supports (resolutions = candle intervals)
 *   /udf/symbols?symbol=chain:token      one symbol's info, or {s:"error"}
 *   /udf/search?query=&exchange=&limit=  symbols by symbol, name or address prefix
 *   /udf/history?symbol=&resolution=&from=&to=&countback=
 *                                        {s:"ok",t,o,h,l,c,v} | {s:"no_data",nextTime?} | {s:"error",errmsg}
 *   /udf/time                            the server's time, seconds, as text
 */
const DAY = 86_400_000

/** UDF resolution of an interval: minutes ("1", "240"), seconds ("30S") or days ("1D") */
export function resolutionOf (iv: CandleInterval): string {
  if (iv.ms >= DAY && iv.ms % DAY === 0) return (iv.ms / DAY) + 'D'
  if (iv.ms % 60_000 === 0) return String(iv.ms / 60_000)
  return (iv.ms / 1000) + 'S'
}

export interface UdfContext {
  candles: CandleStore
  names?: TokenDirectory
  search?: TokenSearch
  /** chains with a token in the stats store (the exchange list) */
  chains: () => string[]
  /** whether chain:token has stats (is a known symbol) */
  knows: (key: string) => boolean
}

function intervals (ctx: UdfContext): CandleInterval[] {
  const out: CandleInterval[] = []
  for (const name of ctx.candles.intervalNames) { const iv = ctx.candles.interval(name); if (iv !== undefined) out.push(iv) }
  return out.sort((a, b) => a.ms - b.ms)
}

function intervalOfResolution (ctx: UdfContext, resolution: string): CandleInterval | undefined {
  // "D" and "1D" are the same resolution in UDF
  const r = resolution === 'D' ? '1D' : resolution
  return intervals(ctx).find((iv) => resolutionOf(iv) === r)
}

const json = (v: unknown): ApiResult => ({ status: 200, body: JSON.stringify(v) })

export function udfConfig (ctx: UdfContext): ApiResult {
  return json({
    supported_resolutions: intervals(ctx).map(resolutionOf),
    supports_search: true,
    supports_group_request: false,
    supports_marks: false,
    supports_timescale_marks: false,
    supports_time: true,
    exchanges: [{ value: '', name: 'All chains', desc: '' }, ...ctx.chains().map((c) => ({ value: c, name: c, desc: c }))],
    symbols_types: [{ name: 'All types', value: '' }, { name: 'Token', value: 'crypto' }]
  })
}

/** price scale for a price: enough decimals for about six significant digits, at least 2 */
function priceScaleOf (price: number | undefined): number {
  if (price === undefined || !(price > 0) || !Number.isFinite(price)) return 100
  const decimals = Math.min(16, Math.max(2, 5 - Math.floor(Math.log10(price))))
  return 10 ** decimals
}

function symbolKey (q: Map<string, string>, name = 'symbol'): string {
  const s = q.get(name)
  if (s === undefined || s === '') throw new VolumerError('BAD_PARAM', `${name} is required: chain:token, e.g. ethereum:0xc02a…`)
  if (s.length > 256 || s.indexOf(':') <= 0) throw new VolumerError('BAD_PARAM', `${name} must be chain:token, got "${clip(s)}"`)
  return s
}

export function udfSymbols (ctx: UdfContext, q: Map<string, string>): ApiResult {
  const key = symbolKey(q)
  if (!ctx.knows(key)) return json({ s: 'error', errmsg: 'unknown_symbol ' + clip(key) })
  const sep = key.indexOf(':')
  const chain = key.slice(0, sep)
  const token = key.slice(sep + 1)
  const meta = ctx.names?.get(key)?.meta
  const ivs = intervals(ctx)
  const newest = ivs.length === 0 ? undefined : ctx.candles.latest(key + ':' + ivs[0].name)
  const close = newest?.close
  return json({
    name: meta?.symbol ?? token,
    ticker: key,
    description: meta?.name ?? token,
    type: 'crypto',
    session: '24x7',
    exchange: chain,
    listed_exchange: chain,
    timezone: 'Etc/UTC',
    format: 'price',
    minmov: 1,
    pricescale: priceScaleOf(close),
    has_intraday: ivs.some((iv) => iv.ms < DAY),
    has_daily: ivs.some((iv) => iv.ms % DAY === 0),
    has_weekly_and_monthly: false,
    supported_resolutions: ivs.map(resolutionOf),
    intraday_multipliers: ivs.filter((iv) => iv.ms < DAY && iv.ms % 60_000 === 0).map(resolutionOf),
    volume_precision: 2,
    data_status: 'streaming'
  })
}

export function udfSearch (ctx: UdfContext, q: Map<string, string>): ApiResult {
  const query = normaliseQuery(q.get('query') ?? '')
  if (query.length > MAX_QUERY_LENGTH) throw new VolumerError('BAD_PARAM', `query is at most ${MAX_QUERY_LENGTH} characters`)
  const limit = parseIntParam(q, 'limit', 30, 1, 100)
  const exchange = q.get('exchange') ?? ''
  if (query.length === 0 || ctx.search === undefined) return json([])
  // ask for more when filtering by chain, so a chain's hits are not crowded out by others'
  const hits = ctx.search.search(query, exchange === '' ? limit : 100)
  const out: unknown[] = []
  for (const h of hits) {
    if (exchange !== '' && h.chain !== exchange) continue
    out.push({
      symbol: h.meta?.symbol ?? h.token,
      full_name: h.key,
      description: h.meta?.name ?? h.token,
      exchange: h.chain,
      ticker: h.key,
      type: 'crypto'
    })
    if (out.length === limit) break
  }
  return json(out)
}

function secondsParam (q: Map<string, string>, name: string, dflt?: number): number {
  const v = q.get(name)
  if (v === undefined || v === '') {
    if (dflt !== undefined) return dflt
    throw new VolumerError('BAD_PARAM', `${name} is required: Unix seconds`)
  }
  if (!/^-?[0-9]{1,12}$/.test(v)) throw new VolumerError('BAD_PARAM', `${name} must be Unix seconds, got "${clip(v)}"`)
  return Number(v)
}

/** most bars one history answer holds */
export const MAX_UDF_BARS = 5000

export function udfHistory (ctx: UdfContext, q: Map<string, string>): ApiResult {
  const key = symbolKey(q)
  const resolution = q.get('resolution') ?? ''
  const iv = intervalOfResolution(ctx, resolution)
  if (iv === undefined) return json({ s: 'error', errmsg: `unsupported resolution "${clip(resolution)}"; supported: ${intervals(ctx).map(resolutionOf).join(', ')}` })
  const to = secondsParam(q, 'to')
  const countback = q.has('countback') ? parseIntParam(q, 'countback', 0, 1, MAX_UDF_BARS) : 0
  // UDF: with countback, `from` is ignored and the `countback` bars before `to` are wanted
  const from = countback > 0 ? 0 : secondsParam(q, 'from')
  if (to < from) return json({ s: 'error', errmsg: 'to is before from' })
  const series = key + ':' + iv.name
  const r = ctx.candles.range(series, from * 1000, to * 1000, countback > 0 ? countback : MAX_UDF_BARS)
  if (r === undefined || r.hi === r.lo) {
    const before = ctx.candles.before(series, countback > 0 ? to * 1000 : from * 1000)
    return json(before === undefined ? { s: 'no_data' } : { s: 'no_data', nextTime: Math.floor(before / 1000) })
  }
  const n = r.hi - r.lo
  const t = new Array<number>(n); const o = new Array<number>(n); const h = new Array<number>(n)
  const l = new Array<number>(n); const c = new Array<number>(n); const v = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const k = r.lo + i
    const s = r.series
    t[i] = Math.floor(s.start[k] / 1000)
    o[i] = s.open(k); h[i] = s.high(k); l[i] = s.low(k); c[i] = s.close(k); v[i] = Number(s.volumeUsd(k))
  }
  return json({ s: 'ok', t, o, h, l, c, v })
}

export function udfTime (now: number): ApiResult {
  return { status: 200, body: String(Math.floor(now / 1000)) }
}
