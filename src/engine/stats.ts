/**
 * The stats object (SPEC "The stats object"): one per token, the same in HTTP responses,
 * WebSocket updates, the `stats` topic's JSON rendering and `volumer stats` output.
 *
 * Field rules every producer of this object follows (the oracle in test/engine/oracle.ts too):
 * - decimal strings are canonical: no sign, no exponent, no leading zeros, no trailing
 *   fractional zeros, no dot when the fraction is zero ("0" for zero, "12.5", "1234");
 * - `price` of a swap = Number(amountUsd) / Number(amount) (doubles of the exact decimals);
 * - `open`/`close` = price of the first/last swap in the window by (blockTime, blockNumber, logIndex);
 * - `priceChangePct` = (close - open) / open * 100, evaluated in exactly that order;
 * - `vwap` = Number(volumeUsd) / Number(volume);
 * - a window with no swaps: zero volumes and counts, null prices, null priceChangePct and vwap;
 * - times are ISO 8601 UTC with milliseconds (Date.prototype.toISOString).
 */
export interface WindowStats {
  from: string
  to: string
  volumeUsd: string
  buyVolumeUsd: string
  sellVolumeUsd: string
  volume: string
  buyVolume: string
  sellVolume: string
  txns: number
  buys: number
  sells: number
  traders: number
  buyers: number
  sellers: number
  open: number | null
  close: number | null
  high: number | null
  low: number | null
  priceChangePct: number | null
  vwap: number | null
}

export interface StatsObject {
  chain: string
  token: string
  /** evaluation time T */
  asOf: string
  /** price of the latest accepted swap by (blockTime, blockNumber, logIndex) */
  lastPrice: number | null
  lastTradeAt: string | null
  /** earliest blockTime of the token's accepted swaps since its state was created (see docs/engine.md) */
  firstSeenAt: string | null
  windows: Record<string, WindowStats>
}

/** `chain:token`, the Kafka key of a token's records and the id the HTTP API uses. */
export function tokenKey (chain: string, token: string): string {
  return chain + ':' + token
}
