// Entry point: one WebSocket feed for the page, a hash router (#/?… = screener,
// #/token/{chain}/{token} = token page) and the connection status line. Every URL is relative,
// so the same files work from `volumer run`, a `volumer edge`, or behind a proxy at a sub-path.

import { createFeed, feedUrl } from './feed.js'
import { mountScreener, parseListParams, listHash, DEFAULT_PARAMS } from './screener.js'
import { mountTokenPage } from './token-page.js'

const FALLBACK_WINDOWS = ['1m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '24h']

/** the windows the edge is configured with, from its OpenAPI document (examples of `window`) */
async function loadWindows () {
  try {
    const res = await fetch(new URL('openapi.json', document.baseURI))
    if (!res.ok) return FALLBACK_WINDOWS
    const doc = await res.json()
    const param = doc.paths?.['/v1/top']?.get?.parameters?.find(p => p.name === 'window')
    const list = param?.schema?.examples
    return Array.isArray(list) && list.length > 0 && list.every(w => typeof w === 'string') ? list : FALLBACK_WINDOWS
  } catch {
    return FALLBACK_WINDOWS
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
  const windows = await loadWindows()
  const chains = new Set()
  let lastList = { ...DEFAULT_PARAMS, window: windows.includes(DEFAULT_PARAMS.window) ? DEFAULT_PARAMS.window : windows[0] }
  let view = null

  const ctx = {
    feed,
    windows,
    chains,
    now: () => Date.now(),
    noteChain (c) { chains.add(c) },
    tokenHref: (chain, token) => `#/token/${encodeURIComponent(chain)}/${encodeURIComponent(token)}`,
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

  window.addEventListener('hashchange', route)
  route()
  // diagnostics: the browser test and curious users can reach the feed from the console
  window.volumerDashboard = { feed, ctx }
}

main().catch(err => {
  document.getElementById('app').textContent = 'The dashboard failed to start: ' + err.message
  throw err
})
