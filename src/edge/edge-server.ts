import uWS from 'uWebSockets.js'
import pino, { type Logger } from 'pino'
import { Registry } from 'prom-client'
import { VolumerError, isVolumerError } from '../errors.js'
import { createEdgeMetrics } from './edge-metrics.js'
import { COMPRESS_MIN_BYTES, compress, entryCompressed, entryEtag, etagMatches, etagOf, type Encoding } from './http-body.js'
import { HTTP_STATUS_OF, errorJson, getToken, getTokens, type ApiContext, type ApiResult } from './http-api.js'
import { DEFAULT_HTTP_WRITER_OPTIONS, createHttpWriter, type HttpWriterOptions, type PendingSlot } from './http-backpressure.js'
import { framingProblem } from './http-framing.js'
import { parseQuery, pickEncoding } from './http-query.js'
import { openApiDocument } from './openapi.js'
import { createStaticFiles, type StaticFiles } from './static-files.js'
import { DASHBOARD_VENDOR_FILES } from './dashboard-dir.js'
import type { StatsFeed } from './stats-feed.js'
import { getSearch } from './search-api.js'
import { createTokenDirectory } from './token-directory.js'
import type { TokenFeed } from './token-feed.js'
import { createTokenSearch } from './token-search.js'
import { createStatsStore, type StatsStore } from './stats-store.js'
import { createTopCache, type CachedAnswer } from './top-cache.js'
import { mountWsEcho } from './ws-echo.js'
import { UPGRADE_HEADERS, handshakeProblem, type HandshakeRefusal } from './ws-handshake.js'
import { DEFAULT_WS_HUB_OPTIONS, createWsHub, type Conn, type WsHub, type WsHubOptions } from './ws-hub.js'
import { createCandleStore, type CandleStore } from './candle-store.js'
import type { CandleFeed } from './candle-feed.js'
import { getCandles } from './candle-api.js'
import { udfConfig, udfHistory, udfSearch, udfSymbols, udfTime, type UdfContext } from './udf-api.js'
import type { CandleInterval } from '../engine/candle-intervals.js'

