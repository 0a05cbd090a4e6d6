// The token page's candle chart: TradingView's lightweight-charts (served by the edge from
// node_modules at vendor/lightweight-charts.js, loaded only when a token page opens), candles
// over a USD volume histogram, an interval picker, a legend of the newest candle.
//
//   history  GET v1/tokens/{chain}/{token}/candles?interval=…  (newest HISTORY_LIMIT candles)
//   live     WebSocket {candles:{token, interval}}: snapshot = newest candle, updates = every
//            candle that changed (the open one, or an older one a late swap corrected)
//
// The subscription opens before the history is fetched; candles pushed meanwhile wait and are
// merged in. A candle only ever gains swaps (a late swap adds one, duplicates never count), so
// of two versions of one candle the one with more txns is the newer: a slow HTTP answer cannot
// undo a pushed update. Any snapshot after the first (a resync after a sequence gap, or a
// reconnect) means pushes were missed, so the history is fetched again.

import * as fmt from './format.js'
import { el } from './dom.js'

const HISTORY_LIMIT = 1000
const COLORS = { up: '#2fbf71', down: '#f0616d', text: '#8b95a7', grid: '#1b2230', line: '#232c3b' }
const STORAGE_KEY = 'volumer.candleInterval'

/** "2021-06-16T02:46:00.000Z" → Unix seconds, the chart's UTCTimestamp */
function secondsOf (iso) {
  return Math.floor(Date.parse(iso) / 1000)
}

/** the interval to open with: the one last picked (any token), else 1m, else the shortest */
function initialInterval (intervals) {
  let saved = null
  try { saved = localStorage.getItem(STORAGE_KEY) } catch {}
  if (saved !== null && intervals.includes(saved)) return saved
  return intervals.includes('1m') ? '1m' : intervals[0]
}

const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** chart prices: like the tables, but cents above 1,000 (axis steps of 2,544 vs 2,545 are too coarse) */
function chartPrice (p) {
  return typeof p === 'number' && Math.abs(p) >= 1000 ? cents.format(p) : fmt.price(p)
}

/** a price scale step for this price: ~6 significant digits, like the UDF pricescale */
function minMoveFor (p) {
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) return 0.01
  return 10 ** (Math.floor(Math.log10(p)) - 5)
}

const localTime = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false })
const localTimeSec = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
const localDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' })
const localFull = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })

/** axis labels in the viewer's time zone (the library's own are UTC); TickMarkType 0…4 */
function tickMark (t, type) {
  const d = new Date(t * 1000)
  if (type === 0) return String(d.getFullYear())
  if (type === 1) return d.toLocaleString('en-GB', { month: 'short' })
  if (type === 2) return localDay.format(d)
  return (type === 4 ? localTimeSec : localTime).format(d)
}

/**
 * @param ctx {feed, candleIntervals, candlesUrl(chain, token, interval, limit)}
 * @returns {{node: HTMLElement, setLastPrice(p): void, unmount(): void, debug: object}}
 */
