import type { StatsObject } from '../engine/stats.js'
import { SortedList } from './sorted-list.js'
import { compareRankValue, rankValueOf, type RankStat, type RankValue } from './rank-value.js'
import type { DeferredStats } from './stats-feed.js'

/** a token's value as held: the object or the still-encoded record */
export type HeldStats = StatsObject | DeferredStats

/** what an index needs from a stored token */
export interface RankedToken {
  readonly key: string
  readonly chain: string
  readonly stats: StatsObject
  /** the value without decoding an encoded record (rank values are read from it in place) */
  current (): HeldStats
}

interface Item<E extends RankedToken> {
  entry: E
  v: RankValue
}

export interface RankedRow<E extends RankedToken> {
  entry: E
  value: RankValue | null
}

/**
 * One ranked index for (stat, window, chain?). Non-null values live in a SortedList ordered by
 * (value ascending, key descending), so reading it from the end gives (value descending, key
 * ascending): order=asc is exactly the reverse of order=desc. Null values are kept apart, by key,
 * and always come last.
 *
 * Updates are incremental: the store calls `update(entry, oldStats)` with the stats the entry held
 * before (object or encoded record), which is enough to find the old item (the order is total,
 * so equal means the same item).
 */
export class RankIndex<E extends RankedToken> {
  readonly stat: RankStat
  readonly window: string
  readonly chain: string | null
  /** LRU stamp and pin count, managed by the store */
  lastUsed = 0
  pins = 0
  readonly #values: SortedList<Item<E>>
  readonly #nulls: SortedList<E>

  constructor (stat: RankStat, window: string, chain: string | null) {
    this.stat = stat
    this.window = window
    this.chain = chain
    this.#values = new SortedList<Item<E>>((a, b) => {
      const c = compareRankValue(a.v, b.v)
      if (c !== 0) return c
      return a.entry.key < b.entry.key ? 1 : a.entry.key > b.entry.key ? -1 : 0
    })
    this.#nulls = new SortedList<E>((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  }

  get size (): number { return this.#values.size + this.#nulls.size }

  accepts (entry: E): boolean { return this.chain === null || entry.chain === this.chain }

  valueOf (stats: HeldStats): RankValue | null { return rankValueOf(stats, this.stat, this.window) }

  build (entries: Iterable<E>): void {
    const items: Array<Item<E>> = []
    const nulls: E[] = []
    for (const entry of entries) {
      if (!this.accepts(entry)) continue
      const v = this.valueOf(entry.current())
      if (v === null) nulls.push(entry)
      else items.push({ entry, v })
    }
    this.#values.build(items)
    this.#nulls.build(nulls)
  }

  add (entry: E): void {
    if (!this.accepts(entry)) return
    const v = this.valueOf(entry.current())
    if (v === null) this.#nulls.insert(entry)
    else this.#values.insert({ entry, v })
  }

  remove (entry: E, stats: HeldStats): void {
    if (!this.accepts(entry)) return
    const v = this.valueOf(stats)
    if (v === null) this.#nulls.remove(entry)
    else this.#values.remove({ entry, v })
  }

  /** `entry` already holds the new stats; `oldStats` what it held before */
  update (entry: E, oldStats: HeldStats): void {
    if (!this.accepts(entry)) return
    const before = this.valueOf(oldStats)
    const after = this.valueOf(entry.current())
    if (before !== null && after !== null && compareRankValue(before, after) === 0 && before.dec === after.dec) return
    if (before === null) { if (after === null) return; this.#nulls.remove(entry) } else this.#values.remove({ entry, v: before })
    if (after === null) this.#nulls.insert(entry)
    else this.#values.insert({ entry, v: after })
  }

  top (limit: number, descending: boolean): Array<RankedRow<E>> {
    const items = this.#values.take(limit, descending)
    const rows: Array<RankedRow<E>> = new Array(items.length)
    for (let i = 0; i < items.length; i++) rows[i] = { entry: items[i].entry, value: items[i].v }
    if (rows.length < limit) {
      for (const e of this.#nulls.take(limit - rows.length, false)) rows.push({ entry: e, value: null })
    }
    return rows
  }

  /**
   * the rows with a value, in `top`'s order, until `visit` returns false: a reader that stops at
   * a condition (a search keeping the rows that match) reads no more than it needs and copies none
   */
  walk (descending: boolean, visit: (entry: E, value: RankValue) => boolean): void {
    this.#values.walk(descending, item => visit(item.entry, item.v))
  }

  /** the value of the `rank`-th row (0-based) in that order; null if the row is a null or absent */
  valueAt (rank: number, descending: boolean): RankValue | null | undefined {
    const item = this.#values.at(rank, descending)
    if (item !== undefined) return item.v
    return rank < this.size ? null : undefined
  }
}
