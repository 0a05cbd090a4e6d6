// The token page (#/token/{chain}/{token}): every window's statistics, a live price/volume chart
// built from the updates received since the page opened (the edge serves no history), and the
// per-window volume bars. One token subscription; the snapshot fills it at once.

import * as fmt from './format.js'
import { el, statLabel, windowMs } from './dom.js'
import { drawPriceVolume, drawWindowBars } from './chart.js'

/** the stats object's window fields (src/engine/stats.ts WindowStats), in table order */
const FIELDS = [
  ['from', v => fmt.clock(v), v => v],
  ['to', v => fmt.clock(v), v => v],
  ['volumeUsd', v => fmt.usd(v), v => '$' + fmt.exactDecimal(v)],
  ['buyVolumeUsd', v => fmt.usd(v), v => '$' + fmt.exactDecimal(v)],
  ['sellVolumeUsd', v => fmt.usd(v), v => '$' + fmt.exactDecimal(v)],
  ['volume', v => fmt.amount(v), v => fmt.exactDecimal(v)],
  ['buyVolume', v => fmt.amount(v), v => fmt.exactDecimal(v)],
  ['sellVolume', v => fmt.amount(v), v => fmt.exactDecimal(v)],
  ['txns', v => fmt.count(v)],
  ['buys', v => fmt.count(v)],
  ['sells', v => fmt.count(v)],
  ['traders', v => fmt.count(v)],
  ['buyers', v => fmt.count(v)],
  ['sellers', v => fmt.count(v)],
  ['open', v => fmt.price(v), v => String(v)],
  ['close', v => fmt.price(v), v => String(v)],
  ['high', v => fmt.price(v), v => String(v)],
  ['low', v => fmt.price(v), v => String(v)],
  ['priceChangePct', v => fmt.pct(v), v => String(v)],
  ['vwap', v => fmt.price(v), v => String(v)]
]
const MAX_POINTS = 900

