/** Topic names the processor and the edge use; `topology/topics.json` declares their configs. */
export interface TopicNames {
  readonly swaps: string
  readonly dlq: string
  readonly state: string
  readonly stats: string
  /** OHLCV candles (issue #22), co-partitioned with swaps; none = no candles */
  readonly candles?: string
  /** candles of the long-history intervals again, with long retention (edges read it at start) */
  readonly candlesHistory?: string
}

export const DEFAULT_TOPICS: TopicNames = Object.freeze({
  swaps: 'swaps',
  dlq: 'swaps-dlq',
  state: 'volumer-state',
  stats: 'stats',
  candles: 'candles',
  candlesHistory: 'candles-history'
})
