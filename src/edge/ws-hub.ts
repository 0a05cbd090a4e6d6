import type { Logger } from 'pino'
import { VolumerError, isVolumerError } from '../errors.js'
import { ByteBudget } from './byte-budget.js'
import type { EdgeMetrics } from './edge-metrics.js'
import { MAX_IDS, type ApiContext } from './http-api.js'
import { entryJson, type TokenEntry } from './stats-store.js'
import { labelled } from './token-directory.js'
import { candleSeriesOf, tokenIds, topParamsOf } from './ws-messages.js'
import { createRankedLists, isSoleList, topId } from './ws-ranked-lists.js'

import { CLOSE_RATE_LIMIT, CLOSE_SHUTDOWN, CLOSE_SLOW_CONSUMER, type CandleSub, type Conn, type Sub, type TokenSub, type TopSub, type WsHub, type WsHubOptions, type WsSocket } from './ws-hub-types.js'

export { CLOSE_RATE_LIMIT, CLOSE_SHUTDOWN, CLOSE_SLOW_CONSUMER, DEFAULT_WS_HUB_OPTIONS, type Conn, type WsHub, type WsHubOptions, type WsSocket } from './ws-hub-types.js'

/**
 * The WebSocket protocol (docs/websocket.md): subscriptions, snapshots and updates with
 * per-subscription sequence numbers, limits, and backpressure. It talks to sockets through
 * `WsSocket` (the three uWS calls it needs), so the policy is readable apart from the server.
 *
 * Backpressure, per connection:
 *
 *   update ──► pending empty and buffered ≤ coalesceAboveBytes? ──yes──► send now
 *                      │ no
 *                      ▼
 *              pending: Map<subscription, true>   (one slot per subscription: a newer update
 *                      │                           replaces the older one = coalesced; the value
 *                      │ drain                     is rendered when sent, so it is the latest)
 *                      ▼
 *              send while buffered ≤ coalesceAboveBytes
 *
 * Snapshots take the same path and are charged to a per-connection byte budget
 * (snapshotBytesPerSecond, burst snapshotBurstBytes): past it they wait in `pending` as the
 * subscription's next message, so asking again for a snapshot that has not gone out yet costs
 * nothing (issue #20 §3: re-subscribing 100 live tokens at 15 msg/s made the server send ~120×
 * the bytes it received). A subscription's updates never overtake its snapshot: both are the one
 * pending slot, rendered from the latest value when sent.
 *
 * A connection closes (4008 "slow consumer") when its buffer passes closeAboveBytes, when it holds
 * more than its share while all connections together buffer over maxBufferedTotalBytes, or when its
 * buffer has stayed above coalesceAboveBytes with messages pending for slowClientTimeoutMs. A send
 * never waits: one slow socket costs others nothing but the Map insert.
 */
