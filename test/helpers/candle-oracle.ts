/**
 * Candles from scratch for the oracle tests: group the counted swaps by (token, interval,
 * start), BigInt sums, a full scan for open/close/high/low. Independent of src/engine/candles.ts.
 */
import type { Candle } from '../../src/engine/candles.js'
import { candleKey } from '../../src/engine/candles.js'
import { DEFAULT_CANDLE_INTERVALS, candleStart, type CandleInterval } from '../../src/engine/candle-intervals.js'
import type { Swap } from '../../src/swap/swap.js'
import { decimal18ToExact, formatExact } from './exact-decimal.js'
import { compareSwapOrder, type Oracle } from '../engine/oracle.js'
import type { TestCluster } from './cluster.js'
import { readLatest } from './log-fixture.js'

/** every candle of `swaps` that ends after `cutoff`, by its topic key */
export function oracleCandles (swaps: readonly Swap[], intervals: readonly CandleInterval[], cutoff: number): Map<string, Candle> {
  const groups = new Map<string, { iv: CandleInterval, start: number, swaps: Swap[] }>()
  for (const s of swaps) {
    for (const iv of intervals) {
      const start = candleStart(s.blockTime, iv.ms)
      if (start + iv.ms <= cutoff) continue
      const key = candleKey(s.chain, s.token, iv.name, start)
      let g = groups.get(key)
      if (g === undefined) { g = { iv, start, swaps: [] }; groups.set(key, g) }
      g.swaps.push(s)
    }
  }
  const out = new Map<string, Candle>()
  for (const [key, g] of groups) {
    let open = g.swaps[0]; let close = g.swaps[0]
    let buyUsd = 0n; let sellUsd = 0n; let amt = 0n; let buys = 0; let sells = 0
    let high = -Infinity; let low = Infinity
    for (const s of g.swaps) {
      if (compareSwapOrder(s, open) < 0) open = s
      if (compareSwapOrder(s, close) > 0) close = s
      if (s.price > high) high = s.price
      if (s.price < low) low = s.price
      amt += decimal18ToExact(s.amount)
      if (s.side === 0) { buys++; buyUsd += decimal18ToExact(s.amountUsd) } else { sells++; sellUsd += decimal18ToExact(s.amountUsd) }
    }
    out.set(key, {
      chain: open.chain,
      token: open.token,
      interval: g.iv.name,
      start: new Date(g.start).toISOString(),
      end: new Date(g.start + g.iv.ms).toISOString(),
      open: open.price,
      high,
      low,
      close: close.price,
      volumeUsd: formatExact(buyUsd + sellUsd),
      buyVolumeUsd: formatExact(buyUsd),
      sellVolumeUsd: formatExact(sellUsd),
      volume: formatExact(amt),
      txns: buys + sells,
      buys,
      sells,
      openSwap: [open.blockTime, open.blockNumber, open.logIndex],
      closeSwap: [close.blockTime, close.blockNumber, close.logIndex]
    })
  }
  return out
}


export interface CandleCheck {
  /** candles the oracle expects */
  readonly candles: number
  /** keys whose candle on the topic differs from the oracle's, or is missing */
  readonly mismatches: string[]
  /** keys on the topic the oracle does not expect */
  readonly extra: string[]
}

/**
 * The compacted `candles` topic against candles from scratch over the swaps the oracle counted
 * (every field; nothing was evicted: the streams span minutes, the horizon a day).
 */
export async function checkCandlesAgainstOracle (cluster: TestCluster, oracle: Oracle, intervals: readonly CandleInterval[] = DEFAULT_CANDLE_INTERVALS): Promise<CandleCheck> {
  const counted: Swap[] = []
  for (const key of oracle.tokenKeys()) {
    const sep = key.indexOf(':')
    for (const k of oracle.exportToken(key.slice(0, sep), key.slice(sep + 1))!.kept) counted.push(k.swap)
  }
  const want = oracleCandles(counted, intervals, -Infinity)
  const got = new Map<string, string>()
  for (const [k, v] of await readLatest(cluster.log, cluster.topics.candles!)) if (v !== null) got.set(k, v.toString('utf8'))
  const mismatches: string[] = []
  for (const [k, w] of want) {
    const g = got.get(k)
    if (g === undefined || JSON.stringify(JSON.parse(g)) !== JSON.stringify(w)) mismatches.push(k)
  }
  return { candles: want.size, mismatches, extra: [...got.keys()].filter((k) => !want.has(k)) }
}
