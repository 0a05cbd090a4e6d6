/**
 * Builds `Swap` values (src/swap/swap.ts) from plain fields, for tests that feed the engine and
 * the oracle directly without going through the line parser.
 */
import { parseDecimal18, type Decimal18 } from '../../src/swap/decimal18.js'
import { BUY, SELL, type Swap } from '../../src/swap/swap.js'

export interface SwapFields {
  id: string
  chain: string
  token: string
  trader: string
  side: 'BUY' | 'SELL'
  amount: string
  amountUsd: string
  blockTime: number
  blockNumber: number
  logIndex: number
  quoteToken?: string
  pool?: string
}

function decimal (text: string): Decimal18 {
  const d = parseDecimal18(text)
  if (typeof d === 'string') throw new Error('test helper given a bad decimal ' + JSON.stringify(text) + ': ' + d)
  return d
}

export function makeSwap (f: SwapFields): Swap {
  return {
    id: f.id,
    chain: f.chain,
    blockNumber: f.blockNumber,
    logIndex: f.logIndex,
    blockTime: f.blockTime,
    token: f.token,
    quoteToken: f.quoteToken,
    pool: f.pool,
    trader: f.trader,
    side: f.side === 'BUY' ? BUY : SELL,
    amount: decimal(f.amount),
    amountUsd: decimal(f.amountUsd),
    // SPEC/swap.ts: price = Number(amountUsd) / Number(amount), the doubles of the exact decimals
    price: Number(f.amountUsd) / Number(f.amount),
  }
}

/**
 * A swap from one line of the canonical NDJSON (SPEC §2) known to be valid; used by the replay
 * tests to feed the oracle. Validation is the parser's job and is tested elsewhere.
 */
export function swapFromRecord (r: Record<string, unknown>): Swap {
  const blockTime = typeof r.blockTime === 'number' ? r.blockTime : Date.parse(String(r.blockTime))
  return makeSwap({
    id: String(r.id),
    chain: String(r.chain),
    token: String(r.token),
    trader: String(r.trader),
    side: r.side as 'BUY' | 'SELL',
    amount: String(r.amount),
    amountUsd: String(r.amountUsd),
    blockTime,
    blockNumber: Number(r.blockNumber),
    logIndex: Number(r.logIndex),
    quoteToken: r.quoteToken === undefined ? undefined : String(r.quoteToken),
    pool: r.pool === undefined ? undefined : String(r.pool),
  })
}
