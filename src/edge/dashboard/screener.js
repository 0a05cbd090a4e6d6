// The screener: the top tokens by a chosen statistic and window, live over a ranked-list
// subscription. Sorting is server-side (the edge keeps a ranked index per list), so a header
// click changes the subscription, not the order of rows already here. Rows are keyed by
// chain:token and reused, so an update touches only text nodes and focus is never lost.

import * as fmt from './format.js'
import { el, setCell, statLabel, STATS } from './dom.js'

export const DEFAULT_PARAMS = Object.freeze({ stat: 'volumeUsd', window: '5m', chain: '', order: 'desc', limit: 50 })
const LIMITS = [25, 50, 100, 200]

/** columns: key, header, stat a header click ranks by, cell renderer from a ranked row */
const COLUMNS = [
  { key: 'rank', label: '#', cls: 'num' },
  { key: 'token', label: 'Token' },
  { key: 'price', label: 'Price', stat: 'lastPrice', cls: 'num', render: r => fmt.price(r.lastPrice) },
  { key: 'change', label: 'Change', stat: 'priceChangePct', cls: 'num', render: r => fmt.pct(r.window?.priceChangePct) },
  { key: 'volume', label: 'Volume', stat: 'volumeUsd', change: 'volumeUsd', cls: 'num', render: r => fmt.usd(r.window?.volumeUsd), title: r => r.window ? '$' + fmt.exactDecimal(r.window.volumeUsd) : '' },
  { key: 'txns', label: 'Txns', stat: 'txns', change: 'txns', cls: 'num', render: r => fmt.count(r.window?.txns) },
  { key: 'buys', label: 'Buys', stat: 'buys', cls: 'num opt', render: r => fmt.count(r.window?.buys) },
  { key: 'sells', label: 'Sells', stat: 'sells', cls: 'num opt', render: r => fmt.count(r.window?.sells) },
  { key: 'traders', label: 'Traders', stat: 'traders', change: 'traders', cls: 'num opt', render: r => fmt.count(r.window?.traders) },
  { key: 'value', label: '', cls: 'num ranked' }
]
const COLUMN_STATS = new Set(COLUMNS.filter(c => c.stat !== undefined).map(c => c.stat))

/** "#/?stat=…&window=…" → params, unknown values replaced by defaults */
export function parseListParams (query, windows) {
  const q = new URLSearchParams(query)
  const stat = STATS.includes(q.get('stat')) ? q.get('stat') : DEFAULT_PARAMS.stat
  const fallbackWindow = windows.includes(DEFAULT_PARAMS.window) ? DEFAULT_PARAMS.window : windows[0]
  const window = windows.includes(q.get('window')) ? q.get('window') : fallbackWindow
  const order = q.get('order') === 'asc' ? 'asc' : 'desc'
  const limit = LIMITS.includes(Number(q.get('limit'))) ? Number(q.get('limit')) : DEFAULT_PARAMS.limit
  const chain = (q.get('chain') ?? '').slice(0, 64)
  return { stat, window, chain, order, limit }
}

export function listHash (p) {
  const q = new URLSearchParams({ stat: p.stat, window: p.window, order: p.order, limit: String(p.limit) })
  if (p.chain !== '') q.set('chain', p.chain)
  return '#/?' + q.toString()
}

