import { expect } from 'chai'
import fc from 'fast-check'
import type { StatsObject } from '../../src/engine/stats.js'
import { createStatsStore } from '../../src/edge/stats-store.js'
import { createTokenDirectory } from '../../src/edge/token-directory.js'
import { compareHits, createTokenSearch, matchesQuery, normaliseQuery } from '../../src/edge/token-search.js'
import { rankValueOf } from '../../src/edge/rank-value.js'
import type { TokenMeta } from '../../src/token/token-meta.js'
import { makeStats, rng } from './fixtures.js'

/**
 * The search index against its definition: every token (stats or metadata) that matchesQuery,
 * sorted by compareHits, first `limit`. Small merge/scan thresholds so both the sorted-range path
 * and the volume-index walk (with its fall-back to ranking the candidates), run merges, killed
 * terms and rebuilds run within a few dozen tokens; queries run between updates as well as after them.
 */
const SYMBOLS = ['WETH', 'weth2', 'ETH', 'USDC', 'USDT', 'DAI', 'Uni', 'ÉTOILE', 'a', 'ab']
const NAMES = ['Wrapped Ether', 'Ether Classic', 'USD Coin', 'Tether USD', 'Dai Stablecoin', 'Uniswap', 'Étoile du Nord', 'Alpha-Beta', 'a b']
const QUERIES = ['w', 'we', 'weth', 'eth', 'e', 'et', 'u', 'usd', 'coin', 'tether', 'é', 'éto', 'nord', 'beta', 'a', 'ab', '0x', '0x1', '0xa', '0x00', 'x', 'zzz', 'dai ', 'usd c']

type Op =
  | { kind: 'stats', i: number, seed: number, empty24h: boolean }
  | { kind: 'dropStats', i: number }
  | { kind: 'meta', i: number, s: number, n: number }
  | { kind: 'dropMeta', i: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('stats' as const), i: fc.nat(40), seed: fc.nat(), empty24h: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropStats' as const), i: fc.nat(40) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('meta' as const), i: fc.nat(40), s: fc.nat(SYMBOLS.length - 1), n: fc.nat(NAMES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropMeta' as const), i: fc.nat(40) }) },
)

function keyOf (i: number): [string, string] {
  const chain = i % 3 === 0 ? 'solana' : 'ethereum'
  return [chain, '0x' + (i * 2654435761 % 4096).toString(16).padStart(3, '0') + (i % 2 === 0 ? 'AbC' : 'def')]
}

describe('token search (property: index = brute-force filter + sort)', () => {
  it('returns exactly the first `limit` matches in volume order, through adds, renames and removals', () => {
    fc.assert(fc.property(
      fc.array(opArb, { minLength: 20, maxLength: 160, size: 'max' }),
      // broad queries (most tokens match) weighted up: they take the volume-index walk
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERIES), fc.constantFrom('0x', '0', 'e', 'u', 'a')), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 12 }),
      (ops, queries, mergeAt, scanAt) => {
        const store = createStatsStore()
        const names = createTokenDirectory()
        // built before any record: every token arrives through the listeners
        const search = createTokenSearch(store, names, { window: '24h', mergeAt, scanAt })
        const stats = new Map<string, StatsObject>()
        const metas = new Map<string, TokenMeta>()
        const check = (): void => {
          for (const [raw, limit] of queries) {
            const q = normaliseQuery(raw)
            const all = new Set([...stats.keys(), ...metas.keys()])
            const want = [...all].filter(k => matchesQuery(q, k.slice(k.indexOf(':') + 1), metas.get(k)))
              .map(k => ({ key: k, value: stats.has(k) ? rankValueOf(stats.get(k)!, 'volumeUsd', '24h') : null }))
              .sort(compareHits).slice(0, limit).map(h => h.key)
            const got = search.search(q, limit).map(h => h.key)
            expect(got, `q=${JSON.stringify(q)} limit=${limit}`).to.deep.equal(want)
          }
        }
        for (let n = 0; n < ops.length; n++) {
          const op = ops[n]
          const [chain, token] = keyOf(op.i)
          const key = chain + ':' + token
          if (op.kind === 'stats') {
            const s = makeStats(chain, token, rng(op.seed))
            if (op.empty24h) delete (s.windows as Record<string, unknown>)['24h']
            store.apply(key, s); stats.set(key, s)
          } else if (op.kind === 'dropStats') { store.apply(key, null); stats.delete(key) } else if (op.kind === 'meta') {
            const m: TokenMeta = { chain, token, symbol: SYMBOLS[op.s], name: NAMES[op.n], decimals: 18 }
            names.apply(key, m); metas.set(key, m)
          } else { names.apply(key, null); metas.delete(key) }
          // queries between updates too: cached values, killed terms and the walked index must
          // follow every change, not only the final state
          if (n % 16 === 15) check()
        }
        check()
      }), { numRuns: 300 })
  })

  it('matches symbol, name, a word of the name and the address, ignoring case', () => {
    const m: TokenMeta = { chain: 'ethereum', token: '0xC02aAA39', symbol: 'WETH', name: 'Wrapped Ether', decimals: 18 }
    for (const q of ['weth', 'WE', 'wrapped e', 'ether', '0xc02a', 'C02']) {
      expect(matchesQuery(normaliseQuery(q), m.token, m), q).to.equal(q !== 'C02')
    }
  })
})