/** SPEC §3 default windows: accepted in queries even before the first record names them */
export const DEFAULT_WINDOWS = Object.freeze(['1m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '24h'])

export interface EdgeServerOptions {
  /** TCP port; 0 picks a free one (see `port` on the result) */
  port: number
  /** interface to bind (default 127.0.0.1; "0.0.0.0" for all) */
  host?: string
  feed: StatsFeed
  /** the `tokens` topic (names, symbols); none = tokens are served without them */
  tokens?: TokenFeed
  /** the `candles` topic (OHLCV); none = no candles are served */
  candles?: CandleFeed
  /** candle intervals and their history (default 1m 5m 15m 1h 4h 1d, candle-intervals.ts) */
  candleIntervals?: readonly CandleInterval[]
  /** the window /v1/search ranks by volumeUsd (default 24h) */
  searchWindow?: string
  logger?: Logger
  /** registry the edge's metrics go to and /metrics serves (default: a new one) */
  metricsRegistry?: Registry
  /** directory served at / (index.html) for the dashboard; none = 404 */
  staticDir?: string
  /** windows the processor is configured with (default SPEC's 1m…24h) */
  windows?: readonly string[]
  /** most ranked indexes held (default 32, LRU; see stats-store.ts) */
  maxIndexes?: number
  /** longest path + query accepted, bytes (default 8,192; longer = 414 URI_TOO_LONG) */
  maxUrlLength?: number
  /** largest WebSocket message accepted, bytes (default 64 KiB; larger closes with 1009 up to
   * 4× this, past which uWS drops the connection without a close frame: docs/websocket.md) */
  maxPayloadLength?: number
  /** WebSocket idle timeout, s (default 120; uWS pings automatically before it) */
  idleTimeoutSeconds?: number
  /** WebSocket protocol limits and backpressure (see ws-hub.ts for each default) */
  ws?: Partial<WsHubOptions>
  /** HTTP responses waiting for slow readers (see http-backpressure.ts) */
  http?: Partial<HttpWriterOptions>
  /** bytes of encoded /v1/top answers kept until a record changes them (default 16 MiB; see top-cache.ts) */
  topCacheBytes?: number
  /** clock, ms since the epoch (default Date.now); tests inject one */
  now?: () => number
  /** test mode only (no CLI flag): a WebSocket echo endpoint at this path for the Autobahn
   * fuzzing suite (`npm run test:autobahn`, src/edge/ws-echo.ts) */
  echoPath?: string
}

export interface EdgeServer {
  readonly port: number
  readonly store: StatsStore
  readonly candleStore: CandleStore
  readonly ready: boolean
  /** resolves once caught up with the stats and tokens feeds (readiness) */
  readonly caughtUp: Promise<void>
  /** resolves once caught up with the candle feed too (candles are served from then on) */
  readonly candlesCaughtUp: Promise<void>
  readonly hub: WsHub
  close (): Promise<void>
}

interface ReqCtx extends PendingSlot {
  aborted: boolean
  /** the response was written (its metric recorded) */
  done: boolean
  route: string
  t0: number
  head: boolean
  encoding: Encoding | null
  ifNoneMatch: string
  /** close the connection after the response (framing that cannot be trusted) */
  close: boolean
}

const API_CACHE = 'public, max-age=1'
const NO_STORE = 'no-store'

function statusLine (status: number): string {
  switch (status) {
    case 200: return '200 OK'
    case 204: return '204 No Content'
    case 304: return '304 Not Modified'
    case 400: return '400 Bad Request'
    case 404: return '404 Not Found'
    case 405: return '405 Method Not Allowed'
    case 414: return '414 URI Too Long'
    case 426: return '426 Upgrade Required'
    case 500: return '500 Internal Server Error'
    case 503: return '503 Service Unavailable'
    default: return String(status)
  }
}

/**
 * The uWebSockets.js packages fall back to a partial Node.js emulation when they carry no binary
 * for this Node's ABI: slow, and without parts of the API the edge uses. A clear refusal at start
 * beats an edge that fails on its first listen or serves a fraction of its rate.
 */
function assertNativeUws (): void {
  // the emulation has neither getParts nor the compressor constants the edge passes (DISABLED)
  const native = uWS as { getParts?: unknown, DISABLED?: unknown }
  if (typeof native.getParts === 'function' && typeof native.DISABLED === 'number') return
  throw new VolumerError('RUNTIME_UNSUPPORTED', `uWebSockets.js has no native build for Node ${process.version} (ABI ${process.versions.modules}) on ${process.platform}-${process.arch}: point the "uWebSockets.js" alias in package.json at a build for this Node (README, "uWebSockets.js on other Node versions")`)
}

export async function createEdgeServer (options: EdgeServerOptions): Promise<EdgeServer> {
  const {
    port,
    host = '127.0.0.1',
    feed,
    logger: parentLogger = pino({ level: 'info' }),
    metricsRegistry = new Registry(),
    staticDir,
    windows = DEFAULT_WINDOWS,
    maxIndexes = 32,
    maxUrlLength = 8192,
    maxPayloadLength = 64 * 1024,
    idleTimeoutSeconds = 120,
    topCacheBytes = 16 * 1024 * 1024,
    searchWindow = '24h',
    now = Date.now
  } = options
  assertNativeUws()
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VolumerError('BAD_CONFIG', `port must be 0..65535, got ${String(port)}`)
  if (!Number.isInteger(maxUrlLength) || maxUrlLength < 256) throw new VolumerError('BAD_CONFIG', 'maxUrlLength must be an integer ≥ 256')
  if (!Number.isInteger(idleTimeoutSeconds) || idleTimeoutSeconds < 8) throw new VolumerError('BAD_CONFIG', 'idleTimeoutSeconds must be an integer ≥ 8')
  const wsOpts: WsHubOptions = Object.freeze({ ...DEFAULT_WS_HUB_OPTIONS, ...options.ws })
  for (const [k, v] of Object.entries(wsOpts)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new VolumerError('BAD_CONFIG', `ws.${k} must be a non-negative number, got ${String(v)}`)
  }
  if (wsOpts.closeAboveBytes <= wsOpts.coalesceAboveBytes) throw new VolumerError('BAD_CONFIG', `ws.closeAboveBytes (${wsOpts.closeAboveBytes}) must be above ws.coalesceAboveBytes (${wsOpts.coalesceAboveBytes})`)
  const httpOpts: HttpWriterOptions = Object.freeze({ ...DEFAULT_HTTP_WRITER_OPTIONS, ...options.http })
  if (!Number.isSafeInteger(httpOpts.maxPendingBytes) || httpOpts.maxPendingBytes < 0) throw new VolumerError('BAD_CONFIG', 'http.maxPendingBytes must be a non-negative integer')
  if (!Number.isSafeInteger(topCacheBytes) || topCacheBytes < 0) throw new VolumerError('BAD_CONFIG', 'topCacheBytes must be a non-negative integer')
  const logger = parentLogger.child({ component: 'edge' })
  const store = createStatsStore({ maxIndexes })
  const names = createTokenDirectory()
  const search = createTokenSearch(store, names, { window: searchWindow })
  const candleStore = createCandleStore({ intervals: options.candleIntervals })
  // candles are served once their feed caught up; the node is ready before that (below)
  let candlesCaughtUp = options.candles === undefined
  const ctx: ApiContext = { store, windows: new Set(windows), names, candles: candleStore, candlesCaughtUp: () => candlesCaughtUp }
  const candleChains = new Set<string>()
  const udf: UdfContext = {
    candles: candleStore,
    names,
    search,
    chains: () => [...candleChains].sort(),
    knows: key => store.get(key) !== undefined || candleStore.intervalNames.some(i => candleStore.has(key + ':' + i))
  }
  let ready = false
  const metrics = createEdgeMetrics(metricsRegistry, {
    tokens: () => store.size,
    wsClients: () => hub.clients,
    wsSubscriptions: () => hub.subscriptions,
    indexes: () => store.indexCount,
    ready: () => ready,
    httpPendingBytes: () => writer.pendingBytes,
    wsBufferedBytes: () => hub.bufferedBytes,
    candles: () => candleStore.size
  })
  const writer = createHttpWriter(httpOpts, logger, { closed: reason => metrics.httpClosed(reason) })
  const topCache = createTopCache(ctx, topCacheBytes)
  store.onChange(topCache.invalidate)
  const hub = createWsHub(ctx, wsOpts, now, metrics, logger)
  store.onChange(hub.onStoreChange)
  candleStore.onChange(hub.onCandleChange)
  // new metadata changes what answers that show the token say, not where it ranks: drop the
  // cached /v1/top answers it is a row of, and push to its token and ranked subscribers
  names.onChange(key => {
    if (store.get(key) === undefined) return
    topCache.invalidate(key, null)
    hub.onStoreChange(key, null)
  })
  const statics: StaticFiles | null = staticDir === undefined ? null : createStaticFiles(staticDir, DASHBOARD_VENDOR_FILES)
  const openapi = JSON.stringify(openApiDocument(windows, searchWindow, candleStore.intervalNames))
  const openapiEtag = etagOf(openapi)

  // ── writing responses ──

  function finish (_res: uWS.HttpResponse, rc: ReqCtx, status: number): void {
    rc.done = true
    metrics.http(rc.route, status, (performance.now() - rc.t0) / 1000)
  }

  /** writes a complete response; the caller has checked rc.aborted and corked if after an await */
  function send (res: uWS.HttpResponse, rc: ReqCtx, status: number, body: string | Buffer, contentType: string,
    cacheControl: string, etag: string | null, compressed: Buffer | null = null, extraHeaders?: Array<[string, string]>): void {
    if (etag !== null && status === 200 && etagMatches(rc.ifNoneMatch, etag)) {
      res.writeStatus('304 Not Modified').writeHeader('ETag', etag).writeHeader('Cache-Control', cacheControl).endWithoutBody()
      finish(res, rc, 304)
      return
    }
    let out: string | Buffer = body
    let enc: Encoding | null = null
    if (rc.encoding !== null && body.length >= COMPRESS_MIN_BYTES) {
      enc = rc.encoding
      out = compressed ?? compress(body, enc)
    }
    res.writeStatus(statusLine(status))
    res.writeHeader('Content-Type', contentType)
    res.writeHeader('Cache-Control', cacheControl)
    res.writeHeader('Vary', 'Accept-Encoding')
    res.writeHeader('Access-Control-Allow-Origin', '*')
    if (etag !== null) res.writeHeader('ETag', etag)
    if (enc !== null) res.writeHeader('Content-Encoding', enc)
    if (extraHeaders !== undefined) for (const [k, v] of extraHeaders) res.writeHeader(k, v)
    // HEAD: this uWS build writes the body after HEAD and aborts on endWithoutBody(length),
    // so the length goes in by hand and the response ends without one (measured in tests);
    // a HEAD that closes (closeWithError) ends with an empty body, the only way uWS 20.30 closes;
    // a closing answer is not queued behind backpressure (tryEnd in this build takes no close flag)
    if (rc.head && rc.close) res.end('', true)
    else if (rc.head) res.writeHeader('Content-Length', String(Buffer.byteLength(out))).endWithoutBody()
    else if (rc.close) res.end(out, true)
    else if (!writer.end(res, out, rc)) return
    finish(res, rc, status)
  }

  function sendError (res: uWS.HttpResponse, rc: ReqCtx, err: unknown, extra: Array<[string, string]> = []): void {
    let code = 'INTERNAL'
    let message = 'internal error'
    if (isVolumerError(err) && HTTP_STATUS_OF[err.code] !== undefined) {
      code = err.code
      message = err.message
    } else {
      logger.error({ err }, 'request failed')
    }
    const status = HTTP_STATUS_OF[code as keyof typeof HTTP_STATUS_OF] ?? 500
    if (code === 'METHOD_NOT_ALLOWED') extra.push(['Allow', 'GET, HEAD, OPTIONS'])
    if (code === 'NOT_READY') extra.push(['Retry-After', '1'])
    send(res, rc, status, errorJson(code, message), 'application/json', NO_STORE, null, null, extra)
  }

  function sendCached (res: uWS.HttpResponse, rc: ReqCtx, a: CachedAnswer): void {
    send(res, rc, 200, a.body, 'application/json', API_CACHE, a.etag,
      rc.encoding !== null && a.body.length >= COMPRESS_MIN_BYTES ? topCache.compressed(a, rc.encoding) : null)
  }

  function sendApi (res: uWS.HttpResponse, rc: ReqCtx, r: ApiResult): void {
    if (r.entry !== undefined) {
      const entry = r.entry
      send(res, rc, r.status, r.body, 'application/json', API_CACHE, entryEtag(entry),
        rc.encoding !== null && r.body.length >= COMPRESS_MIN_BYTES ? entryCompressed(entry, rc.encoding) : null)
    } else {
      send(res, rc, r.status, r.body, 'application/json', API_CACHE, r.body.length >= COMPRESS_MIN_BYTES ? etagOf(r.body) : null)
    }
  }

  /**
   * An answer after which the connection closes (framing that cannot be trusted). uWS 20.30 only
   * honours end(…, closeConnection) outside its cork, and inside a handler it goes on to parse
   * and answer a pipelined request behind this one: so the answer is written on the next turn.
   * If a pipelined request is already buffered, uWS closes the connection itself when it sees
   * it (a response is still owed): no answer then, and nothing after the bad request is served.
   */
  function closeWithError (res: uWS.HttpResponse, rc: ReqCtx, err: unknown, extra?: Array<[string, string]>): void {
    rc.close = true
    setImmediate(() => {
      if (rc.aborted) return
      try {
        res.cork(() => sendError(res, rc, err, extra))
      } catch (err2) {
        logger.error({ err: err2 }, 'could not write an error response')
        res.close()
      }
    })
  }

  /** runs an async responder with uWS's abort rule: never touch `res` after onAborted */
  function later (res: uWS.HttpResponse, rc: ReqCtx, work: () => Promise<(res: uWS.HttpResponse) => void>): void {
    work().then(write => {
      if (!rc.aborted) res.cork(() => write(res))
    }, err => {
      if (!rc.aborted) res.cork(() => sendError(res, rc, err))
    })
  }

  function notReady (feed: 'stats' | 'candles' = 'stats'): VolumerError {
    return new VolumerError('NOT_READY', `catching up with the ${feed} feed; retry shortly`)
  }

  // ── routing: one handler for every method and path, so nothing falls through to uWS's default ──

  function handle (res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const rc: ReqCtx = { aborted: false, done: false, route: 'other', t0: performance.now(), head: false, encoding: null, ifNoneMatch: '', release: null, close: false }
    // Always attached, not only before an await: uWS counts a response whose end() could not be
    // written at once (socket backpressure, e.g. pipelined clients) as not yet responded, and
    // aborts the process if the handler returns without an abort handler (found by the benchmark).
    res.onAborted(() => {
      rc.aborted = true
      if (rc.release !== null) rc.release()
      if (!rc.done) finish(res, rc, 499)
    })
    try {
      // everything is read from req before any await: uWS invalidates it when this returns
      const method = req.getMethod()
      const path = req.getUrl()
      const rawQuery = req.getQuery()
      rc.encoding = pickEncoding(req.getHeader('accept-encoding'))
      rc.ifNoneMatch = req.getHeader('if-none-match')
      rc.head = method === 'head'
      rc.route = routeOf(path)
      const framing = framingProblem(req)
      if (framing !== null) {
        rc.close = true
        throw new VolumerError('BAD_REQUEST', framing)
      }
      if (path.length + (rawQuery?.length ?? 0) > maxUrlLength) {
        throw new VolumerError('URI_TOO_LONG', `path and query may be at most ${maxUrlLength} bytes`)
      }
      if (method === 'options') {
        res.writeStatus('204 No Content').writeHeader('Allow', 'GET, HEAD, OPTIONS')
          .writeHeader('Access-Control-Allow-Origin', '*').writeHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS')
          .writeHeader('Access-Control-Max-Age', '86400').endWithoutBody()
        finish(res, rc, 204)
        return
      }
      if (method !== 'get' && method !== 'head') throw new VolumerError('METHOD_NOT_ALLOWED', `method ${method.toUpperCase().slice(0, 16)} is not allowed; use GET`)
      switch (rc.route) {
        case 'healthz':
          send(res, rc, 200, JSON.stringify({ status: 'ok', ready, tokens: store.size }), 'application/json', NO_STORE, null)
          return
        case 'readyz':
          if (!ready) throw notReady()
          send(res, rc, 200, JSON.stringify({ status: 'ok', ready, tokens: store.size }), 'application/json', NO_STORE, null)
          return
        case 'metrics':
          later(res, rc, async () => {
            const text = await metricsRegistry.metrics()
            return r => send(r, rc, 200, text, metricsRegistry.contentType, NO_STORE, null)
          })
          return
        case 'openapi':
          send(res, rc, 200, openapi, 'application/json', 'public, max-age=300', openapiEtag)
          return
        case 'ws':
          // uWS routes only requests with a Sec-WebSocket-Key to the upgrade handler
          if (req.getHeader('upgrade') !== '') {
            rc.close = true
            throw new VolumerError('BAD_REQUEST', 'a WebSocket handshake needs a Sec-WebSocket-Key')
          }
          sendError(res, rc, new VolumerError('UPGRADE_REQUIRED', 'this is the WebSocket endpoint: connect with a WebSocket client'), [...UPGRADE_HEADERS])
          return
        case 'token': {
          if (!ready) throw notReady()
          const seg = path.split('/') // ['', 'v1', 'tokens', chain, token]
          if (seg.length !== 5 || seg[3].length === 0 || seg[4].length === 0) throw new VolumerError('NOT_FOUND', 'use /v1/tokens/{chain}/{token}')
          sendApi(res, rc, getToken(ctx, seg[3], seg[4], parseQuery(rawQuery)))
          return
        }
        case 'candles': {
          if (!ready || !candlesCaughtUp) throw notReady(ready ? 'candles' : 'stats')
          const seg = path.split('/') // ['', 'v1', 'tokens', chain, token, 'candles']
          if (seg.length !== 6 || seg[3].length === 0 || seg[4].length === 0) throw new VolumerError('NOT_FOUND', 'use /v1/tokens/{chain}/{token}/candles')
          sendApi(res, rc, getCandles(candleStore, seg[3], seg[4], parseQuery(rawQuery)))
          return
        }
        case 'udf-config':
          sendApi(res, rc, udfConfig(udf))
          return
        case 'udf-time':
          send(res, rc, 200, udfTime(now()).body, 'text/plain', NO_STORE, null)
          return
        case 'udf-symbols':
          if (!ready) throw notReady()
          sendApi(res, rc, udfSymbols(udf, parseQuery(rawQuery)))
          return
        case 'udf-search':
          if (!ready) throw notReady()
          sendApi(res, rc, udfSearch(udf, parseQuery(rawQuery)))
          return
        case 'udf-history':
          if (!ready || !candlesCaughtUp) throw notReady(ready ? 'candles' : 'stats')
          sendApi(res, rc, udfHistory(udf, parseQuery(rawQuery)))
          return
        case 'tokens':
          if (!ready) throw notReady()
          sendApi(res, rc, getTokens(ctx, parseQuery(rawQuery)))
          return
        case 'search':
          if (!ready) throw notReady()
          sendApi(res, rc, getSearch(search, searchWindow, parseQuery(rawQuery)))
          return
        case 'top': {
          if (!ready) throw notReady()
          const q = parseQuery(rawQuery)
          sendCached(res, rc, topCache.answer(name => q.get(name)))
          return
        }
        case 'static': {
          if (statics === null) throw new VolumerError('NOT_FOUND', 'no such resource')
          // answered before returning (see static-files.ts: uWS and pipelined requests)
          const f = statics.get(path, rc.encoding)
          if (f === null) throw new VolumerError('NOT_FOUND', 'no such file')
          rc.encoding = null // the file is compressed already when it should be
          send(res, rc, 200, f.body, f.contentType, f.cacheControl, f.etag, null, f.encoding === null ? undefined : [['Content-Encoding', f.encoding]])
          return
        }
        default:
          throw new VolumerError('NOT_FOUND', 'no such resource; the API is under /v1 (see /openapi.json)')
      }
    } catch (err) {
      if (rc.aborted) return
      if (rc.close) {
        closeWithError(res, rc, err)
        return
      }
      try {
        sendError(res, rc, err)
      } catch (err2) {
        // uWS aborts the process if a handler returns without responding: close instead
        logger.error({ err: err2 }, 'could not write an error response')
        res.close()
      }
    }
  }

  function routeOf (path: string): string {
    switch (path) {
      case '/healthz': return 'healthz'
      case '/readyz': return 'readyz'
      case '/metrics': return 'metrics'
      case '/openapi.json': return 'openapi'
      case '/v1/top': return 'top'
      case '/v1/tokens': return 'tokens'
      case '/v1/search': return 'search'
      case '/v1/ws': return 'ws'
      case '/udf/config': return 'udf-config'
      case '/udf/symbols': return 'udf-symbols'
      case '/udf/search': return 'udf-search'
      case '/udf/history': return 'udf-history'
      case '/udf/time': return 'udf-time'
    }
    if (path.startsWith('/v1/tokens/')) return path.endsWith('/candles') ? 'candles' : 'token'
    if (path.startsWith('/udf/')) return 'other'
    if (path.startsWith('/v1/') || path === '/v1') return 'other'
    return 'static'
  }

  // ── WebSocket ──

  /** answers a handshake uWS would have accepted but RFC 6455 refuses (ws-handshake.ts); true = refused */
  function refuseUpgrade (res: uWS.HttpResponse, req: uWS.HttpRequest): boolean {
    const refusal: HandshakeRefusal | null = handshakeProblem({
      upgrade: req.getHeader('upgrade'),
      connection: req.getHeader('connection'),
      version: req.getHeader('sec-websocket-version'),
      key: req.getHeader('sec-websocket-key')
    })
    if (refusal === null) return false
    const rc: ReqCtx = { aborted: false, done: false, route: 'ws', t0: performance.now(), head: false, encoding: null, ifNoneMatch: '', release: null, close: true }
    res.onAborted(() => {
      rc.aborted = true
      if (!rc.done) finish(res, rc, 499)
    })
    closeWithError(res, rc, new VolumerError(refusal.code, refusal.message), refusal.headers)
    return true
  }

  // uWS reads messages up to this size; the edge closes with 1009 above maxPayloadLength itself,
  // because uWS 20.30 drops the TCP connection without a close frame past its own limit
  const uwsPayloadCeiling = maxPayloadLength * 4

  interface UserData { conn: Conn }
  const app = uWS.App()
  app.ws<UserData>('/v1/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: uwsPayloadCeiling,
    // uWS's own limit, above ours: the hub decides (coalesce, then close) before uWS drops frames
    maxBackpressure: wsOpts.closeAboveBytes + maxPayloadLength * 4,
    closeOnBackpressureLimit: 0,
    idleTimeout: idleTimeoutSeconds,
    sendPingsAutomatically: true,
    upgrade (res, req, context) {
      if (refuseUpgrade(res, req)) return
      res.upgrade<UserData>({ conn: hub.newConn() },
        req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context)
    },
    open (ws) { hub.open(ws.getUserData().conn, ws) },
    message (ws, message, isBinary) {
      if (message.byteLength > maxPayloadLength) {
        ws.end(1009, 'message too big')
        return
      }
      hub.message(ws.getUserData().conn, message, isBinary)
    },
    drain (ws) { hub.drain(ws.getUserData().conn) },
    close (ws) { hub.closed(ws.getUserData().conn) }
  })
  if (options.echoPath !== undefined) mountWsEcho(app, options.echoPath, refuseUpgrade)
  app.any('/*', handle)

  // ── feed ──

  let resolveCaughtUp!: () => void
  const caughtUp = new Promise<void>(resolve => { resolveCaughtUp = resolve })
  let resolveCandles!: () => void
  const candlesReady = new Promise<void>(resolve => { resolveCandles = resolve })
  if (candlesCaughtUp) resolveCandles()
  let closed = false
  // Ready once caught up with stats and tokens: a node's first answers already carry the names.
  // Not with candles (SPEC: ready once caught up with stats): their topics hold far more records
  // than stats (bench:steady 0.2 h, 12-08: 855,782 candle records against 144,465 stats, the
  // candle feed caught up 19 s after the stats feed), and a day's candles are ~18.7 M. Until the
  // candle feed caught up, the candle endpoints and WebSocket candle subscriptions answer NOT_READY.
  let statsCaughtUp = false
  let tokensCaughtUp = options.tokens === undefined
  // which feed holds readiness back: each one's catch-up time and records, logged once
  const feedStart = performance.now()
  let statsRecordsRead = 0
  let tokenRecordsRead = 0
  let candleRecordsRead = 0
  const feedCaughtUp = (feed: string, records: number): void => {
    logger.info({ feed, records, ms: Math.round(performance.now() - feedStart) }, 'feed caught up')
  }
  const onCaughtUp = (): void => {
    if (!statsCaughtUp || !tokensCaughtUp || ready) return
    ready = true
    logger.info({ tokens: store.size }, 'caught up with the stats feed')
    resolveCaughtUp()
    // parse what arrived as text in small slices, so the first ranked query does not pay for all
    // of it at once; lookups are served from the text meanwhile
    const warm = (): void => { if (!closed && store.warm(2000) > 0) setImmediate(warm) }
    setImmediate(warm)
  }
  if (options.tokens !== undefined) {
    await options.tokens.start((key, meta) => {
      metrics.tokenRecords.inc()
      tokenRecordsRead++
      names.apply(key, meta)
    }, () => { tokensCaughtUp = true; feedCaughtUp('tokens', tokenRecordsRead); onCaughtUp() }, code => metrics.tokenRejected(code))
  }
  if (options.candles !== undefined) {
    await options.candles.start((key, candle) => {
      metrics.candleRecords.inc()
      candleRecordsRead++
      const sep = key.indexOf(':')
      if (sep > 0 && !candleChains.has(key.slice(0, sep))) candleChains.add(key.slice(0, sep))
      candleStore.apply(key, candle)
    }, () => { candlesCaughtUp = true; feedCaughtUp('candles', candleRecordsRead); resolveCandles() }, () => metrics.candleRejected.inc())
  }
  await feed.start((key, value, json) => {
    metrics.feedRecords.inc()
    statsRecordsRead++
    store.apply(key, value, json)
  }, () => { statsCaughtUp = true; feedCaughtUp('stats', statsRecordsRead); onCaughtUp() })

  let listenSocket: uWS.us_listen_socket
  try {
    listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
      app.listen(host, port, s => {
        if (s === false) reject(new VolumerError('BAD_CONFIG', `cannot listen on ${host}:${port}`))
        else resolve(s)
      })
    })
  } catch (err) {
    // the feed is already delivering: left running it kept the caller's process busy forever
    closed = true
    await feed.close()
    await options.tokens?.close()
    await options.candles?.close()
    throw err
  }
  const boundPort = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket)
  const tickMs = Math.max(10, Math.min(250, Math.floor(wsOpts.rankedIntervalMs / 2)))
  const timer = setInterval(() => {
    try { hub.tick() } catch (err) { logger.error({ err }, 'websocket tick failed') }
  }, tickMs)
  timer.unref()
  // candles past their interval's history go; once a minute is finer than any history
  const candleSweep = setInterval(() => { candleStore.sweep(now()) }, 60_000)
  candleSweep.unref()
  logger.info({ host, port: boundPort }, 'edge listening')

  return {
    port: boundPort,
    store,
    candleStore,
    hub,
    caughtUp,
    candlesCaughtUp: candlesReady,
    get ready () { return ready },
    async close () {
      if (closed) return
      closed = true
      clearInterval(timer)
      clearInterval(candleSweep)
      await feed.close()
      await options.tokens?.close()
      await options.candles?.close()
      uWS.us_listen_socket_close(listenSocket)
      hub.closeAll()
      // uWS has no "close everything" in this version: the listen socket is closed and every
      // WebSocket was ended; keep-alive HTTP sockets close when their clients leave
    }
  }
}
