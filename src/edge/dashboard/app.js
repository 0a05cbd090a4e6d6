// Entry point: one WebSocket feed for the page, a hash router (#/?… = screener,
// #/token/{chain}/{token} = token page) and the connection status line. Every URL is relative,
// so the same files work from `volumer run`, a `volumer edge`, or behind a proxy at a sub-path.

import { createFeed, feedUrl } from './feed.js'
import { mountScreener, parseListParams, listHash, DEFAULT_PARAMS } from './screener.js'
import { mountTokenPage } from './token-page.js'
import { mountSearch } from './search.js'

const FALLBACK_WINDOWS = ['1m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '24h']
const FALLBACK_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d']

function stringList (v) {
  return Array.isArray(v) && v.length > 0 && v.every(w => typeof w === 'string') ? v : null
}

/**
 * What the edge is configured with, from its OpenAPI document: the windows (examples of
 * `/v1/top`'s `window`) and the candle intervals (enum of the candles endpoint's `interval`)
 */
async function loadApiInfo () {
  const fallback = { windows: FALLBACK_WINDOWS, candleIntervals: FALLBACK_INTERVALS }
  try {
    const res = await fetch(new URL('openapi.json', document.baseURI))
    if (!res.ok) return fallback
    const doc = await res.json()
    const param = (path, name) => doc.paths?.[path]?.get?.parameters?.find(p => p.name === name)?.schema
    return {
      windows: stringList(param('/v1/top', 'window')?.examples) ?? FALLBACK_WINDOWS,
      candleIntervals: stringList(param('/v1/tokens/{chain}/{token}/candles', 'interval')?.enum) ?? FALLBACK_INTERVALS
    }
  } catch {
    return fallback
  }
}

function renderStatus (node, s) {
  const text = {
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    live: 'Live',
    offline: s.retryInMs === undefined ? 'Offline' : `Offline, retrying in ${(s.retryInMs / 1000).toFixed(1)} s`
  }[s.state] ?? s.state
  node.dataset.state = s.state
  node.querySelector('.status-text').textContent = text
  const extra = []
  if (s.reconnects > 0) extra.push(`${s.reconnects} reconnect${s.reconnects === 1 ? '' : 's'}`)
  if (s.gaps > 0) extra.push(`${s.gaps} gap${s.gaps === 1 ? '' : 's'} resynced`)
  node.querySelector('.status-extra').textContent = extra.join(' · ')
  if (s.error !== undefined) node.title = 'last error: ' + s.error
}

async function main () {
  const statusNode = document.getElementById('status')
  const container = document.getElementById('app')
  const feed = createFeed({ url: feedUrl(document.baseURI), onStatus: s => renderStatus(statusNode, s) })
  const { windows, candleIntervals } = await loadApiInfo()
  const chains = new Set()
  let lastList = { ...DEFAULT_PARAMS, window: windows.includes(DEFAULT_PARAMS.window) ? DEFAULT_PARAMS.window : windows[0] }
  let view = null

  const ctx = {
    feed,
    windows,
    candleIntervals,
    chains,
    now: () => Date.now(),
    noteChain (c) { chains.add(c) },
    tokenHref: (chain, token) => `#/token/${encodeURIComponent(chain)}/${encodeURIComponent(token)}`,
    candlesUrl: (chain, token, interval, limit) => new URL(`v1/tokens/${encodeURIComponent(chain)}/${encodeURIComponent(token)}/candles?` +
      new URLSearchParams({ interval, limit: String(limit) }), document.baseURI),
    searchUrl: (q, limit) => new URL('v1/search?' + new URLSearchParams({ q, limit: String(limit) }), document.baseURI),
    listHref: () => listHash(lastList),
    /** the screener reports its controls, so "← All tokens" returns to the same list */
    setList (p) { lastList = { ...p } }
  }

  function route () {
    const hash = location.hash.replace(/^#/, '') || '/'
    const m = /^\/token\/([^/]+)\/([^/?]+)$/.exec(hash)
    if (m !== null) {
      let chain, token
      try { chain = decodeURIComponent(m[1]); token = decodeURIComponent(m[2]) } catch { location.hash = '#/'; return }
      if (view?.kind === 'token' && view.key === chain + ':' + token) return
      view?.unmount()
      view = mountTokenPage(container, ctx, chain, token)
      container.focus({ preventScroll: true })
      return
    }
    const q = hash.indexOf('?')
    const params = parseListParams(q < 0 ? '' : hash.slice(q + 1), windows)
    lastList = params
    if (view?.kind === 'list') { view.update(params); return }
    view?.unmount()
    view = mountScreener(container, ctx, params)
  }

  mountSearch(document.getElementById('search'), ctx)
  window.addEventListener('hashchange', route)
  route()
  // diagnostics: the browser test and curious users can reach the feed (and the token page's
  // chart: series, counters) from the console
  window.volumerDashboard = { feed, ctx, get chart () { return view?.chart ?? null } }
}

main().catch(err => {
  document.getElementById('app').textContent = 'The dashboard failed to start: ' + err.message
  throw err
})
