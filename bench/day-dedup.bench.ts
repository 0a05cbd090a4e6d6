/**
 * The dedup sets alone over a full day at the brief's rate (issue #19): what bench:day cannot
 * reach on a shared 2-core machine (a whole engine day is 86.4 M generated swaps, over an hour
 * of CPU), for the one part of the state that grows with every swap held. 1,000 keys per second
 * of event time from 2026-12-06T00:00Z, tokens drawn Zipf 1.1 as the generator's defaults (by
 * bisection of the cumulative distribution, cheaper than its sampler; no bursts), random 64-bit keys, the horizon 24 h behind the clock as with the default
 * windows. Reports the sets' bytes per key held (arrays as allocated) at each hour mark, and
 * the CPU time per add (user + system: on a shared machine wall time mostly measures waiting).
 *
 *   npm run bench:day-dedup                          24 h, 1,000 / 20,000 / 100,000 tokens
 *   BENCH_DAY_HOURS=8 BENCH_DAY_TOKENS=1000 npm run bench:day-dedup
 *
 * Writes bench/results/day-dedup.json (day-dedup-<hours>h.json for a shorter run).
 * Not modelled: a token's first swap (kept raw, outside the sets), tokens dropped when idle
 * for a day (the engine frees their sets), bursts.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { SlicedDedup } from '../src/engine/dedup-slices.js'
import { Random } from '../src/generator/random.js'

const RATE = 1000
const START = Date.parse('2026-12-06T00:00:00Z')
const HORIZON_MS = 86_400_000
const HOURS = Number(process.env.BENCH_DAY_HOURS ?? 24)
const TOKENS = (process.env.BENCH_DAY_TOKENS ?? '1000,20000,100000').split(',').map(Number)
const SEED = 7

interface Mark { hour: number, keys: number, capacityBytes: number, sealedBytes: number, bytesPerKey: number }
interface Scenario { tokens: number, hours: number, keys: number, cpuNsPerAdd: number, wallNsPerAdd: number, load1AtEnd: number, marks: Mark[] }

function run (tokens: number): Scenario {
  const dd = new SlicedDedup()
  // P(rank k) ∝ k^-1.1, k = 1..tokens
  const cdf = new Float64Array(tokens)
  let sum = 0
  for (let k = 1; k <= tokens; k++) { sum += Math.pow(k, -1.1); cdf[k - 1] = sum }
  for (let k = 0; k < tokens; k++) cdf[k] /= sum
  const random = new Random(SEED)
  const handles = new Int32Array(tokens + 1).fill(-1)
  const n = Math.round(HOURS * 3600 * RATE)
  const marks: Mark[] = []
  let ns = 0n
  let cpuUs = 0
  const perHour = 3600 * RATE
  for (let from = 0; from < n; from += perHour) {
    const to = Math.min(n, from + perHour)
    const t0 = process.hrtime.bigint()
    const c0 = process.cpuUsage()
    for (let i = from; i < to; i++) {
      const t = START + i * 1000 / RATE
      const u = random.float()
      let lo0 = 0; let hi0 = tokens - 1
      while (lo0 < hi0) { const mid = (lo0 + hi0) >>> 1; if (cdf[mid] <= u) lo0 = mid + 1; else hi0 = mid }
      const tok = lo0
      const hi = random.u32() | 0
      const lo = (random.u32() | 1)
      let hd = handles[tok]
      if (hd < 0) hd = dd.create()
      const r = dd.add(hd, t, hi, lo, t - HORIZON_MS)
      if (r >= 0) handles[tok] = r
    }
    const c = process.cpuUsage(c0)
    cpuUs += c.user + c.system
    ns += process.hrtime.bigint() - t0
    // every key added so far is inside the horizon while HOURS ≤ 24
    const sealedBytes = (dd as { sealedBytes?: number }).sealedBytes ?? 0
    marks.push({ hour: to / perHour, keys: to, capacityBytes: dd.capacityBytes, sealedBytes, bytesPerKey: dd.capacityBytes / to })
  }
  return { tokens, hours: HOURS, keys: n, cpuNsPerAdd: cpuUs * 1000 / n, wallNsPerAdd: Number(ns) / n, load1AtEnd: loadavg()[0], marks }
}

const results: Scenario[] = []
for (const tokens of TOKENS) {
  const s = run(tokens)
  console.log(`${tokens.toLocaleString()} tokens, ${HOURS} h (${s.keys.toLocaleString()} keys): ${s.cpuNsPerAdd.toFixed(0)} ns of CPU per add (${s.wallNsPerAdd.toFixed(0)} wall; load ${s.load1AtEnd.toFixed(2)}); bytes per key held at hour ` +
    s.marks.filter((m) => [1, 2, 4, 8, 12, 16, 24].includes(m.hour) || m === s.marks[s.marks.length - 1]).map((m) => `${m.hour}: ${m.bytesPerKey.toFixed(1)}`).join(', '))
  results.push(s)
}
const name = HOURS === 24 ? 'day-dedup.json' : `day-dedup-${HOURS}h.json`
mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true })
writeFileSync(join(process.cwd(), 'bench', 'results', name), JSON.stringify({ bench: 'day-dedup', node: process.version, cpu: cpus()[0]?.model, at: new Date().toISOString(), rate: RATE, hours: HOURS, seed: SEED, scenarios: results }, null, 2) + '\n')
console.log('wrote bench/results/' + name)
