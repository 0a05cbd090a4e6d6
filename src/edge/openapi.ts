import { RANK_STATS } from './rank-value.js'
import { DEFAULT_TOP_LIMIT, MAX_IDS, MAX_TOP_LIMIT } from './http-api.js'
import { DEFAULT_SEARCH_LIMIT, MAX_QUERY_LENGTH, MAX_SEARCH_LIMIT } from './token-search.js'
import { DEFAULT_CANDLE_LIMIT, MAX_CANDLE_LIMIT } from './candle-api.js'
import { MAX_UDF_BARS } from './udf-api.js'

/**
 * The OpenAPI 3.1 document served at GET /openapi.json. test/edge/openapi.test.ts validates real
 * responses against these schemas, so a change of behaviour that is not mirrored here fails.
 */

const decimal = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$', description: 'exact decimal, canonical form' }
const price = { type: ['number', 'null'] }
const time = { type: 'string', description: 'ISO 8601 UTC with milliseconds' }
const timeOrNull = { type: ['string', 'null'], description: 'ISO 8601 UTC with milliseconds' }
const count = { type: 'integer', minimum: 0 }
const symbol = { type: 'string', maxLength: 64, description: 'from the tokens topic; absent when the token has no metadata' }
const tokenName = { type: 'string', maxLength: 256, description: 'from the tokens topic; absent when the token has no metadata' }

const errorResponse = (description: string): object => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
})

const windowsParam = {
  name: 'windows',
  in: 'query',
  required: false,
  description: 'comma-separated windows to include (default: all), e.g. 5m,1h',
  schema: { type: 'string' }
}

const timeParam = (name: string, description: string): object =>
  ({ name, in: 'query', required: false, description: description + ': ms since the epoch or ISO 8601', schema: { type: 'string' } })
const udfQuery = (name: string, required: boolean, description: string, type = 'string'): object =>
  ({ name, in: 'query', required, description, schema: { type } })
const udfJson = (description: string): object => ({ 200: { description, content: { 'application/json': { schema: { type: ['object', 'array'] } } } } })

