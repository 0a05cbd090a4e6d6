// Charts drawn on <canvas> by hand (no library): the token page's live price line over volume
// bars, and the per-window volume bars. Each draw sizes the backing store to the element's CSS
// size × devicePixelRatio, so lines stay sharp on any screen and after any resize.

import { price as fmtPrice, usd } from './format.js'

const COLORS = {
  grid: '#2a3140',
  text: '#8b95a7',
  line: '#4da3ff',
  fill: 'rgba(77, 163, 255, 0.12)',
  buy: '#2fbf71',
  sell: '#f0616d'
}

function prepare (canvas) {
  const dpr = globalThis.devicePixelRatio || 1
  const w = Math.max(1, Math.round(canvas.clientWidth))
  const h = Math.max(1, Math.round(canvas.clientHeight))
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr)
    canvas.height = Math.round(h * dpr)
  }
  const g = canvas.getContext('2d')
  g.setTransform(dpr, 0, 0, dpr, 0, 0)
  g.clearRect(0, 0, w, h)
  g.font = '11px system-ui, sans-serif'
  return { g, w, h }
}

function timeLabel (t) {
  return new Date(t).toLocaleTimeString('en-GB', { hour12: false })
}

/**
 * Price line (top 70 %) over volume bars (bottom 30 %) against time.
 * points: [{t: ms, price: number|null, buyUsd: number, sellUsd: number}], oldest first;
 * buyUsd/sellUsd are the smallest window's volumes at that moment (stacked bars).
 * The line is a step: the edge pushes only changes, so a price holds until the next update,
 * and the last one is drawn on to `until` (the newest asOf seen, or the clock).
 */
export function drawPriceVolume (canvas, points, until = 0) {
  const { g, w, h } = prepare(canvas)
  const left = 8
  const right = w - 70
  const top = 8
  const priceBottom = Math.round(h * 0.68)
  const volTop = priceBottom + 14
  const bottom = h - 18
  g.strokeStyle = COLORS.grid
  g.lineWidth = 1
  g.beginPath(); g.moveTo(left, priceBottom + 0.5); g.lineTo(right, priceBottom + 0.5); g.stroke()

  const priced = points.filter(p => typeof p.price === 'number' && Number.isFinite(p.price))
  if (priced.length === 0) {
    g.fillStyle = COLORS.text
    g.fillText('waiting for trades…', left + 4, top + 14)
    return
  }
  const t0 = points[0].t
  const t1 = Math.max(points[points.length - 1].t, until, t0 + 1000)
  const x = t => left + (right - left) * (t - t0) / (t1 - t0)

  let lo = Infinity
  let hi = -Infinity
  for (const p of priced) { if (p.price < lo) lo = p.price; if (p.price > hi) hi = p.price }
  if (hi === lo) { const pad = Math.abs(hi) * 0.001 || 1e-12; hi += pad; lo -= pad }
  const y = v => top + (priceBottom - top - 4) * (hi - v) / (hi - lo)

  g.beginPath()
  priced.forEach((p, i) => {
    if (i === 0) g.moveTo(x(p.t), y(p.price))
    else { g.lineTo(x(p.t), y(priced[i - 1].price)); g.lineTo(x(p.t), y(p.price)) }
  })
  g.lineTo(x(t1), y(priced[priced.length - 1].price))
  g.strokeStyle = COLORS.line
  g.lineWidth = 1.5
  g.stroke()
  g.lineTo(x(t1), priceBottom)
  g.lineTo(x(priced[0].t), priceBottom)
  g.closePath()
  g.fillStyle = COLORS.fill
  g.fill()
  g.fillStyle = COLORS.text
  g.fillText(fmtPrice(hi), right + 6, top + 10)
  g.fillText(fmtPrice(lo), right + 6, priceBottom - 4)

  let vmax = 0
  for (const p of points) vmax = Math.max(vmax, p.buyUsd + p.sellUsd)
  if (vmax > 0) {
    const bw = Math.max(1, Math.min(8, (right - left) / points.length - 1))
    const vy = v => bottom - (bottom - volTop) * v / vmax
    for (const p of points) {
      const px = x(p.t) - bw / 2
      g.fillStyle = COLORS.buy
      g.fillRect(px, vy(p.buyUsd), bw, bottom - vy(p.buyUsd))
      g.fillStyle = COLORS.sell
      g.fillRect(px, vy(p.buyUsd + p.sellUsd), bw, vy(p.buyUsd) - vy(p.buyUsd + p.sellUsd))
    }
    g.fillStyle = COLORS.text
    g.fillText(usd(String(vmax)), right + 6, volTop + 10)
  }
  g.fillStyle = COLORS.text
  g.fillText(timeLabel(t0), left, h - 4)
  const endLabel = timeLabel(t1)
  g.fillText(endLabel, right - g.measureText(endLabel).width, h - 4)
}

/**
 * One stacked bar per window: buy (green) and sell (red) USD volume, on a log scale because
 * 1m and 24h volumes differ by orders of magnitude.
 * bars: [{label: "5m", buyUsd: number, sellUsd: number}]
 */
export function drawWindowBars (canvas, bars) {
  const { g, w, h } = prepare(canvas)
  const bottom = h - 20
  const top = 16
  let max = 0
  for (const b of bars) max = Math.max(max, b.buyUsd + b.sellUsd)
  const n = Math.max(1, bars.length)
  const slot = (w - 8) / n
  const bw = Math.max(4, Math.min(40, slot * 0.6))
  const scale = v => v <= 0 || max <= 0 ? 0 : (bottom - top) * Math.log10(1 + v) / Math.log10(1 + max)
  g.textAlign = 'center'
  bars.forEach((b, i) => {
    const cx = 4 + slot * (i + 0.5)
    const total = b.buyUsd + b.sellUsd
    const hTotal = scale(total)
    const hBuy = total > 0 ? hTotal * b.buyUsd / total : 0
    g.fillStyle = COLORS.buy
    g.fillRect(cx - bw / 2, bottom - hBuy, bw, hBuy)
    g.fillStyle = COLORS.sell
    g.fillRect(cx - bw / 2, bottom - hTotal, bw, hTotal - hBuy)
    g.fillStyle = COLORS.text
    g.fillText(b.label, cx, h - 6)
    if (total > 0 && slot > 36) g.fillText(usd(String(total)), cx, bottom - hTotal - 4)
  })
  g.textAlign = 'start'
}