export function mountCandleChart (ctx, chain, token) {
  const key = chain + ':' + token
  const intervals = ctx.candleIntervals
  let interval = initialInterval(intervals)
  let lib = null
  let chart = null
  let candles = null
  let volumes = null
  let sub = null
  let gen = 0
  let closed = false
  // a freshly started edge answers candles with NOT_READY (503) until its candle feed has caught
  // up (docs/http-api.md): the chart asks again a second later instead of showing an error
  let retryTimer = null
  function retrySoon () {
    if (retryTimer !== null || closed) return
    legend.textContent = 'the edge is catching up with candles; retrying…'
    retryTimer = setTimeout(() => { retryTimer = null; if (!closed) follow() }, 1000)
  }
  let minMove = 0
  /** start (s) → candle as served, of the current interval */
  let bars = new Map()
  let lastTime = -Infinity
  /** null = history loaded; else the pushed candles waiting for it */
  let pending = []
  let snapshots = 0
  const debug = { interval, fetches: 0, liveCandles: 0, resyncs: 0, error: null }

  const buttons = intervals.map(iv => el('button', {
    type: 'button', class: 'interval', 'data-interval': iv, 'aria-pressed': String(iv === interval), onclick: () => pick(iv)
  }, iv))
  const legend = el('p', { class: 'legend', id: 'candle-legend', 'aria-live': 'off' }, 'loading candles…')
  const box = el('div', { class: 'candle-box', id: 'candle-chart', role: 'img', 'aria-label': 'Candles (open, high, low, close) with USD volume bars below; the newest candle updates live' })
  const note = el('p', { class: 'empty chart-note', id: 'candle-note', hidden: true })
  const node = el('figure', { class: 'chart wide' }, [
    el('figcaption', {}, [
      el('span', {}, 'Price'),
      el('span', { class: 'intervals', role: 'group', 'aria-label': 'Candle interval' }, buttons),
      legend
    ]),
    box,
    note
  ])

  function showNote (text) {
    note.hidden = text === null
    if (text !== null) note.textContent = text
  }

  function barOf (c) {
    return { time: secondsOf(c.start), open: c.open, high: c.high, low: c.low, close: c.close }
  }

  function volumeOf (c) {
    return { time: secondsOf(c.start), value: Number(c.volumeUsd), color: c.close >= c.open ? 'rgba(47, 191, 113, 0.45)' : 'rgba(240, 97, 109, 0.45)' }
  }

  /** keeps the newer of two versions of a candle (more swaps): 'new', 'changed', or null = kept the old */
  function merge (c) {
    const t = secondsOf(c.start)
    if (!Number.isFinite(t)) return null
    const had = bars.get(t)
    if (had !== undefined && had.txns > c.txns) return null
    bars.set(t, c)
    return had === undefined ? 'new' : 'changed'
  }

  function renderLegend () {
    const c = bars.get(lastTime)
    if (c === undefined) { legend.textContent = `no candles of ${interval} yet`; return }
    const cls = c.close >= c.open ? 'up' : 'down'
    legend.replaceChildren(
      el('span', { class: 'muted' }, localFull.format(new Date(lastTime * 1000)) + ' '),
      'O ', el('span', { class: cls, 'data-k': 'open' }, chartPrice(c.open)),
      ' H ', el('span', { class: cls, 'data-k': 'high' }, chartPrice(c.high)),
      ' L ', el('span', { class: cls, 'data-k': 'low' }, chartPrice(c.low)),
      ' C ', el('span', { class: cls, 'data-k': 'close' }, chartPrice(c.close)),
      ' Vol ', el('span', { 'data-k': 'volumeUsd' }, fmt.usd(c.volumeUsd)),
      ' Txns ', el('span', { 'data-k': 'txns' }, fmt.count(c.txns))
    )
  }

  /** draws everything held (after a history load, or once the library arrives) */
  function setAll () {
    const sorted = [...bars.keys()].sort((a, b) => a - b)
    lastTime = sorted.length === 0 ? -Infinity : sorted[sorted.length - 1]
    renderLegend()
    showNote(sorted.length === 0 ? `No ${interval} candles for this token yet: the chart fills in as it trades.` : null)
    if (chart === null) return
    candles.setData(sorted.map(t => barOf(bars.get(t))))
    volumes.setData(sorted.map(t => volumeOf(bars.get(t))))
    adjustPriceFormat()
    // few candles: spread them over the width; many: the library's default (newest at the right)
    if (sorted.length > 0 && sorted.length < 120) chart.timeScale().fitContent()
  }

  function adjustPriceFormat () {
    if (chart === null) return
    const c = bars.get(lastTime)
    const m = minMoveFor(c?.close)
    if (c === undefined || m === minMove) return
    minMove = m
    candles.applyOptions({ priceFormat: { type: 'custom', minMove: m, formatter: chartPrice } })
  }

  function applyLive (list) {
    let redraw = false
    for (const c of list) {
      const kind = merge(c)
      if (kind === null) continue
      debug.liveCandles++
      const t = secondsOf(c.start)
      if (t >= lastTime) {
        // the open candle, or a newer one: update() replaces the last bar or appends
        lastTime = t
        if (chart !== null) { candles.update(barOf(c), false); volumes.update(volumeOf(c), false) }
      } else if (kind === 'changed') {
        // an older candle a late swap corrected: the library's historical update
        if (chart !== null) { candles.update(barOf(c), true); volumes.update(volumeOf(c), true) }
      } else {
        // a late swap in a period that had no candle: update() cannot insert, so draw all again
        redraw = true
      }
    }
    if (redraw) { setAll(); return }
    adjustPriceFormat()
    renderLegend()
    showNote(null)
  }

  async function loadHistory () {
    const my = ++gen
    pending ??= []
    debug.fetches++
    let body
    try {
      const res = await fetch(ctx.candlesUrl(chain, token, interval, HISTORY_LIMIT))
      body = await res.json()
      if (res.status === 503) { if (my === gen) retrySoon(); return }
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`)
    } catch (err) {
      if (my !== gen || closed) return
      debug.error = err.message
      // live candles still draw
      for (const c of pending ?? []) merge(c)
      pending = null
      setAll()
      legend.textContent = 'cannot load the candle history: ' + err.message
      return
    }
    if (my !== gen || closed) return
    bars = new Map()
    for (const c of body.candles) merge(c)
    for (const c of pending) merge(c)
    pending = null
    setAll()
  }

  function onCandles (list, type) {
    if (type === 'snapshot' && ++snapshots > 1) {
      // pushes were missed (a sequence gap or a reconnect): the history may be stale too
      debug.resyncs++
      void loadHistory()
    }
    if (!Array.isArray(list) || list.length === 0) return
    if (pending !== null) { pending.push(...list); return }
    applyLive(list)
  }

  function follow () {
    sub?.close()
    snapshots = 0
    pending = []
    sub = ctx.feed.subscribe({ candles: { token: key, interval } }, onCandles, err => {
      if (err.code === 'NOT_READY') { retrySoon(); return }
      legend.textContent = 'cannot follow candles: ' + err.message
    })
    void loadHistory()
  }

  function pick (iv) {
    if (iv === interval) return
    interval = iv
    debug.interval = iv
    try { localStorage.setItem(STORAGE_KEY, iv) } catch {}
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.interval === iv))
    bars = new Map()
    lastTime = -Infinity
    legend.textContent = 'loading candles…'
    if (chart !== null) { candles.setData([]); volumes.setData([]) }
    follow()
  }

  function create () {
    const { createChart, CandlestickSeries, HistogramSeries } = lib
    chart = createChart(box, {
      autoSize: true,
      layout: { background: { color: 'transparent' }, textColor: COLORS.text, fontFamily: 'system-ui, sans-serif' },
      grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
      rightPriceScale: { borderColor: COLORS.line },
      timeScale: { borderColor: COLORS.line, timeVisible: true, secondsVisible: intervals.some(iv => /^\d+s$/.test(iv)), tickMarkFormatter: tickMark },
      localization: { timeFormatter: t => localFull.format(new Date(t * 1000)) }
    })
    candles = chart.addSeries(CandlestickSeries, {
      upColor: COLORS.up, downColor: COLORS.down, borderVisible: false, wickUpColor: COLORS.up, wickDownColor: COLORS.down
    })
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } })
    volumes = chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false,
      priceFormat: { type: 'custom', minMove: 0.01, formatter: v => fmt.usd(String(v)) }
    })
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } })
    debug.series = candles
    debug.volumes = volumes
  }

  // the library is fetched once per page (the module cache keeps it); the candles are fetched
  // at once, so they are ready when it is
  follow()
  import('./vendor/lightweight-charts.js').then(mod => {
    if (closed) return
    lib = mod
    create()
    if (pending === null) setAll()
  }).catch(err => {
    debug.error = 'chart library: ' + err.message
    showNote('The chart library could not be loaded (vendor/lightweight-charts.js): ' + err.message)
  })

  return {
    node,
    debug,
    unmount () {
      closed = true
      if (retryTimer !== null) clearTimeout(retryTimer)
      sub?.close()
      sub = null
      chart?.remove()
      chart = null
    }
  }
}
