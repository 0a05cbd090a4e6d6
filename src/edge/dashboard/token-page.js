// The token page (#/token/{chain}/{token}): its name, symbol and address, a candle chart
// (candle-chart.js) and every window's statistics with, where the edge serves it, the change
// against the previous window. One token subscription for the numbers; the snapshot fills them.

import * as fmt from './format.js'
import { el, setCell, statLabel, windowMs } from './dom.js'
import { mountCandleChart } from './candle-chart.js'

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
/** rows that show the previous window's change beside the value (window.changePct) */
const CHANGE_FIELDS = new Set(['volumeUsd', 'txns', 'traders'])

export function mountTokenPage (container, ctx, chain, token) {
  const key = chain + ':' + token
  let stats = null

  const priceEl = el('dd', { id: 'token-price' }, '—')
  const lastTradeEl = el('dd', { id: 'token-last-trade' }, '—')
  const firstSeenEl = el('dd', { id: 'token-first-seen' }, '—')
  const asOfEl = el('dd', { id: 'token-asof' }, '—')
  const note = el('p', { class: 'empty', id: 'token-missing', hidden: true }, 'No statistics for this token yet: it has no trade in the longest window. This page updates when it trades.')
  const symbolEl = el('span', { class: 'sym', id: 'token-symbol' }, fmt.shortToken(token))
  const nameEl = el('span', { class: 'name', id: 'token-name' }, '')
  const headRow = el('tr', {}, el('th', { scope: 'col' }, 'Statistic'))
  const tbody = el('tbody')
  const table = el('table', { id: 'windows-table', class: 'windows' }, [
    el('caption', {}, 'Statistics per window'), el('thead', {}, headRow), tbody
  ])
  const chart = mountCandleChart(ctx, chain, token)

  const view = el('section', { class: 'view token-page', 'aria-labelledby': 'token-title' }, [
    el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, el('a', { href: ctx.listHref() }, '← All tokens')),
    el('header', { class: 'token-head' }, [
      el('h1', { id: 'token-title' }, [
        el('span', { class: 'chain chain-' + chain.replace(/[^a-z0-9]/gi, '') }, chain), ' ', symbolEl, ' ', nameEl
      ]),
      el('p', { class: 'addr', id: 'token-address', title: 'token address' }, token),
      el('dl', { class: 'summary' }, [
        el('div', {}, [el('dt', {}, 'Price'), priceEl]),
        el('div', {}, [el('dt', {}, 'Last trade'), lastTradeEl]),
        el('div', {}, [el('dt', {}, 'First seen'), firstSeenEl]),
        el('div', {}, [el('dt', {}, 'As of'), asOfEl])
      ])
    ]),
    note,
    chart.node,
    el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Statistics per window' }, table)
  ])
  container.replaceChildren(view)
  setTitle(null)

  /** symbol and name once the edge has metadata for the token, else the short address */
  function setTitle (data) {
    const label = data === null ? fmt.shortToken(token) : fmt.tokenLabel(data)
    if (symbolEl.textContent !== label) symbolEl.textContent = label
    symbolEl.classList.toggle('addr', data === null || data.symbol === undefined)
    const name = data?.name ?? ''
    if (nameEl.textContent !== name) nameEl.textContent = name
    document.title = `Volumer · ${label}${name === '' ? '' : ' ' + name} · ${chain}`
  }

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
        const w = stats.windows[td.dataset.window]
        const v = w?.[f] ?? null
        const text = v === null ? '—' : show(v)
        setCell(td, text, CHANGE_FIELDS.has(f) ? fmt.windowChange(w, f) : undefined)
        td.title = v === null || exact === undefined ? '' : exact(v)
        if (f === 'priceChangePct') td.className = 'num ' + (fmt.direction(v) > 0 ? 'up' : fmt.direction(v) < 0 ? 'down' : '')
      }
    }
  }

  function onData (data) {
    note.hidden = data !== null
    if (data === null) return
    stats = data
    ctx.noteChain(data.chain)
    setTitle(data)
    priceEl.textContent = fmt.price(data.lastPrice)
    priceEl.title = String(data.lastPrice)
    lastTradeEl.textContent = data.lastTradeAt === null ? '—' : fmt.clock(data.lastTradeAt)
    lastTradeEl.title = data.lastTradeAt ?? ''
    firstSeenEl.textContent = data.firstSeenAt === null ? '—' : new Date(data.firstSeenAt).toLocaleString('en-GB', { hour12: false })
    firstSeenEl.title = data.firstSeenAt ?? ''
    renderTable(windowNames())
    tick()
  }

  function tick () {
    if (stats === null) return
    asOfEl.textContent = `${fmt.clock(stats.asOf)} (${fmt.age(stats.asOf, ctx.now())} ago)`
    asOfEl.title = stats.asOf
    asOfEl.classList.toggle('stale', ctx.now() - Date.parse(stats.asOf) > 10_000)
  }

  const sub = ctx.feed.subscribe({ tokens: [key] }, onData, err => {
    note.hidden = false
    note.textContent = 'Cannot follow this token: ' + err.message
  })
  const ticker = setInterval(tick, 1000)

  return {
    kind: 'token',
    key,
    chart: chart.debug,
    unmount () { clearInterval(ticker); chart.unmount(); sub.close() }
  }
}
