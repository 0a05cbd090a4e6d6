import type { SwapRecord } from '../codec/swap-codec.js'

/**
 * The canonical JSON line of a swap (SPEC section 2), the form of samples/*.ndjson.gz and of JSON
 * producers: fields in SPEC order, blockTime as ISO 8601 UTC with milliseconds, absent optional
 * fields left out.
 *
 *   {"id":"0x…:4","chain":"ethereum","blockNumber":12634810,"logIndex":2000,
 *    "blockTime":"2021-06-16T01:51:54.000Z","token":"0x…","quoteToken":"0x…","pool":"0x…",
 *    "trader":"0x…","side":"SELL","amount":"1.6552301435347717","amountUsd":"144.434107"}
 */
export function swapRecordToJson (r: SwapRecord): string {
  return JSON.stringify({
    id: r.id,
    chain: r.chain,
    blockNumber: r.blockNumber,
    logIndex: r.logIndex,
    blockTime: new Date(r.blockTime).toISOString(),
    token: r.token,
    quoteToken: r.quoteToken ?? undefined,
    pool: r.pool ?? undefined,
    trader: r.trader,
    side: r.side,
    amount: r.amount,
    amountUsd: r.amountUsd,
  })
}
