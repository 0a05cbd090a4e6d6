import { VolumerError } from '../errors.js'
import { MAX_IDS, parseTopParams, type ApiContext, type TopParams } from './http-api.js'

/**
 * The parts of a client's `subscribe`/`unsubscribe` message the hub checks before it acts: each
 * returns the parsed value or throws a VolumerError whose code the client gets back
 * (docs/websocket.md, errors).
 */

export function tokenIds (value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new VolumerError('BAD_MESSAGE', 'tokens must be a non-empty array of "chain:token" strings')
  if (value.length > MAX_IDS) throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', `at most ${MAX_IDS} tokens per message`)
  for (const t of value) {
    if (typeof t !== 'string' || t.indexOf(':') <= 0 || t.length > 256) throw new VolumerError('BAD_MESSAGE', 'each token must be a "chain:token" string of at most 256 characters')
  }
  return [...new Set(value as string[])]
}

export function topParamsOf (ctx: ApiContext, value: unknown): TopParams {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new VolumerError('BAD_MESSAGE', 'top must be an object {stat, window, limit, order, chain}')
  const o = value as Record<string, unknown>
  return parseTopParams(ctx, name => o[name])
}

/** `{token: "chain:token", interval: "1m"}` → the series and the subscription id */
export function candleSeriesOf (ctx: ApiContext, value: unknown): { series: string, id: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new VolumerError('BAD_MESSAGE', 'candles must be an object {token: "chain:token", interval: "1m"}')
  const o = value as Record<string, unknown>
  const token = o.token
  if (typeof token !== 'string' || token.indexOf(':') <= 0 || token.length > 256) throw new VolumerError('BAD_MESSAGE', 'candles.token must be a "chain:token" string of at most 256 characters')
  const interval = o.interval ?? '1m'
  if (typeof interval !== 'string' || ctx.candles?.interval(interval) === undefined) {
    throw new VolumerError('BAD_MESSAGE', `candles.interval must be one of ${ctx.candles?.intervalNames.join(', ') ?? '(none: this edge serves no candles)'}`)
  }
  const series = token + ':' + interval
  return { series, id: 'candles:' + series }
}
