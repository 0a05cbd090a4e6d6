// Small DOM helpers shared by the views, and the statistic names the edge can rank by
// (src/edge/rank-value.ts RANK_STATS) with their labels.

/**
 * el('a', {href, class, onclick}, children): an element with attributes, `on*` listeners and
 * children (strings become text nodes: never innerHTML, so token names cannot inject markup).
 */
export function el (tag, attrs = {}, children = []) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v)
    else if (v === true) node.setAttribute(k, '')
    else node.setAttribute(k, String(v))
  }
  for (const c of Array.isArray(children) ? children : [children]) {
    if (c === null || c === undefined) continue
    node.append(typeof c === 'string' ? document.createTextNode(c) : c)
  }
  return node
}

export const STATS = [
  'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume',
  'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers',
  'priceChangePct', 'open', 'close', 'high', 'low', 'vwap', 'lastPrice'
]

const LABELS = {
  volumeUsd: 'Volume (USD)',
  buyVolumeUsd: 'Buy volume (USD)',
  sellVolumeUsd: 'Sell volume (USD)',
  volume: 'Volume (tokens)',
  buyVolume: 'Buy volume (tokens)',
  sellVolume: 'Sell volume (tokens)',
  txns: 'Transactions',
  buys: 'Buys',
  sells: 'Sells',
  traders: 'Traders',
  buyers: 'Buyers',
  sellers: 'Sellers',
  priceChangePct: 'Price change %',
  open: 'Open',
  close: 'Close',
  high: 'High',
  low: 'Low',
  vwap: 'VWAP',
  lastPrice: 'Last price',
  from: 'From',
  to: 'To'
}

export function statLabel (s) {
  return LABELS[s] ?? s
}

/** "30s" "5m" "24h" "7d" → ms, for ordering windows; unknown forms sort last */
export function windowMs (name) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(name)
  if (m === null) return Number.MAX_SAFE_INTEGER
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2]]
  return Number(m[1]) * unit
}

/**
 * A value cell, and beside the value its previous-window change when there is one
 * (format.windowChange: undefined = none). Touches the DOM only when what it shows changed.
 */
export function setCell (cell, text, change) {
  const shown = change === undefined ? text : text + '\u0000' + change.text
  if (cell.dataset.shown === shown) return
  cell.dataset.shown = shown
  if (change === undefined) { cell.textContent = text; return }
  const cls = 'chg ' + (change.dir > 0 ? 'up' : change.dir < 0 ? 'down' : 'flat')
  cell.replaceChildren(text, ' ', el('span', { class: cls, title: 'change against the previous window' }, change.text))
}
