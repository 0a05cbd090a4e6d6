import type { Decimal18 } from './decimal18.js'

/** `side` as a small integer so the engine indexes arrays with it. */
export const BUY = 0
export const SELL = 1
export type Side = typeof BUY | typeof SELL

/**
 * A validated swap (SPEC section 2), decoded once at the edge of the system.
 * Amounts are exact fixed-point decimals with 18 fractional digits (see decimal18.ts);
 * `price` is `Number(amountUsd) / Number(amount)`, the double every component agrees on.
 */
export interface Swap {
  id: string
  chain: string
  blockNumber: number
  logIndex: number
  /** event time, ms since the epoch (UTC) */
  blockTime: number
  token: string
  quoteToken: string | undefined
  pool: string | undefined
  trader: string
  side: Side
  amount: Decimal18
  amountUsd: Decimal18
  price: number
}
