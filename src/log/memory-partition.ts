import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Headers, IsolationLevel, LogRecord } from './log.js'

/**
 * One partition of the in-process log.
 *
 *   records (sorted by offset; compaction leaves gaps)
 *   ┌────┬────┬────┬────┬────┬────┐
 *   │ 10 │ 12 │ 13 │ 14 │ 15 │ 16 │  nextOffset = 17
 *   └────┴────┴────┴────┴────┴────┘
 *     ▲ startOffset = 10    ▲ lso = 14 (first record of a still-open transaction)
 *
 * A transactional record points at its transaction's shared `TxnState`, so a commit or an abort
 * flips one field instead of touching every record. read_committed readers stop at the last
 * stable offset (LSO) and skip aborted records; their position still moves past them so a
 * reader never waits on records it will never see.
 */

export interface TxnState {
  status: 'open' | 'committed' | 'aborted'
}

export interface StoredRecord {
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers | undefined
  txn: TxnState | null
}

export interface PartitionPolicy {
  readonly compact: boolean
  /** compaction leaves records younger than this alone (min.compaction.lag.ms) */
  readonly minCompactionLagMs: number
  /** tombstones older than this are dropped by compaction (delete.retention.ms) */
  readonly deleteRetentionMs: number
  /** records older than this are deleted from the head (retention.ms); -1 keeps all */
  readonly retentionMs: number
  /**
   * retention never deletes what a consumer group has not committed yet (the in-process log's
   * own config `volumer.retention.keep.uncommitted`; Kafka has no such thing): the embedded
   * mode's short retention must not drop swaps its processor, fallen behind, has yet to read
   */
  readonly keepUncommitted?: boolean
}

export interface ReadResult {
  readonly records: LogRecord[]
  /** next offset to read after this read */
  readonly position: number
}

/**
 * Compaction runs when the stored record count reaches a threshold, which is then set to twice
 * what compaction left (at least this): amortised O(1) per append even when the minimum
 * compaction lag keeps everything.
 */
const COMPACT_MIN_RECORDS = 1024
/** apply retention every this many appends (cheap check otherwise) */
const RETENTION_EVERY = 1024
/**
 * Lazy compaction gives the event loop a turn after this many ms. One pass is O(records kept),
 * and `volumer run`'s candle topics keep a day of candles: at 1,000 swaps/s over 2,000 tokens a
 * partition held 6,000 records after 3 minutes and a pass took 3-40 ms on the shared machine
 * (load 17-34), growing with the day; it ran inside the processor's commit, on the edge's thread.
 */
const COMPACT_SLICE_MS = 5

export class MemoryPartition {
  readonly topic: string
  readonly partition: number
  #records: StoredRecord[] = []
  #startOffset = 0
  #nextOffset = 0
  /** open transactions with their first offset here: the LSO is the smallest */
  #open = new Map<TxnState, number>()
  #compactAt = COMPACT_MIN_RECORDS
  #sinceRetention = 0
  /** a lazy compaction is running in slices (compactInSlices) */
  #compacting = false

