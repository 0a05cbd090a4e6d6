// The dashboard's WebSocket client for /v1/ws (protocol: src/edge/ws-hub.ts, docs/websocket.md).
//
//   subscribe(spec) ──► {op:"subscribe", id, ...spec} ──► "subscribed" {id, subs:[subId]}
//                                                     ──► "snapshot"   {sub, seq:1, data}
//                                                     ──► "update"     {sub, seq:n+1, data} …
//
// Per server subscription we keep the last sequence number. An update whose seq is not last+1
// means something was lost: the subscription is sent again, and updates are ignored until its
// fresh snapshot (seq 1) arrives. A closed socket reconnects with capped exponential backoff and
// full jitter (so a restarted edge is not hit by every browser at once) and resubscribes all.
// A socket that has been silent for longer than two server heartbeats is treated as dead.

const BACKOFF_MIN_MS = 500
const BACKOFF_MAX_MS = 15_000
// the server announces its heartbeat in "hello"; until then assume its default (15 s)
const DEFAULT_HEARTBEAT_MS = 15_000

/** `v1/ws` resolved against the page, http→ws: works at / and behind a proxy at a sub-path */
export function feedUrl (base) {
  const u = new URL('v1/ws', base)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  return u.href
}

/**
 * @param {{url: string, WebSocket?: typeof WebSocket, now?: () => number, random?: () => number,
 *          onStatus?: (s: {state: string, retryInMs?: number, reconnects: number, gaps: number, error?: string}) => void}} opts
 */
export function createFeed (opts) {
  const WS = opts.WebSocket ?? globalThis.WebSocket
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const onStatus = opts.onStatus ?? (() => {})

  /** local subscriptions, in the order they were made */
  const locals = new Set()
  /** server subscription id → { lastSeq, syncing, locals:Set } */
  const remote = new Map()
  /** our message id → local waiting for "subscribed" */
  const waiting = new Map()
  let ws = null
  let nextMsgId = 1
  let attempt = 0
  let retryTimer = null
  let watchdog = null
  let lastMessageAt = 0
  let heartbeatMs = DEFAULT_HEARTBEAT_MS
  let stopped = false
  const stats = { state: 'connecting', reconnects: 0, gaps: 0, messages: 0 }

  function status (state, extra = {}) {
    stats.state = state
    onStatus({ state, reconnects: stats.reconnects, gaps: stats.gaps, ...extra })
  }

  function send (msg) {
    if (ws === null || ws.readyState !== 1) return false
    ws.send(JSON.stringify(msg))
    return true
  }

  function sendSubscribe (local) {
    const id = nextMsgId++
    local.msgId = id
    waiting.set(id, local)
    send({ op: 'subscribe', id, ...local.spec })
  }

  function detach (local) {
    if (local.subId === null) return
    const r = remote.get(local.subId)
    local.subId = null
    if (r === undefined) return
    r.locals.delete(local)
    if (r.locals.size === 0) {
      remote.delete(r.id)
      send({ op: 'unsubscribe', subs: [r.id] })
    }
  }

  function onMessage (text) {
    lastMessageAt = now()
    stats.messages++
    let msg
    try { msg = JSON.parse(text) } catch { return }
    switch (msg.type) {
      case 'hello':
        if (typeof msg.limits?.heartbeatMs === 'number' && msg.limits.heartbeatMs > 0) heartbeatMs = msg.limits.heartbeatMs
        attempt = 0
        status('live')
        waiting.clear() // requests made while the socket was still opening were never sent
        for (const local of locals) sendSubscribe(local)
        return
      case 'subscribed': {
        const local = waiting.get(msg.id)
        if (local === undefined) return
        waiting.delete(msg.id)
        if (!locals.has(local)) { // closed while waiting: let the server forget it too
          if (!remote.has(msg.subs[0])) send({ op: 'unsubscribe', subs: msg.subs })
          return
        }
        const subId = msg.subs[0]
        if (local.subId !== null && local.subId !== subId) detach(local)
        local.subId = subId
        let r = remote.get(subId)
        if (r === undefined) { r = { id: subId, lastSeq: 0, syncing: true, locals: new Set() }; remote.set(subId, r) }
        r.locals.add(local)
        return
      }
      case 'snapshot':
      case 'update': {
        const r = remote.get(msg.sub)
        if (r === undefined) return
        if (msg.type === 'snapshot') {
          r.syncing = false
        } else if (r.syncing) {
          return
        } else if (msg.seq !== r.lastSeq + 1) {
          // a lost or reordered update: the numbers shown may be stale, so start over from a snapshot
          stats.gaps++
          r.syncing = true
          for (const local of r.locals) sendSubscribe(local)
          status(stats.state)
          return
        }
        r.lastSeq = msg.seq
        for (const local of r.locals) local.onData(msg.data, msg.type)
        return
      }
      case 'error': {
        const local = waiting.get(msg.id)
        if (local !== undefined) {
          waiting.delete(msg.id)
          local.onError?.(msg)
        }
        status(stats.state, { error: msg.code + ': ' + msg.message })
        return
      }
      default: // heartbeat, pong, unsubscribed: liveness only
    }
  }

  function connect () {
    retryTimer = null
    if (stopped) return
    status(stats.reconnects === 0 ? 'connecting' : 'reconnecting')
    let sock
    try {
      sock = new WS(opts.url)
    } catch (err) {
      scheduleRetry()
      return
    }
    ws = sock
    lastMessageAt = now()
    sock.onmessage = (ev) => { if (ws === sock) onMessage(ev.data) }
    sock.onclose = () => { if (ws === sock) lost() }
    // an error is always followed by close; the browser logs the failure itself
    sock.onerror = () => {}
  }

  function lost () {
    ws = null
    waiting.clear()
    for (const r of remote.values()) for (const local of r.locals) local.subId = null
    remote.clear()
    if (stopped) return
    stats.reconnects++
    scheduleRetry()
  }

  function scheduleRetry () {
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt)
    attempt++
    const delay = Math.round(cap / 2 + random() * cap / 2)
    status('offline', { retryInMs: delay })
    retryTimer = setTimeout(connect, delay)
  }

  function checkAlive () {
    if (ws !== null && ws.readyState === 1 && now() - lastMessageAt > 2 * heartbeatMs + 5000) {
      // silent past two heartbeats: the connection is dead even if TCP has not noticed
      const sock = ws
      lost()
      try { sock.close() } catch {}
    }
  }

  connect()
  watchdog = setInterval(checkAlive, 2000)

  return {
    stats,
    /**
     * spec: {top:{stat, window, limit, order, chain?}} or {tokens:["chain:token"]}
     * onData(data, "snapshot"|"update"); returns {close()}
     */
    subscribe (spec, onData, onError) {
      const local = { spec, onData, onError, subId: null, msgId: 0 }
      locals.add(local)
      sendSubscribe(local)
      return {
        close () {
          if (!locals.delete(local)) return
          detach(local)
        }
      }
    },
    /** drops the socket as if the network failed (diagnostics and the browser test) */
    dropConnection () {
      const sock = ws
      if (sock === null) return
      lost()
      try { sock.close() } catch {}
    },
    /** feeds a raw server message, as if received (diagnostics and the browser test) */
    inject (text) { onMessage(text) },
    /** the seq the next update of a server subscription must carry (to inject one in order) */
    nextSeq (subId) { const r = remote.get(subId); return r === undefined ? null : r.lastSeq + 1 },
    stop () {
      stopped = true
      clearTimeout(retryTimer)
      clearInterval(watchdog)
      if (ws !== null) { const sock = ws; ws = null; sock.close() }
    }
  }
}
