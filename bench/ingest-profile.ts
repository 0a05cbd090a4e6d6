import { createEngine } from '../src/engine/index.js'
import { parseDecimal18 } from '../src/swap/decimal18.js'
const T0 = Date.parse('2026-01-01T00:00:00Z')
function rng (seed: number) { let x = seed; return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296 } }
const mode = process.argv[2] ?? 'zipf'
const N = 1_000_000, tokens = mode === 'zipf' ? 100_000 : 800
const rand = rng(42)
const cdf = new Float64Array(tokens); let sum = 0
for (let k = 0; k < tokens; k++) { sum += 1 / Math.pow(k + 1, 1.1); cdf[k] = sum }
for (let k = 0; k < tokens; k++) cdf[k] /= sum
const names = Array.from({ length: tokens }, (_, k) => '0x' + (k + 1).toString(16).padStart(40, '0'))
const traders = Array.from({ length: 50000 }, (_, k) => '0x' + (k * 7919 + 1).toString(16).padStart(40, 'a'))
const a = parseDecimal18('12.345678901234') as any, u = parseDecimal18('1234.567891') as any
const swaps: any[] = []
for (let i = 0; i < N; i++) {
  const r = rand(); let lo = 0, hi = tokens - 1
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < r) lo = mid + 1; else hi = mid }
  swaps.push({ id: '0x' + i.toString(16).padStart(64, '0') + ':1', chain: 'ethereum', blockNumber: 1 + (i >> 8), logIndex: i & 255, blockTime: T0 + Math.floor(i / 2), token: names[lo], quoteToken: undefined, pool: undefined, trader: traders[Math.floor(rand() * 50000)], side: rand() < 0.5 ? 0 : 1, amount: a, amountUsd: u, price: 100 })
}
// strings built by concatenation are cons strings; decoded input is flat: flatten before timing
for (const sw of swaps) { sw.id.charCodeAt(0); sw.trader.charCodeAt(0) }
for (let run = 0; run < 5; run++) {
  const e = createEngine({ now: T0 + 1000 })
  const t = performance.now()
  for (let i = 0; i < N; i++) { if (i % 200 === 0) e.advance(swaps[i].blockTime + 1000); e.ingest(swaps[i]) }
  console.log(mode, Math.round(N / ((performance.now() - t) / 1000)), 'swaps/s', e.tokenCount)
}