  constructor (topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  get startOffset (): number { return this.#startOffset }
  get nextOffset (): number { return this.#nextOffset }
  get size (): number { return this.#records.length }

  lastStableOffset (): number {
    let lso = this.#nextOffset
    for (const first of this.#open.values()) if (first < lso) lso = first
    return lso
  }

  endOffset (isolation: IsolationLevel): number {
    return isolation === 'read_committed' ? this.lastStableOffset() : this.#nextOffset
  }

  append (key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers | undefined,
    txn: TxnState | null): number {
    const offset = this.#nextOffset++
    this.#records.push({ offset, key, value, timestamp, headers, txn })
    if (txn !== null && !this.#open.has(txn)) this.#open.set(txn, offset)
    this.#sinceRetention++
    return offset
  }

  /** the transaction ended (committed or aborted): it no longer holds the LSO back */
  endTransaction (txn: TxnState): void {
    this.#open.delete(txn)
  }

  /**
   * Up to `max` visible records from `from`. Invisible records (aborted; open ones under
   * read_committed are beyond the LSO anyway) are stepped over even past `max`, and when nothing
   * visible is left below the limit the position jumps to it, so `read(p, 0)` settles a position.
   */
  read (from: number, max: number, isolation: IsolationLevel): ReadResult {
    const limit = this.endOffset(isolation)
    let position = from < this.#startOffset ? this.#startOffset : from
    const records: LogRecord[] = []
    if (position >= limit) return { records, position }
    const all = this.#records
    let i = this.#indexOf(position)
    for (; i < all.length; i++) {
      const r = all[i]
      if (r.offset >= limit) break
      if (r.txn !== null && r.txn.status !== 'committed' && (isolation === 'read_committed' || r.txn.status === 'aborted')) {
        position = r.offset + 1
        continue
      }
      if (records.length >= max) break
      position = r.offset + 1
      records.push(r.headers === undefined
        ? { topic: this.topic, partition: this.partition, offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp }
        : { topic: this.topic, partition: this.partition, offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers })
    }
    if (i >= all.length || all[i].offset >= limit) position = Math.max(position, limit)
    return { records, position }
  }

  /**
   * Lazily applies compaction and retention; called after appends. Compaction runs in slices
   * between turns of the event loop (compactInSlices); a burst of appends that outruns it (twice
   * the threshold, e.g. a synchronous loop in a test) is compacted at once.
   */
  maintain (policy: PartitionPolicy, now: number, committedFloor?: () => number): void {
    if (policy.compact && this.#records.length >= this.#compactAt) {
      if (this.#records.length >= 2 * this.#compactAt) this.compact(policy, now)
      else if (!this.#compacting) void this.compactInSlices(policy, now)
    }
    if (policy.retentionMs >= 0 && this.#sinceRetention >= RETENTION_EVERY) {
      this.#sinceRetention = 0
      this.applyRetention(policy.retentionMs, now, policy.keepUncommitted === true && committedFloor !== undefined ? committedFloor() : Infinity)
    }
  }

  /**
   * Keeps the latest record per key in the cleanable part: below the LSO and older than the
   * minimum compaction lag. Drops aborted records there, and tombstones older than
   * delete.retention.ms. Offsets never change; the log start offset stays.
   */
  compact (policy: PartitionPolicy, now: number): void {
    this.#compact(policy, now)
    this.#compactAt = Math.max(COMPACT_MIN_RECORDS, 2 * this.#records.length)
  }

  /**
   * compact(), with a turn of the event loop every `sliceMs`. The cleanable part is fixed when it
   * starts (below the LSO then, so its transactions are settled); appends meanwhile push onto the
   * same array and are kept whole. Reads go on on the array as it was. If anything else replaced
   * the array meanwhile (retention, a compact()), this pass is dropped; the next append that
   * finds the partition over its threshold starts another.
   */
  async compactInSlices (policy: PartitionPolicy, now: number, sliceMs = COMPACT_SLICE_MS): Promise<void> {
    if (this.#compacting) return
    this.#compacting = true
    try {
      const all = this.#records
      const end = this.#cleanableEnd(policy, now)
      if (end === 0) { this.#compactAt = Math.max(COMPACT_MIN_RECORDS, 2 * all.length); return }
      let since = performance.now()
      // checked inline (an awaited helper would cost a microtask per record): the time every
      // 256 records; a pass shorter than its slice runs through without yielding
      const due = (i: number): boolean => (i & 255) === 0 && performance.now() - since >= sliceMs
      const latest = new Map<string, number>()
      for (let i = 0; i < end; i++) {
        if (due(i)) { await nextTurn(); if (this.#records !== all) return; since = performance.now() }
        const r = all[i]
        if (r.txn !== null && r.txn.status === 'aborted') continue
        if (r.key !== null) latest.set(r.key.toString('latin1'), r.offset)
      }
      const kept: StoredRecord[] = []
      for (let i = 0; i < end; i++) {
        if (due(i)) { await nextTurn(); if (this.#records !== all) return; since = performance.now() }
        const r = all[i]
        if (this.#keeps(r, latest, now - policy.deleteRetentionMs)) kept.push(r)
      }
      // no await from here on: what was appended meanwhile is all[end..]
      for (let i = end; i < all.length; i++) kept.push(all[i])
      this.#records = kept
      this.#compactAt = Math.max(COMPACT_MIN_RECORDS, 2 * kept.length)
    } finally {
      this.#compacting = false
    }
  }

  /** how many records from the head may be compacted: below the LSO and past the lag */
  #cleanableEnd (policy: PartitionPolicy, now: number): number {
    const all = this.#records
    const lso = this.lastStableOffset()
    const lagEdge = now - policy.minCompactionLagMs
    let end = 0
    while (end < all.length && all[end].offset < lso && all[end].timestamp <= lagEdge) end++
    return end
  }

  /** compaction keeps `r` (and makes a committed record plain) */
  #keeps (r: StoredRecord, latest: Map<string, number>, tombstoneEdge: number): boolean {
    if (r.txn !== null) {
      if (r.txn.status === 'aborted') return false
      r.txn = null // committed: plain from now on, lets the TxnState be collected
    }
    if (r.key === null) return false // Kafka refuses keyless records on compacted topics
    if (latest.get(r.key.toString('latin1')) !== r.offset) return false
    if (r.value === null && r.timestamp < tombstoneEdge) return false
    return true
  }

  #compact (policy: PartitionPolicy, now: number): void {
    const all = this.#records
    const end = this.#cleanableEnd(policy, now)
    if (end === 0) return
    const latest = new Map<string, number>()
    for (let i = 0; i < end; i++) {
      const r = all[i]
      if (r.txn !== null && r.txn.status === 'aborted') continue
      if (r.key !== null) latest.set(r.key.toString('latin1'), r.offset)
    }
    const kept: StoredRecord[] = []
    const tombstoneEdge = now - policy.deleteRetentionMs
    for (let i = 0; i < end; i++) if (this.#keeps(all[i], latest, tombstoneEdge)) kept.push(all[i])
    for (let i = end; i < all.length; i++) kept.push(all[i])
    this.#records = kept
  }


  /** deletes records older than `retentionMs` from the head, never past the LSO nor `floor` */
  applyRetention (retentionMs: number, now: number, floor = Infinity): void {
    const edge = now - retentionMs
    const lso = this.lastStableOffset()
    const all = this.#records
    let n = 0
    while (n < all.length && all[n].timestamp < edge && all[n].offset < lso && all[n].offset < floor) n++
    if (n === 0) return
    this.#startOffset = n < all.length ? all[n].offset : Math.min(lso, this.#nextOffset)
    this.#records = all.slice(n)
  }

  /** index of the first record with offset >= `offset` */
  #indexOf (offset: number): number {
    const all = this.#records
    let lo = 0
    let hi = all.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (all[mid].offset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
