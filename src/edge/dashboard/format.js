// Number and time formatting for the dashboard. Pure functions: no DOM, no clock (callers pass
// `now`), so every view renders the same value the same way.

const compactUsd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 2 })
const fullUsd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 })
const compactNum = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 })
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

const SUBSCRIPT = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉']

/** USD volume, given as the exact decimal string of the stats object: "$1.16M" (compact) */
export function usd (dec) {
  if (dec === null || dec === undefined) return '—'
  const n = Number(dec)
  if (!Number.isFinite(n)) return '—'
  return n < 1000 ? fullUsd.format(n) : compactUsd.format(n)
}

/** the exact decimal string with thousands separators, for titles and the token table */
export function exactDecimal (dec) {
  if (typeof dec !== 'string') return '—'
  const [int, frac] = dec.split('.')
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return frac === undefined ? grouped : grouped + '.' + frac
}

/** token amounts and other large plain numbers: "1.94M" */
export function amount (dec) {
  if (dec === null || dec === undefined) return '—'
  const n = Number(dec)
  return Number.isFinite(n) ? compactNum.format(n) : '—'
}

/** counts: "1,234" */
export function count (n) {
  return typeof n === 'number' && Number.isFinite(n) ? integer.format(n) : '—'
}

/**
 * A price the way screeners print them: four significant digits, and below 0.0001 the run of
 * zeros as a subscript (0.0000055465 → "0.0₅5547"), so tiny prices stay readable in a column.
 */
export function price (p) {
  if (typeof p !== 'number' || !Number.isFinite(p)) return '—'
  if (p === 0) return '0'
  const a = Math.abs(p)
  const sign = p < 0 ? '-' : ''
  if (a >= 1000) return sign + integer.format(a)
  if (a >= 1) return sign + a.toFixed(a >= 100 ? 2 : 4)
  if (a >= 0.0001) return sign + a.toPrecision(4)
  // a = m × 10^e with e ≤ -5: "0." + (−e − 1) zeros + digits of m
  const [mant, expText] = a.toExponential(3).split('e')
  const zeros = -Number(expText) - 1
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0'
  const sub = String(zeros).split('').map(d => SUBSCRIPT[Number(d)]).join('')
  return sign + '0.0' + sub + digits
}

/** a price change in percent: "+1.25%", "−3.40%" */
export function pct (x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—'
  const abs = Math.abs(x)
  const text = abs >= 1000 ? compactNum.format(abs) : abs.toFixed(2)
  return (x > 0 ? '+' : x < 0 ? '−' : '') + text + '%'
}

/** -1, 0 or 1: the sign class of a change, for colour */
export function direction (x) {
  return typeof x !== 'number' || !Number.isFinite(x) || x === 0 ? 0 : x > 0 ? 1 : -1
}

/** "0x5219…a459" for long addresses; short symbols stay as they are */
export function shortToken (token) {
  return token.length > 14 ? token.slice(0, 6) + '…' + token.slice(-4) : token
}

/** how long ago `iso` was, relative to `now` (ms): "0.4 s", "12 s", "3 min", "2 h" */
export function age (iso, now) {
  const t = Date.parse(iso)
  if (!Number.isFinite(t)) return '—'
  const s = Math.max(0, (now - t) / 1000)
  if (s < 10) return s.toFixed(1) + ' s'
  if (s < 120) return Math.round(s) + ' s'
  if (s < 7200) return Math.round(s / 60) + ' min'
  return Math.round(s / 3600) + ' h'
}

/** "14:29:41" in the viewer's time zone (full ISO goes in the title) */
export function clock (iso) {
  const t = Date.parse(iso)
  if (!Number.isFinite(t)) return '—'
  return new Date(t).toLocaleTimeString('en-GB', { hour12: false })
}

/** a statistic's value as text, whatever its kind (used for the "ranked by" column) */
export function statValue (stat, value) {
  if (value === null || value === undefined) return '—'
  if (/VolumeUsd$|^volumeUsd$/.test(stat)) return usd(value)
  if (/^(buy|sell)?[vV]olume$/.test(stat)) return amount(value)
  if (stat === 'priceChangePct') return pct(Number(value))
  if (['txns', 'buys', 'sells', 'traders', 'buyers', 'sellers'].includes(stat)) return count(Number(value))
  return price(Number(value))
}

/**
 * What a token is called on screen: its symbol from the `tokens` topic when the edge has one,
 * else the short address. `t` is anything with `token` and optional `symbol` (a stats object, a
 * ranked row, a search item).
 */
export function tokenLabel (t) {
  return typeof t.symbol === 'string' && t.symbol !== '' ? t.symbol : shortToken(t.token)
}

/**
 * The previous-window change of one statistic (issue #22 §2: `changePct` of a window object,
 * {volumeUsd, txns, traders}, each a number or null when the previous window had nothing).
 * undefined when the window carries no `changePct` at all (an edge without that feature: show
 * nothing); else {text, dir} with "—" for null.
 */
export function windowChange (window, field) {
  const c = window?.changePct
  if (c === undefined || c === null || typeof c !== 'object' || !(field in c)) return undefined
  const v = c[field]
  return { text: typeof v === 'number' && Number.isFinite(v) ? pct(v) : '—', dir: direction(v) }
}
