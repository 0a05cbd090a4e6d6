import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * The edge's Prometheus metrics (docs/http-api.md lists them). Label handles are resolved once
 * and cached (`httpHandle`), so the request path does a Map lookup, not prom-client's label
 * hashing, per request.
 */
export interface EdgeMetrics {
  http (route: string, status: number, seconds: number): void
  wsSent: { inc: (n?: number) => void }
  wsCoalesced: { inc: (n?: number) => void }
  wsDropped: (reason: string) => void
  wsError: (code: string) => void
  feedRecords: { inc: (n?: number) => void }
  tokenRecords: { inc: (n?: number) => void }
  /** a `tokens` record skipped as invalid (its reject code) */
  tokenRejected: (code: string) => void
  candleRecords: { inc: (n?: number) => void }
  /** a `candles` record that is not a candle */
  candleRejected: { inc: (n?: number) => void }
  /** an HTTP connection closed with a response unread, or by the process cap on unread bytes */
  httpClosed: (reason: string) => void
}

export interface EdgeGauges {
  tokens: () => number
  wsClients: () => number
  wsSubscriptions: () => number
  indexes: () => number
  ready: () => boolean
  /** optional so callers that only list the metrics need not supply it */
  httpPendingBytes?: () => number
  wsBufferedBytes?: () => number
  candles?: () => number
}

export function createEdgeMetrics (registry: Registry, gauges: EdgeGauges): EdgeMetrics {
  const registers = [registry]
  const requests = new Counter({
    name: 'volumer_edge_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['route', 'status'],
    registers
  })
  const duration = new Histogram({
    name: 'volumer_edge_http_request_duration_seconds',
    help: 'time from request to response written, by route',
    labelNames: ['route'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers
  })
  const sent = new Counter({ name: 'volumer_edge_ws_messages_sent_total', help: 'WebSocket messages written to clients', registers })
  const coalesced = new Counter({
    name: 'volumer_edge_ws_coalesced_total',
    help: 'WebSocket updates replaced by a newer one for the same subscription before being sent (slow client)',
    registers
  })
  const dropped = new Counter({
    name: 'volumer_edge_ws_dropped_total',
    help: 'WebSocket clients closed by the edge, by reason',
    labelNames: ['reason'],
    registers
  })
  const wsErrors = new Counter({
    name: 'volumer_edge_ws_errors_total',
    help: 'error messages sent to WebSocket clients, by code',
    labelNames: ['code'],
    registers
  })
  const httpClosed = new Counter({
    name: 'volumer_edge_http_unread_closed_total',
    help: 'HTTP connections closed with a response their client had not read, by reason (unread: pipelined past backpressure or idle 10 s; process_cap: maxPendingBytes reached)',
    labelNames: ['reason'],
    registers
  })
  new Gauge({ name: 'volumer_edge_http_pending_bytes', help: 'bytes of HTTP response bodies waiting for slow readers (capped by maxPendingBytes)', registers, collect () { this.set(gauges.httpPendingBytes?.() ?? 0) } })
  new Gauge({ name: 'volumer_edge_ws_buffered_bytes', help: 'bytes buffered for all WebSocket clients, as last seen (capped by maxBufferedTotalBytes)', registers, collect () { this.set(gauges.wsBufferedBytes?.() ?? 0) } })
  const feedRecords = new Counter({ name: 'volumer_edge_feed_records_total', help: 'stats records applied from the feed', registers })
  const tokenRecords = new Counter({ name: 'volumer_edge_token_records_total', help: 'token metadata records applied from the tokens topic', registers })
  const tokenRejected = new Counter({ name: 'volumer_edge_token_records_rejected_total', help: 'tokens records skipped as invalid, by reason code (docs/errors.md)', labelNames: ['code'] as const, registers })
  const candleRecords = new Counter({ name: 'volumer_edge_candle_records_total', help: 'candle records applied from the candles topic', registers })
  const candleRejected = new Counter({ name: 'volumer_edge_candle_records_rejected_total', help: 'candles records skipped as not a candle', registers })
  new Gauge({ name: 'volumer_edge_candles', help: 'candles held (bounded by each interval\'s history)', registers, collect () { this.set(gauges.candles?.() ?? 0) } })
  new Gauge({ name: 'volumer_edge_tokens', help: 'tokens held', registers, collect () { this.set(gauges.tokens()) } })
  new Gauge({ name: 'volumer_edge_ws_clients', help: 'open WebSocket connections', registers, collect () { this.set(gauges.wsClients()) } })
  new Gauge({ name: 'volumer_edge_ws_subscriptions', help: 'live WebSocket subscriptions', registers, collect () { this.set(gauges.wsSubscriptions()) } })
  new Gauge({ name: 'volumer_edge_rank_indexes', help: 'ranked indexes built (capped, LRU)', registers, collect () { this.set(gauges.indexes()) } })
  new Gauge({ name: 'volumer_edge_ready', help: '1 once caught up with the stats feed', registers, collect () { this.set(gauges.ready() ? 1 : 0) } })

  const reqHandles = new Map<string, { inc: () => void }>()
  const durHandles = new Map<string, { observe: (v: number) => void }>()
  const dropHandles = new Map<string, { inc: () => void }>()
  const errHandles = new Map<string, { inc: () => void }>()
  return {
    http (route, status, seconds) {
      const k = route + ' ' + status
      let h = reqHandles.get(k)
      if (h === undefined) { h = requests.labels(route, String(status)); reqHandles.set(k, h) }
      h.inc()
      let d = durHandles.get(route)
      if (d === undefined) { d = duration.labels(route); durHandles.set(route, d) }
      d.observe(seconds)
    },
    wsSent: sent,
    wsCoalesced: coalesced,
    wsDropped (reason) {
      let h = dropHandles.get(reason)
      if (h === undefined) { h = dropped.labels(reason); dropHandles.set(reason, h) }
      h.inc()
    },
    wsError (code) {
      let h = errHandles.get(code)
      if (h === undefined) { h = wsErrors.labels(code); errHandles.set(code, h) }
      h.inc()
    },
    feedRecords,
    tokenRecords,
    tokenRejected (code) { tokenRejected.labels(code).inc() },
    candleRecords,
    candleRejected,
    httpClosed (reason) { httpClosed.labels(reason).inc() }
  }
}
