import type { StatsObject, WindowStats } from '../../src/engine/stats.js'
import { Agent } from 'undici'

/** small deterministic PRNG (mulberry32) so fixtures are the same on every run */
export { createRandom as rng } from '../helpers/seeded-random.js'

export const WINDOWS = ['1m', '5m', '1h', '24h']
const T0 = Date.parse('2021-06-16T02:00:00.000Z')

/** a canonical decimal string: no leading zeros, no trailing fraction zeros */
export function decimal (r: () => number, maxInt = 1e6): string {
  const int = Math.floor(r() * maxInt)
  const fracDigits = Math.floor(r() * 10)
  let frac = ''
  for (let i = 0; i < fracDigits; i++) frac += String(Math.floor(r() * 10))
  frac = frac.replace(/0+$/, '')
  if (int === 0 && frac.length === 0) return '0'
  return frac.length === 0 ? String(int) : String(int) + '.' + frac
}

function windowStats (r: () => number, empty: boolean, asOf: number, len: number): WindowStats {
  const from = new Date(asOf - len).toISOString()
  const to = new Date(asOf + 1000).toISOString()
  if (empty) {
    return { from, to, volumeUsd: '0', buyVolumeUsd: '0', sellVolumeUsd: '0', volume: '0', buyVolume: '0', sellVolume: '0', txns: 0, buys: 0, sells: 0, traders: 0, buyers: 0, sellers: 0, open: null, close: null, high: null, low: null, priceChangePct: null, vwap: null }
  }
  // few distinct values so ties (equal values, different keys) are common
  const small = (): number => Math.floor(r() * 5)
  const buys = small(); const sells = small() + 1
  const open = Math.round(r() * 100) / 10 + 0.1
  const close = Math.round(r() * 100) / 10 + 0.1
  return {
    from,
    to,
    volumeUsd: r() < 0.2 ? '5' : decimal(r),
    buyVolumeUsd: decimal(r, 10),
    sellVolumeUsd: r() < 0.3 ? '1.5' : decimal(r, 1e3),
    volume: decimal(r, 1e12),
    buyVolume: decimal(r, 3),
    sellVolume: decimal(r),
    txns: buys + sells,
    buys,
    sells,
    traders: small(),
    buyers: small(),
    sellers: small(),
    open,
    close,
    high: Math.max(open, close) + small(),
    low: Math.min(open, close),
    priceChangePct: (close - open) / open * 100,
    vwap: r() < 0.2 ? 1 : r() * 50
  }
}

export function makeStats (chain: string, token: string, r: () => number, asOf = T0): StatsObject {
  const windows: Record<string, WindowStats> = {}
  const lens = [60e3, 300e3, 3600e3, 86400e3]
  WINDOWS.forEach((w, i) => { windows[w] = windowStats(r, r() < 0.25, asOf, lens[i]) })
  const hasTrade = r() < 0.9
  return {
    chain,
    token,
    asOf: new Date(asOf).toISOString(),
    lastPrice: hasTrade ? Math.round(r() * 1000) / 100 : null,
    lastTradeAt: hasTrade ? new Date(asOf - 500).toISOString() : null,
    firstSeenAt: hasTrade ? new Date(asOf - 3600e3).toISOString() : null,
    windows
  }
}

/** an undici agent whose sockets the test closes, so mocha exits without waiting on keep-alive */
export function newAgent (): Agent {
  return new Agent({ keepAliveTimeout: 1000, connections: 8 })
}

export async function waitFor (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