export function createWsHub (ctx: ApiContext, opts: WsHubOptions, now: () => number, metrics: EdgeMetrics, logger: Logger): WsHub {
  let nextId = 1
  let subCount = 0
  let bufferedTotal = 0
  const conns = new Set<Conn>()
  const tokenSubs = new Map<string, Set<TokenSub>>()
  const candleSubs = new Map<string, Set<CandleSub>>()
  const ranked = createRankedLists<TopSub>(ctx, opts)
  const withPending = new Set<Conn>()
  const helloMsg = JSON.stringify({
    type: 'hello',
    version: 1,
    limits: {
      maxSubscriptions: opts.maxSubscriptions,
      maxTopSubscriptions: opts.maxTopSubscriptions,
      maxMessageBytes: opts.maxMessageBytes,
      messagesPerSecond: opts.messagesPerSecond,
      messageBurst: opts.messageBurst,
      maxTokensPerMessage: MAX_IDS,
      snapshotBytesPerSecond: opts.snapshotBytesPerSecond,
      snapshotBurstBytes: opts.snapshotBurstBytes,
      rankedIntervalMs: opts.rankedIntervalMs,
      heartbeatMs: opts.heartbeatMs
    }
  })

  function raw (conn: Conn, msg: string): void {
    const ws = conn.ws
    if (ws === null || conn.closing) return
    const r = ws.send(msg)
    metrics.wsSent.inc()
    conn.lastSentAt = now()
    const b = noteBuffered(conn, ws)
    if (r === 2 || b > opts.closeAboveBytes) dropSlow(conn, 'buffer')
    else if (bufferedTotal > opts.maxBufferedTotalBytes && b > opts.coalesceAboveBytes) dropSlow(conn, 'buffer_total')
  }

  function noteBuffered (conn: Conn, ws: WsSocket): number {
    const b = ws.getBufferedAmount()
    bufferedTotal += b - conn.buffered
    conn.buffered = b
    return b
  }

  function dropSlow (conn: Conn, reason: string): void {
    if (conn.ws === null || conn.closing) return
    conn.closing = true
    metrics.wsDropped(reason === 'rate' ? 'rate_limit' : 'slow_consumer')
    logger.info({ conn: conn.id, reason, buffered: conn.ws.getBufferedAmount(), bufferedTotal }, 'closing websocket client')
    if (reason === 'rate') conn.ws.end(CLOSE_RATE_LIMIT, 'rate limit')
    else conn.ws.end(CLOSE_SLOW_CONSUMER, 'slow consumer')
    // uWS runs the close handler inside end(), so the connection's subscriptions are gone now.
    // The close frame waits behind the unread backlog; uWS closes the TCP socket itself when the
    // flush times out (measured: ~12 s), so a client that never reads cannot hold it forever.
  }

  function sendError (conn: Conn, code: string, message: string, id: unknown): void {
    metrics.wsError(code)
    raw(conn, JSON.stringify({ type: 'error', id, code, message }))
  }

  // ── rendering: always the latest value, so a pending slot sent late is never stale ──

  function render (sub: Sub, type: 'snapshot' | 'update'): string {
    if (sub.kind === 'candles') return renderCandles(sub, type)
    if (sub.kind === 'token') {
      const entry = ctx.store.get(sub.key)
      return '{"type":"' + type + '","sub":' + JSON.stringify(sub.id) + ',"seq":' + sub.seq +
        ',"rev":' + (entry === undefined ? 0 : entry.rev) + ',"data":' + (entry === undefined ? 'null' : labelled(entryJson(entry), ctx.names?.get(sub.key))) + '}'
    }
    return '{"type":"' + type + '","sub":' + JSON.stringify(sub.id) + ',"seq":' + sub.seq + ',"data":' + sub.group.body + '}'
  }

  /**
   * A snapshot is the series' newest candle; an update, every candle that changed since the last
   * message, oldest first (the open one as it moves, and an older one a late swap corrected).
   * Both are rendered when sent, so a coalesced update carries the latest values.
   */
  function renderCandles (sub: CandleSub, type: 'snapshot' | 'update'): string {
    const store = ctx.candles
    let data = ''
    if (store !== undefined) {
      if (type === 'snapshot') {
        const last = store.latest(sub.series)
        if (last !== undefined) data = last.body
      } else {
        const starts = [...new Set(sub.changed)].sort((a, b) => a - b)
        for (const t of starts) {
          const body = store.get(sub.series, t)
          if (body !== undefined) data += (data === '' ? '' : ',') + body
        }
      }
    }
    sub.changed = []
    return '{"type":"' + type + '","sub":' + JSON.stringify(sub.id) + ',"seq":' + sub.seq + ',"data":[' + data + ']}'
  }

  /** the subscription's next message: a snapshot (restarting its sequence at 1) or an update */
  function sendSub (conn: Conn, sub: Sub): void {
    const type = sub.snap ? 'snapshot' : 'update'
    sub.snap = false
    sub.seq = type === 'snapshot' ? 1 : sub.seq + 1
    const msg = render(sub, type)
    if (type === 'snapshot') conn.snapshots.spend(msg.length)
    raw(conn, msg)
  }

  /** whether the subscription's next message may go now (a snapshot needs budget) */
  function mayGo (conn: Conn, sub: Sub, t: number): boolean {
    return !sub.snap || conn.snapshots.available(t) > 0
  }

  /** a subscription has something to send: now, or in its pending slot (coalesced) */
  function deliver (sub: Sub, snapshot = false): void {
    const conn = sub.conn
    const ws = conn.ws
    if (ws === null || conn.closing) return
    if (snapshot) sub.snap = true
    if (!conn.pending.has(sub.id)) {
      if (ws.getBufferedAmount() <= opts.coalesceAboveBytes && mayGo(conn, sub, now())) {
        sendSub(conn, sub)
        return
      }
      conn.pending.set(sub.id, sub)
      withPending.add(conn)
    } else {
      metrics.wsCoalesced.inc()
    }
  }

  function flush (conn: Conn): void {
    const ws = conn.ws
    if (ws === null || conn.closing) return
    const t = now()
    for (const [id, sub] of conn.pending) {
      if (ws.getBufferedAmount() > opts.coalesceAboveBytes) break
      if (!mayGo(conn, sub, t)) continue // its snapshot waits for budget; others may go
      conn.pending.delete(id)
      sendSub(conn, sub)
      if (conn.closing) return
    }
    if (conn.pending.size === 0) { conn.blockedSince = 0; withPending.delete(conn) }
  }

  // ── subscriptions ──

  function addSub (conn: Conn, sub: Sub): void {
    conn.subs.set(sub.id, sub)
    subCount++
    if (sub.kind === 'token') {
      let set = tokenSubs.get(sub.key)
      if (set === undefined) { set = new Set(); tokenSubs.set(sub.key, set) }
      set.add(sub)
    } else if (sub.kind === 'candles') {
      let set = candleSubs.get(sub.series)
      if (set === undefined) { set = new Set(); candleSubs.set(sub.series, set) }
      set.add(sub)
    } else {
      sub.group.subs.add(sub)
      conn.topCount++
    }
  }

  function removeSub (conn: Conn, sub: Sub): void {
    conn.subs.delete(sub.id)
    conn.pending.delete(sub.id)
    subCount--
    if (sub.kind === 'token') {
      const set = tokenSubs.get(sub.key)
      if (set !== undefined) { set.delete(sub); if (set.size === 0) tokenSubs.delete(sub.key) }
    } else if (sub.kind === 'candles') {
      const set = candleSubs.get(sub.series)
      if (set !== undefined) { set.delete(sub); if (set.size === 0) candleSubs.delete(sub.series) }
    } else {
      conn.topCount--
      ranked.leave(sub.group, sub)
    }
  }

  /** ranked lists this connection alone follows (its share of index slots: ws-ranked-lists.ts) */
  function soleLists (conn: Conn): number {
    let n = 0
    for (const sub of conn.subs.values()) if (sub.kind === 'top' && isSoleList(sub.group)) n++
    return n
  }

  function subscribe (conn: Conn, msg: Record<string, unknown>): void {
    const fresh: Sub[] = []
    const again: Sub[] = []
    if (msg.tokens !== undefined) {
      const ids = tokenIds(msg.tokens)
      let adding = 0
      for (const key of ids) if (!conn.subs.has('token:' + key)) adding++
      if (conn.subs.size + adding > opts.maxSubscriptions) {
        throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', `at most ${opts.maxSubscriptions} subscriptions per connection (holding ${conn.subs.size})`)
      }
      for (const key of ids) {
        const id = 'token:' + key
        const old = conn.subs.get(id)
        if (old !== undefined) { again.push(old); continue }
        const sub: TokenSub = { kind: 'token', id, conn, key, seq: 0, snap: false }
        addSub(conn, sub)
        fresh.push(sub)
      }
    } else if (msg.top !== undefined) {
      const p = topParamsOf(ctx, msg.top)
      const id = topId(p)
      const old = conn.subs.get(id)
      if (old !== undefined) again.push(old)
      else {
        if (conn.subs.size >= opts.maxSubscriptions) throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', `at most ${opts.maxSubscriptions} subscriptions per connection`)
        if (conn.topCount >= opts.maxTopSubscriptions) throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', `at most ${opts.maxTopSubscriptions} ranked-list subscriptions per connection`)
        const group = ranked.groupFor(p, soleLists(conn))
        const sub: TopSub = { kind: 'top', id, conn, group, seq: 0, snap: false }
        addSub(conn, sub)
        fresh.push(sub)
      }
    } else if (msg.candles !== undefined) {
      const { series, id } = candleSeriesOf(ctx, msg.candles)
      // a snapshot taken now would be part of the history (edge-server.ts: readiness)
      if (ctx.candlesCaughtUp?.() === false) throw new VolumerError('NOT_READY', 'catching up with the candles feed; retry shortly')
      const old = conn.subs.get(id)
      if (old !== undefined) again.push(old)
      else {
        if (conn.subs.size >= opts.maxSubscriptions) throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', `at most ${opts.maxSubscriptions} subscriptions per connection`)
        const sub: CandleSub = { kind: 'candles', id, conn, series, seq: 0, snap: false, changed: [] }
        addSub(conn, sub)
        fresh.push(sub)
      }
    } else {
      throw new VolumerError('BAD_MESSAGE', 'subscribe needs "tokens" (array of chain:token), "top" ({stat, window, ...}) or "candles" ({token, interval})')
    }
    const all = [...fresh, ...again]
    raw(conn, JSON.stringify({ type: 'subscribed', id: msg.id, subs: all.map(s => s.id) }))
    // a snapshot restarts the sequence at 1; a pending update for it becomes the snapshot, and a
    // snapshot still waiting is not asked for twice
    for (const sub of all) deliver(sub, true)
  }

  function unsubscribe (conn: Conn, msg: Record<string, unknown>): void {
    let ids: string[]
    if (msg.tokens !== undefined) ids = tokenIds(msg.tokens).map(k => 'token:' + k)
    else if (msg.top !== undefined) ids = [topId(topParamsOf(ctx, msg.top))]
    else if (msg.candles !== undefined) ids = [candleSeriesOf(ctx, msg.candles).id]
    else if (Array.isArray(msg.subs) && msg.subs.every(s => typeof s === 'string')) ids = msg.subs as string[]
    else throw new VolumerError('BAD_MESSAGE', 'unsubscribe needs "tokens", "top", "candles" or "subs" (subscription ids)')
    const done: string[] = []
    for (const id of ids) {
      const sub = conn.subs.get(id)
      if (sub !== undefined) { removeSub(conn, sub); done.push(id) }
    }
    if (done.length === 0) throw new VolumerError('NOT_SUBSCRIBED', 'none of these subscriptions is held by this connection')
    raw(conn, JSON.stringify({ type: 'unsubscribed', id: msg.id, subs: done }))
  }

  /** token bucket; true = allowed */
  function takeToken (conn: Conn): boolean {
    const t = now()
    conn.bucket = Math.min(opts.messageBurst, conn.bucket + (t - conn.bucketAt) * opts.messagesPerSecond / 1000)
    conn.bucketAt = t
    if (conn.bucket < 1) return false
    conn.bucket -= 1
    return true
  }

  function closeConnSubs (conn: Conn): void {
    for (const sub of [...conn.subs.values()]) removeSub(conn, sub)
    withPending.delete(conn)
  }

  return {
    get clients () { return conns.size },
    get subscriptions () { return subCount },
    get bufferedBytes () { return bufferedTotal },

    newConn () {
      return {
        id: nextId++,
        ws: null,
        subs: new Map(),
        pending: new Map(),
        blockedSince: 0,
        buffered: 0,
        snapshots: new ByteBudget(opts.snapshotBytesPerSecond, opts.snapshotBurstBytes, now()),
        lastSentAt: 0,
        bucket: opts.messageBurst,
        bucketAt: now(),
        violations: 0,
        closing: false,
        topCount: 0
      }
    },

    open (conn, ws) {
      conn.ws = ws
      conns.add(conn)
      raw(conn, helloMsg)
    },

    message (conn, data, isBinary) {
      if (conn.ws === null || conn.closing) return
      let id: unknown
      try {
        if (!takeToken(conn)) {
          if (++conn.violations > opts.maxRateViolations) { dropSlow(conn, 'rate'); return }
          throw new VolumerError('RATE_LIMITED', `more than ${opts.messagesPerSecond} messages per second (burst ${opts.messageBurst})`)
        }
        conn.violations = 0
        if (isBinary) throw new VolumerError('BINARY_FRAME', 'binary frames are not part of the protocol: send JSON text')
        if (data.byteLength > opts.maxMessageBytes) throw new VolumerError('MESSAGE_TOO_LARGE', `messages are at most ${opts.maxMessageBytes} bytes`)
        let msg: unknown
        try {
          msg = JSON.parse(Buffer.from(data).toString('utf8'))
        } catch {
          throw new VolumerError('BAD_MESSAGE', 'not valid JSON')
        }
        if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new VolumerError('BAD_MESSAGE', 'a message is a JSON object with an "op"')
        const m = msg as Record<string, unknown>
        id = m.id
        switch (m.op) {
          case 'subscribe': subscribe(conn, m); break
          case 'unsubscribe': unsubscribe(conn, m); break
          case 'ping': raw(conn, JSON.stringify({ type: 'pong', id, t: now() })); break
          default: throw new VolumerError('UNKNOWN_OP', 'op must be subscribe, unsubscribe or ping')
        }
      } catch (err) {
        if (isVolumerError(err)) sendError(conn, err.code, err.message, id)
        else {
          logger.error({ err, conn: conn.id }, 'websocket message handler failed')
          sendError(conn, 'INTERNAL', 'internal error', id)
        }
      }
    },

    drain (conn) {
      if (conn.ws !== null) noteBuffered(conn, conn.ws)
      if (conn.pending.size > 0) flush(conn)
    },

    closed (conn) {
      bufferedTotal -= conn.buffered
      conn.buffered = 0
      conn.ws = null
      conn.closing = true
      conns.delete(conn)
      closeConnSubs(conn)
    },

    onStoreChange (key, entry) {
      const set = tokenSubs.get(key)
      if (set !== undefined) for (const sub of set) deliver(sub)
      ranked.onStoreChange(key, entry)
    },

    onCandleChange (series, start) {
      const set = candleSubs.get(series)
      if (set === undefined) return
      for (const sub of set) {
        // a snapshot on its way carries the newest candle; an update lists what changed
        if (!sub.snap && sub.changed[sub.changed.length - 1] !== start) {
          sub.changed.push(start)
          // a coalesced update waiting long (a slow client) lists each candle once
          if (sub.changed.length > 64) sub.changed = [...new Set(sub.changed)]
        }
        deliver(sub)
      }
    },

    tick () {
      const t = now()
      ranked.due(t, g => { for (const sub of g.subs) deliver(sub) })
      for (const conn of withPending) {
        const ws = conn.ws
        if (ws === null || conn.closing) { withPending.delete(conn); continue }
        if (noteBuffered(conn, ws) > opts.coalesceAboveBytes) {
          if (conn.blockedSince === 0) conn.blockedSince = t
          else if (t - conn.blockedSince > opts.slowClientTimeoutMs) { withPending.delete(conn); dropSlow(conn, 'stalled') }
        } else {
          // drained, or snapshots waiting for budget: what may go, goes
          conn.blockedSince = 0
          flush(conn)
        }
      }
      if (opts.heartbeatMs > 0) {
        for (const conn of conns) {
          if (!conn.closing && conn.pending.size === 0 && t - conn.lastSentAt >= opts.heartbeatMs) raw(conn, '{"type":"heartbeat","t":' + t + '}')
        }
      }
    },

    closeAll () {
      for (const conn of [...conns]) {
        if (conn.ws !== null && !conn.closing) { conn.closing = true; conn.ws.end(CLOSE_SHUTDOWN, 'edge shutting down') }
      }
    }
  }
}