export function openApiDocument (windows: readonly string[], searchWindow = '24h', candleIntervals: readonly string[] = ['1m', '5m', '15m', '1h', '4h', '1d']): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Volumer edge',
      version: '1.0.0',
      description: 'Live per-token DEX statistics over rolling windows. See docs/http-api.md.'
    },
    paths: {
      '/v1/tokens/{chain}/{token}': {
        get: {
          operationId: 'getToken',
          summary: "One token's statistics",
          parameters: [
            { name: 'chain', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
            windowsParam
          ],
          responses: {
            200: { description: 'the stats object', headers: { ETag: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/StatsObject' } } } },
            304: { description: 'not modified (If-None-Match)' },
            400: errorResponse('BAD_PARAM'),
            404: errorResponse('NOT_FOUND'),
            503: errorResponse('NOT_READY')
          }
        }
      },
      '/v1/tokens': {
        get: {
          operationId: 'getTokens',
          summary: 'Many tokens in one request',
          parameters: [
            { name: 'ids', in: 'query', required: true, description: `comma-separated chain:token ids, at most ${MAX_IDS}`, schema: { type: 'string' } },
            windowsParam
          ],
          responses: {
            200: { description: 'found tokens in request order, and the ids not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/TokensResponse' } } } },
            400: errorResponse('BAD_PARAM or TOO_MANY_IDS'),
            503: errorResponse('NOT_READY')
          }
        }
      },
      '/v1/top': {
        get: {
          operationId: 'getTop',
          summary: 'Tokens ranked by a statistic over a window',
          parameters: [
            { name: 'stat', in: 'query', required: false, schema: { type: 'string', enum: [...RANK_STATS], default: 'volumeUsd' } },
            { name: 'window', in: 'query', required: false, description: 'required except for stat=lastPrice', schema: { type: 'string', examples: windows } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_TOP_LIMIT, default: DEFAULT_TOP_LIMIT } },
            { name: 'order', in: 'query', required: false, schema: { type: 'string', enum: ['desc', 'asc'], default: 'desc' } },
            { name: 'chain', in: 'query', required: false, schema: { type: 'string' } }
          ],
          responses: {
            200: { description: 'ranked rows; null values always last; order=asc is the exact reverse of order=desc for non-null values', content: { 'application/json': { schema: { $ref: '#/components/schemas/TopResponse' } } } },
            400: errorResponse('BAD_PARAM'),
            503: errorResponse('NOT_READY')
          }
        }
      },
      '/v1/search': {
        get: {
          operationId: 'search',
          summary: `Tokens whose symbol, name (or a word of it) or address starts with q, case-insensitive, by ${searchWindow} volumeUsd`,
          parameters: [
            { name: 'q', in: 'query', required: true, description: `1 to ${MAX_QUERY_LENGTH} characters after trimming`, schema: { type: 'string', minLength: 1, maxLength: MAX_QUERY_LENGTH } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT } }
          ],
          responses: {
            200: { description: `matches, highest ${searchWindow} volumeUsd first; tokens without a value in that window follow, by chain:token`, content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchResponse' } } } },
            400: errorResponse('BAD_PARAM'),
            503: errorResponse('NOT_READY')
          }
        }
      },
      '/v1/tokens/{chain}/{token}/candles': {
        get: {
          operationId: 'getCandles',
          summary: 'A token\'s OHLCV candles of one interval whose start is in [from, to): the newest `limit` of them, oldest first',
          parameters: [
            { name: 'chain', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'token', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'interval', in: 'query', required: false, schema: { type: 'string', enum: [...candleIntervals], default: '1m' } },
            timeParam('from', 'earliest candle start, inclusive (default: the oldest held)'),
            timeParam('to', 'latest candle start, exclusive (default: the newest held)'),
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_CANDLE_LIMIT, default: DEFAULT_CANDLE_LIMIT } }
          ],
          responses: {
            200: { description: 'the candles (an empty list when the token has none in the range)', content: { 'application/json': { schema: { $ref: '#/components/schemas/CandlesResponse' } } } },
            400: errorResponse('BAD_PARAM'),
            503: errorResponse('NOT_READY')
          }
        }
      },
      '/udf/config': { get: { operationId: 'udfConfig', summary: 'TradingView UDF: datafeed configuration (resolutions = candle intervals)', responses: udfJson('UDF configuration') } },
      '/udf/symbols': {
        get: {
          operationId: 'udfSymbols',
          summary: 'TradingView UDF: symbol info of chain:token, or {s:"error"}',
          parameters: [udfQuery('symbol', true, 'chain:token')],
          responses: udfJson('a UDF SymbolInfo, or {s:"error", errmsg}')
        }
      },
      '/udf/search': {
        get: {
          operationId: 'udfSearch',
          summary: 'TradingView UDF: symbols whose symbol, name or address starts with query',
          parameters: [udfQuery('query', false, 'what was typed'), udfQuery('type', false, 'ignored: every symbol is crypto'), udfQuery('exchange', false, 'a chain, or empty for all'), udfQuery('limit', false, '1 to 100 (default 30)', 'integer')],
          responses: udfJson('[{symbol, full_name, description, exchange, ticker, type}]')
        }
      },
      '/udf/history': {
        get: {
          operationId: 'udfHistory',
          summary: 'TradingView UDF: bars of [from, to) in Unix seconds; with countback, that many bars before to',
          parameters: [udfQuery('symbol', true, 'chain:token'), udfQuery('resolution', true, 'a supported resolution: 1, 5, 15, 60, 240, 1D (or D)'), udfQuery('from', false, 'Unix seconds, inclusive (required without countback)', 'integer'), udfQuery('to', true, 'Unix seconds, exclusive', 'integer'), udfQuery('countback', false, `bars wanted before to, 1 to ${MAX_UDF_BARS}`, 'integer')],
          responses: udfJson('{s:"ok", t, o, h, l, c, v} | {s:"no_data", nextTime?} | {s:"error", errmsg}')
        }
      },
      '/udf/time': { get: { operationId: 'udfTime', summary: 'TradingView UDF: server time, Unix seconds', responses: { 200: { description: 'seconds as text', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/healthz': {
        get: { operationId: 'health', summary: 'Liveness', responses: { 200: { description: 'alive', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } } } }
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          summary: 'Readiness: caught up with the stats feed',
          responses: {
            200: { description: 'ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
            503: errorResponse('NOT_READY')
          }
        }
      },
      '/metrics': {
        get: { operationId: 'metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } }
      },
      '/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } }
      },
      '/v1/ws': {
        get: { operationId: 'websocket', summary: 'WebSocket upgrade (protocol in docs/websocket.md)', responses: { 101: { description: 'switching protocols' }, 400: errorResponse('BAD_REQUEST: a malformed handshake'), 426: errorResponse('UPGRADE_REQUIRED: not a WebSocket handshake, or a version other than 13') } }
      }
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              additionalProperties: false,
              properties: {
                code: { type: 'string', enum: ['BAD_PARAM', 'TOO_MANY_IDS', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'URI_TOO_LONG', 'UPGRADE_REQUIRED', 'BAD_REQUEST', 'INTERNAL', 'NOT_READY'] },
                message: { type: 'string' }
              }
            }
          }
        },
        WindowStats: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to', 'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume', 'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers', 'open', 'close', 'high', 'low', 'priceChangePct', 'vwap'],
          properties: {
            from: time,
            to: time,
            volumeUsd: decimal,
            buyVolumeUsd: decimal,
            sellVolumeUsd: decimal,
            volume: decimal,
            buyVolume: decimal,
            sellVolume: decimal,
            txns: count,
            buys: count,
            sells: count,
            traders: count,
            buyers: count,
            sellers: count,
            open: price,
            close: price,
            high: price,
            low: price,
            priceChangePct: price,
            vwap: price
          }
        },
        StatsObject: {
          type: 'object',
          additionalProperties: false,
          required: ['chain', 'token', 'asOf', 'lastPrice', 'lastTradeAt', 'firstSeenAt', 'windows'],
          properties: {
            chain: { type: 'string' },
            token: { type: 'string' },
            symbol,
            name: tokenName,
            asOf: time,
            lastPrice: price,
            lastTradeAt: timeOrNull,
            firstSeenAt: timeOrNull,
            windows: { type: 'object', additionalProperties: { $ref: '#/components/schemas/WindowStats' } }
          }
        },
        TokensResponse: {
          type: 'object',
          additionalProperties: false,
          required: ['tokens', 'missing'],
          properties: {
            tokens: { type: 'array', items: { $ref: '#/components/schemas/StatsObject' } },
            missing: { type: 'array', items: { type: 'string' } }
          }
        },
        TopItem: {
          type: 'object',
          additionalProperties: false,
          required: ['rank', 'chain', 'token', 'value', 'lastPrice', 'lastTradeAt', 'asOf', 'window'],
          properties: {
            rank: { type: 'integer', minimum: 1 },
            chain: { type: 'string' },
            token: { type: 'string' },
            symbol,
            name: tokenName,
            value: { type: ['string', 'number', 'null'], description: 'decimal string for volume stats, number otherwise, null when the window has no such value' },
            lastPrice: price,
            lastTradeAt: timeOrNull,
            asOf: time,
            window: { oneOf: [{ $ref: '#/components/schemas/WindowStats' }, { type: 'null' }] }
          }
        },
        TopResponse: {
          type: 'object',
          additionalProperties: false,
          required: ['stat', 'window', 'order', 'chain', 'limit', 'items'],
          properties: {
            stat: { type: 'string', enum: [...RANK_STATS] },
            window: { type: ['string', 'null'] },
            order: { type: 'string', enum: ['asc', 'desc'] },
            chain: { type: ['string', 'null'] },
            limit: { type: 'integer', minimum: 1, maximum: MAX_TOP_LIMIT },
            items: { type: 'array', items: { $ref: '#/components/schemas/TopItem' } }
          }
        },
        SearchItem: {
          type: 'object',
          additionalProperties: false,
          required: ['chain', 'token', 'symbol', 'name', 'decimals', 'logoUrl', 'volumeUsd', 'lastPrice'],
          properties: {
            chain: { type: 'string' },
            token: { type: 'string' },
            symbol: { type: ['string', 'null'] },
            name: { type: ['string', 'null'] },
            decimals: { type: ['integer', 'null'], minimum: 0, maximum: 255 },
            logoUrl: { type: ['string', 'null'] },
            volumeUsd: { oneOf: [decimal, { type: 'null' }] },
            lastPrice: price
          }
        },
        Candle: {
          type: 'object',
          required: ['start', 'end', 'open', 'high', 'low', 'close', 'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'txns', 'buys', 'sells'],
          properties: {
            start: time,
            end: time,
            open: { type: 'number', description: 'price of the first swap by (blockTime, blockNumber, logIndex)' },
            high: { type: 'number' },
            low: { type: 'number' },
            close: { type: 'number', description: 'price of the last swap by (blockTime, blockNumber, logIndex)' },
            volumeUsd: decimal,
            buyVolumeUsd: decimal,
            sellVolumeUsd: decimal,
            volume: decimal,
            txns: count,
            buys: count,
            sells: count
          }
        },
        CandlesResponse: {
          type: 'object',
          required: ['chain', 'token', 'interval', 'candles'],
          properties: { chain: { type: 'string' }, token: { type: 'string' }, interval: { type: 'string' }, candles: { type: 'array', items: { $ref: '#/components/schemas/Candle' } } }
        },
        SearchResponse: {
          type: 'object',
          additionalProperties: false,
          required: ['q', 'window', 'limit', 'items'],
          properties: {
            q: { type: 'string', description: 'the query as matched: trimmed, lower-case' },
            window: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT },
            items: { type: 'array', maxItems: MAX_SEARCH_LIMIT, items: { $ref: '#/components/schemas/SearchItem' } }
          }
        },
        Health: {
          type: 'object',
          additionalProperties: false,
          required: ['status', 'ready', 'tokens'],
          properties: { status: { type: 'string', enum: ['ok'] }, ready: { type: 'boolean' }, tokens: { type: 'integer', minimum: 0 } }
        }
      }
    }
  }
}
