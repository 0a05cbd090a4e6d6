/**
 * A model, not a measurement: the buckets and trader entries the engine would hold at the end
 * of `BENCH_DAY_HOURS` (default 24) at 1,000 swaps/s, from the generator's distributions alone
 * (issue #19; docs/engine.md "A full day"). bench:day measures the engine itself but a day of
 * it is over an hour of CPU; this says what the full day holds where bench:day cannot reach.
 *
 * - Tokens: Zipf 1.1 over N ranks, 90 % of the traffic (the generator's bursts take ~10 %, on
 *   random tokens for ~30 s: few buckets). A token of rate λ has, in a level of step s
 *   covering D seconds, D/s · (1 − e^(−λs)) buckets with a swap (Poisson), of which
 *   D/s · λs · e^(−λs) hold exactly one. Levels as the default windows fold them: 1 s over the
 *   newest 15 min, 5 s up to 1 h, 30 s up to 8 h, 2 min up to 24 h.
 * - Traders of a token over the horizon: 70 % of swaps from its community (Zipf 1.0 over
 *   5,000 wallets), 30 % from bots (Zipf 1.2 over 64): the expected number of distinct ones
 *   after n swaps, Σ (1 − e^(−n·p)).
 *
 * Against the engine at 15 min (bench:day, 12-07): buckets 235,373 / 356,852 / 395,687 modelled
 * against 181,346 / 307,747 / 330,650 measured (1k / 20k / 100k tokens; the model ignores that
 * swaps sit at block starts, 12 s apart on Ethereum, so it over-counts the 1 s level), trader
 * entries 201,729 / 309,620 / 351,136 against 218,513 / 331,559 / 350,859.
 *
 *   node --import tsx bench/day-model.ts            (BENCH_DAY_HOURS, BENCH_DAY_TOKENS)
 */
const HOURS = Number(process.env.BENCH_DAY_HOURS ?? 24)
const TOKENS = (process.env.BENCH_DAY_TOKENS ?? '1000,20000,100000').split(',').map(Number)
const RATE = 1000
const ZIPF_SHARE = 0.9
const LEVELS = [[1, 0, 900], [5, 900, 3600], [30, 3600, 8 * 3600], [120, 8 * 3600, 24 * 3600]]

const zipf = (n: number, s: number): number[] => {
  const p = Array.from({ length: n }, (_, k) => Math.pow(k + 1, -s))
  const sum = p.reduce((a, b) => a + b, 0)
  return p.map((x) => x / sum)
}
const community = zipf(5000, 1.0)
const bots = zipf(64, 1.2)

/** expected distinct traders after n swaps of one token, on a grid of log n (interpolated) */
const grid = new Map<number, number>()
function distinctAt (g: number): number {
  let d = grid.get(g)
  if (d === undefined) {
    const n = Math.exp(g / 20)
    d = 0
    for (const q of community) d += 1 - Math.exp(-0.7 * n * q)
    for (const q of bots) d += 1 - Math.exp(-0.3 * n * q)
    grid.set(g, d)
  }
  return d
}
function distinct (n: number): number {
  if (n < 1) return n
  const x = Math.log(n) * 20
  const g = Math.floor(x)
  return distinctAt(g) * (1 - (x - g)) + distinctAt(g + 1) * (x - g)
}

const T = HOURS * 3600
const swaps = T * RATE
for (const n of TOKENS) {
  const p = zipf(n, 1.1)
  const buckets = LEVELS.map(() => 0)
  const one = LEVELS.map(() => 0)
  let traders = 0
  for (const pr of p) {
    const lam = RATE * ZIPF_SHARE * pr
    LEVELS.forEach(([s, a0, a1], i) => {
      const d = Math.max(0, Math.min(a1, T) - a0)
      buckets[i] += d / s * (1 - Math.exp(-lam * s))
      one[i] += d / s * lam * s * Math.exp(-lam * s)
    })
    traders += distinct(lam * T)
  }
  const b = buckets.reduce((x, y) => x + y, 0)
  const o = one.reduce((x, y) => x + y, 0)
  const per = (bytes: number): string => (bytes / swaps).toFixed(1)
  console.log(`${n.toLocaleString()} tokens, ${HOURS} h (${swaps.toLocaleString()} swaps): buckets ${Math.round(b).toLocaleString()} (per level ${buckets.map((x) => Math.round(x).toLocaleString()).join(' / ')}), ` +
    `${Math.round(o).toLocaleString()} holding one swap (${(100 * o / b).toFixed(0)} %): ${per(b * 256)} B per swap at 256 B; ` +
    `with one-swap buckets at 80 B ${per(o * 80 + (b - o) * 256)}; all at 128 B ${per(b * 128)}. ` +
    `Trader entries ${Math.round(traders).toLocaleString()}: ${per(traders * 24)} B per swap at 24 B`)
}