export function mountScreener (container, ctx, initial) {
  let params = { ...initial }
  let sub = null
  let items = []
  let lastAsOf = null
  const rows = new Map()

  const statSel = el('select', { id: 'stat', name: 'stat' }, STATS.map(s => el('option', { value: s }, statLabel(s))))
  const windowSel = el('select', { id: 'window', name: 'window' }, ctx.windows.map(w => el('option', { value: w }, w)))
  const chainSel = el('select', { id: 'chain', name: 'chain' })
  const orderSel = el('select', { id: 'order', name: 'order' }, [el('option', { value: 'desc' }, 'Highest first'), el('option', { value: 'asc' }, 'Lowest first')])
  const limitSel = el('select', { id: 'limit', name: 'limit' }, LIMITS.map(n => el('option', { value: String(n) }, String(n))))
  const freshness = el('p', { class: 'freshness', id: 'list-freshness' }, 'waiting for data…')
  const headRow = el('tr')
  const tbody = el('tbody', { id: 'top-rows' })
  const empty = el('p', { class: 'empty', id: 'list-empty', hidden: true }, 'No tokens with trades in this window yet.')
  const caption = el('caption', { class: 'visually-hidden' })
  const table = el('table', { id: 'top-table', class: 'screener' }, [caption, el('thead', {}, headRow), tbody])

  const view = el('section', { class: 'view', 'aria-labelledby': 'screener-title' }, [
    el('h1', { id: 'screener-title', class: 'visually-hidden' }, 'Top tokens'),
    el('form', { class: 'controls', onsubmit: e => e.preventDefault() }, [
      labelled('Rank by', statSel), labelled('Window', windowSel), labelled('Chain', chainSel),
      labelled('Order', orderSel), labelled('Show', limitSel)
    ]),
    freshness,
    el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Top tokens table' }, table),
    empty
  ])
  container.replaceChildren(view)

  function labelled (text, control) {
    return el('label', { class: 'control' }, [el('span', {}, text), control])
  }

  for (const c of COLUMNS) {
    const th = el('th', { scope: 'col', class: c.cls ?? '', 'data-col': c.key })
    if (c.stat !== undefined) {
      th.append(el('button', { type: 'button', class: 'sort', 'data-stat': c.stat, onclick: () => sortBy(c.stat) }, [c.label, el('span', { class: 'arrow', 'aria-hidden': 'true' })]))
    } else {
      th.textContent = c.label
    }
    headRow.append(th)
  }

  function sortBy (stat) {
    if (params.stat === stat) params.order = params.order === 'desc' ? 'asc' : 'desc'
    else { params.stat = stat; params.order = 'desc' }
    apply()
  }

  for (const sel of [statSel, windowSel, chainSel, orderSel, limitSel]) {
    sel.addEventListener('change', () => {
      params = { ...params, stat: statSel.value, window: windowSel.value, chain: chainSel.value, order: orderSel.value, limit: Number(limitSel.value) }
      apply()
    })
  }

  function fillChains () {
    const want = ['', ...[...ctx.chains].sort()]
    if (params.chain !== '' && !want.includes(params.chain)) want.push(params.chain)
    if (chainSel.options.length === want.length && [...chainSel.options].every((o, i) => o.value === want[i])) return
    chainSel.replaceChildren(...want.map(c => el('option', { value: c }, c === '' ? 'All chains' : c)))
    chainSel.value = params.chain
  }

  function syncControls () {
    statSel.value = params.stat
    windowSel.value = params.window
    orderSel.value = params.order
    limitSel.value = String(params.limit)
    fillChains()
    for (const th of headRow.children) {
      const btn = th.querySelector('button.sort')
      const active = btn !== null && btn.dataset.stat === params.stat
      if (active) th.setAttribute('aria-sort', params.order === 'desc' ? 'descending' : 'ascending')
      else th.removeAttribute('aria-sort')
      if (btn !== null) btn.querySelector('.arrow').textContent = active ? (params.order === 'desc' ? ' ▼' : ' ▲') : ''
    }
    const showValue = !COLUMN_STATS.has(params.stat)
    table.classList.toggle('with-value', showValue)
    headRow.querySelector('[data-col="value"]').textContent = showValue ? statLabel(params.stat) : ''
    caption.textContent = `Top ${params.limit} tokens by ${statLabel(params.stat)} over ${params.window}` +
      `${params.chain === '' ? '' : ' on ' + params.chain}, ${params.order === 'desc' ? 'highest' : 'lowest'} first`
    document.title = `Volumer · ${statLabel(params.stat)} ${params.window}${params.chain === '' ? '' : ' · ' + params.chain}`
  }

  function apply () {
    history.replaceState(null, '', listHash(params))
    ctx.setList(params)
    syncControls()
    subscribe()
  }

  function subscribe () {
    sub?.close()
    const top = { stat: params.stat, window: params.window, limit: params.limit, order: params.order }
    if (params.chain !== '') top.chain = params.chain
    freshness.textContent = 'loading…'
    sub = ctx.feed.subscribe({ top }, onData, err => {
      freshness.textContent = 'cannot show this list: ' + err.message
    })
  }

  function onData (data) {
    items = data.items
    let newest = null
    for (const r of items) {
      ctx.noteChain(r.chain)
      if (newest === null || r.asOf > newest) newest = r.asOf
    }
    if (newest !== null) lastAsOf = newest
    fillChains()
    render()
    tick()
  }

  function render () {
    const seen = new Set()
    const showValue = !COLUMN_STATS.has(params.stat)
    items.forEach((r, i) => {
      const key = r.chain + ':' + r.token
      seen.add(key)
      let tr = rows.get(key)
      if (tr === undefined) { tr = newRow(r, key); rows.set(key, tr) }
      updateRow(tr, r, i + 1, showValue)
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null)
    })
    for (const [key, tr] of rows) if (!seen.has(key)) { tr.remove(); rows.delete(key) }
    empty.hidden = items.length > 0
  }

  function newRow (r, key) {
    const href = ctx.tokenHref(r.chain, r.token)
    const tr = el('tr', { 'data-key': key, class: 'row' })
    tr.addEventListener('click', e => { if (!e.target.closest('a')) location.hash = href })
    for (const c of COLUMNS) {
      if (c.key === 'token') {
        tr.append(el('th', { scope: 'row', 'data-col': 'token', class: 'token' }, [
          el('span', { class: 'chain chain-' + r.chain.replace(/[^a-z0-9]/gi, '') }, r.chain),
          el('a', { href, title: r.chain + ':' + r.token })
        ]))
      } else {
        tr.append(el('td', { 'data-col': c.key, class: c.cls ?? '' }))
      }
    }
    return tr
  }

  /** symbol and name when the edge knows them (they may arrive after the row), else the address */
  function renderToken (cell, r) {
    const named = typeof r.symbol === 'string' && r.symbol !== ''
    const shown = named ? r.symbol + '\u0000' + (r.name ?? '') : ''
    if (cell.dataset.shown === shown) return
    cell.dataset.shown = shown
    const a = cell.querySelector('a')
    a.classList.toggle('named', named)
    a.replaceChildren(...(named
      ? [el('span', { class: 'sym' }, r.symbol), ...(r.name ? [' ', el('span', { class: 'name' }, r.name)] : [])]
      : [fmt.shortToken(r.token)]))
  }

  function updateRow (tr, r, rank, showValue) {
    for (const cell of tr.children) {
      const key = cell.dataset.col
      if (key === 'token') { renderToken(cell, r); continue }
      let text
      if (key === 'rank') text = String(rank)
      else if (key === 'value') text = showValue ? fmt.statValue(params.stat, r.value) : ''
      else {
        const c = COLUMNS.find(col => col.key === key)
        text = c.render(r)
        if (c.title !== undefined) cell.title = c.title(r)
        if (c.change !== undefined) { setCell(cell, text, fmt.windowChange(r.window, c.change)); continue }
      }
      if (cell.textContent !== text) {
        if (key === 'price' && cell.textContent !== '') flash(cell, r.lastPrice, cell.dataset.v)
        cell.textContent = text
      }
      if (key === 'price') cell.dataset.v = String(r.lastPrice)
      if (key === 'change') cell.className = 'num ' + dirClass(r.window?.priceChangePct)
    }
  }

  function flash (cell, now, before) {
    const d = Number(now) - Number(before)
    if (!Number.isFinite(d) || d === 0) return
    cell.classList.remove('flash-up', 'flash-down')
    void cell.offsetWidth // restart the animation
    cell.classList.add(d > 0 ? 'flash-up' : 'flash-down')
  }

  function dirClass (x) {
    const d = fmt.direction(x)
    return d > 0 ? 'up' : d < 0 ? 'down' : ''
  }

  function tick () {
    if (lastAsOf === null) return
    const a = fmt.age(lastAsOf, ctx.now())
    freshness.textContent = `${items.length} tokens · as of ${fmt.clock(lastAsOf)} (${a} ago)`
    freshness.title = lastAsOf
    freshness.classList.toggle('stale', ctx.now() - Date.parse(lastAsOf) > 10_000)
  }

  syncControls()
  subscribe()
  const ticker = setInterval(tick, 1000)

  return {
    kind: 'list',
    update (p) { params = { ...p }; syncControls(); subscribe() },
    unmount () { clearInterval(ticker); sub?.close(); sub = null }
  }
}