export function mountTokenPage (container, ctx, chain, token) {
  const key = chain + ':' + token
  let stats = null
  let drawPending = false
  const points = []

  const priceEl = el('dd', { id: 'token-price' }, '—')
  const lastTradeEl = el('dd', { id: 'token-last-trade' }, '—')
  const firstSeenEl = el('dd', { id: 'token-first-seen' }, '—')
  const asOfEl = el('dd', { id: 'token-asof' }, '—')
  const note = el('p', { class: 'empty', id: 'token-missing', hidden: true }, 'No statistics for this token yet: it has no trade in the longest window. This page updates when it trades.')
  const priceCanvas = el('canvas', { id: 'price-chart', role: 'img', 'aria-label': 'Live price (line) and volume of the shortest window (bars, green buys, red sells) since this page opened' })
  const windowCanvas = el('canvas', { id: 'window-chart', role: 'img', 'aria-label': 'USD volume per window, buys green and sells red, log scale' })
  const headRow = el('tr', {}, el('th', { scope: 'col' }, 'Statistic'))
  const tbody = el('tbody')
  const table = el('table', { id: 'windows-table', class: 'windows' }, [
    el('caption', {}, 'Statistics per window'), el('thead', {}, headRow), tbody
  ])
  const pointsNote = el('span', { class: 'muted', id: 'chart-points' }, '')

  const view = el('section', { class: 'view token-page', 'aria-labelledby': 'token-title' }, [
    el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, el('a', { href: ctx.listHref() }, '← All tokens')),
    el('header', { class: 'token-head' }, [
      el('h1', { id: 'token-title' }, [el('span', { class: 'chain chain-' + chain.replace(/[^a-z0-9]/gi, '') }, chain), ' ', el('span', { class: 'addr' }, token)]),
      el('dl', { class: 'summary' }, [
        el('div', {}, [el('dt', {}, 'Price'), priceEl]),
        el('div', {}, [el('dt', {}, 'Last trade'), lastTradeEl]),
        el('div', {}, [el('dt', {}, 'First seen'), firstSeenEl]),
        el('div', {}, [el('dt', {}, 'As of'), asOfEl])
      ])
    ]),
    note,
    el('div', { class: 'charts' }, [
      el('figure', { class: 'chart wide' }, [el('figcaption', {}, ['Price and volume, live ', pointsNote]), priceCanvas]),
      el('figure', { class: 'chart' }, [el('figcaption', {}, 'Volume by window'), windowCanvas])
    ]),
    el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Statistics per window' }, table)
  ])
  container.replaceChildren(view)
  document.title = `Volumer · ${chain}:${fmt.shortToken(token)}`

  function windowNames () {
    return Object.keys(stats.windows).sort((a, b) => windowMs(a) - windowMs(b))
  }

  function renderTable (names) {
    const have = [...headRow.children].slice(1).map(th => th.textContent)
    if (have.length !== names.length || have.some((n, i) => n !== names[i])) {
      headRow.replaceChildren(el('th', { scope: 'col' }, 'Statistic'), ...names.map(n => el('th', { scope: 'col', class: 'num' }, n)))
      tbody.replaceChildren(...FIELDS.map(([f]) => el('tr', { 'data-field': f }, [
        el('th', { scope: 'row' }, statLabel(f)), ...names.map(n => el('td', { class: 'num', 'data-window': n }))
      ])))
    }
    for (const tr of tbody.children) {
      const [, show, exact] = FIELDS.find(([f]) => f === tr.dataset.field)
      const f = tr.dataset.field
      for (const td of tr.querySelectorAll('td')) {
        const v = stats.windows[td.dataset.window]?.[f] ?? null
        const text = v === null ? '—' : show(v)
        if (td.textContent !== text) td.textContent = text
        td.title = v === null || exact === undefined ? '' : exact(v)
        if (f === 'priceChangePct') td.className = 'num ' + (fmt.direction(v) > 0 ? 'up' : fmt.direction(v) < 0 ? 'down' : '')
      }
    }
  }

  function addPoint (names) {
    const t = Date.parse(stats.asOf)
    if (!Number.isFinite(t)) return
    const w = stats.windows[names[0]]
    const p = { t, price: stats.lastPrice, buyUsd: Number(w?.buyVolumeUsd ?? 0), sellUsd: Number(w?.sellVolumeUsd ?? 0) }
    const last = points[points.length - 1]
    if (last !== undefined && last.t >= t) points[points.length - 1] = p
    else points.push(p)
    if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS)
    pointsNote.textContent = `(${points.length} updates, bars = ${names[0]} volume)`
  }

  function draw () {
    drawPending = false
    if (stats === null) return
    drawPriceVolume(priceCanvas, points, ctx.now())
    drawWindowBars(windowCanvas, windowNames().map(n => ({
      label: n, buyUsd: Number(stats.windows[n].buyVolumeUsd), sellUsd: Number(stats.windows[n].sellVolumeUsd)
    })))
  }

  function scheduleDraw () {
    if (drawPending) return
    drawPending = true
    requestAnimationFrame(draw)
  }

  function onData (data) {
    note.hidden = data !== null
    if (data === null) return
    stats = data
    ctx.noteChain(data.chain)
    const names = windowNames()
    priceEl.textContent = fmt.price(data.lastPrice)
    priceEl.title = String(data.lastPrice)
    lastTradeEl.textContent = data.lastTradeAt === null ? '—' : fmt.clock(data.lastTradeAt)
    lastTradeEl.title = data.lastTradeAt ?? ''
    firstSeenEl.textContent = data.firstSeenAt === null ? '—' : new Date(data.firstSeenAt).toLocaleString('en-GB', { hour12: false })
    firstSeenEl.title = data.firstSeenAt ?? ''
    renderTable(names)
    addPoint(names)
    tick()
    scheduleDraw()
  }

  function tick () {
    if (stats === null) return
    scheduleDraw() // the price line runs on to now between updates
    asOfEl.textContent = `${fmt.clock(stats.asOf)} (${fmt.age(stats.asOf, ctx.now())} ago)`
    asOfEl.title = stats.asOf
    asOfEl.classList.toggle('stale', ctx.now() - Date.parse(stats.asOf) > 10_000)
  }

  const sub = ctx.feed.subscribe({ tokens: [key] }, onData, err => {
    note.hidden = false
    note.textContent = 'Cannot follow this token: ' + err.message
  })
  const ticker = setInterval(tick, 1000)
  const resize = new ResizeObserver(scheduleDraw)
  resize.observe(priceCanvas)
  resize.observe(windowCanvas)

  return {
    kind: 'token',
    key,
    unmount () { clearInterval(ticker); resize.disconnect(); sub.close() }
  }
}
