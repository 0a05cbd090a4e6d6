import type { StatsObject } from '../../src/engine/stats.js'

/** exact value of a canonical decimal string as a BigInt of 10⁻¹⁸ units: the oracle's arithmetic */
export function decimalUnits (s: string): bigint {
  const [int, frac = ''] = s.split('.')
  return BigInt(int + frac.padEnd(18, '0'))
}

type V = { kind: 'big', v: bigint } | { kind: 'num', v: number }

function valueOf (s: StatsObject, stat: string, window: string | null): V | null {
  const raw = stat === 'lastPrice' ? s.lastPrice : (window === null ? undefined : (s.windows[window] as unknown as Record<string, unknown> | undefined)?.[stat])
  if (raw === null || raw === undefined) return null
  if (typeof raw === 'string') return { kind: 'big', v: decimalUnits(raw) }
  return { kind: 'num', v: raw as number }
}

function cmp (a: V, b: V): number {
  return a.v < b.v ? -1 : a.v > b.v ? 1 : 0
}

/**
 * The documented order, computed the slow way: non-null values by value (desc: largest first,
 * ties by chain:token ascending; asc: the exact reverse), then null values by chain:token.
 */
export function bruteTop (all: StatsObject[], stat: string, window: string | null, chain: string | null, limit: number, desc: boolean): string[] {
  const rows = all.filter(s => chain === null || s.chain === chain).map(s => ({ key: s.chain + ':' + s.token, v: valueOf(s, stat, window) }))
  const nonNull = rows.filter(r => r.v !== null).sort((a, b) => {
    const c = cmp(b.v as V, a.v as V)
    return c !== 0 ? c : a.key < b.key ? -1 : a.key > b.key ? 1 : 0
  })
  if (!desc) nonNull.reverse()
  const nulls = rows.filter(r => r.v === null).sort((a, b) => a.key < b.key ? -1 : 1)
  return [...nonNull, ...nulls].slice(0, limit).map(r => r.key)
}
