import { closedError, LogError } from './log-errors.js'
import {
  tpKey, type GroupConsumer, type GroupConsumerOptions, type GroupMetadata, type PartitionBatch, type TopicPartition,
  type TopicPartitionOffset,
} from './log.js'
import type { MemoryGroup } from './memory-group.js'
import type { MemoryStore } from './memory-store.js'

interface Owned {
  readonly tp: TopicPartition
  position: number
  paused: boolean
}

/**
 * A consumer-group member of the in-process log, read_committed. Group changes are applied at
 * the start of each poll, as librdkafka does: revoke callbacks first (the partitions are
 * released only after they resolve), then assign callbacks for partitions that are free.
 */
export class MemoryGroupConsumer implements GroupConsumer {
  readonly #store: MemoryStore
  readonly #options: GroupConsumerOptions
  readonly #group: MemoryGroup
  #memberId: string
  #owned = new Map<string, Owned>()
  /** rotates the partition a poll starts with, so one busy partition cannot starve the rest */
  #cursor = 0
  #closed = false

  constructor (store: MemoryStore, options: GroupConsumerOptions) {
    if (options.groupId === '') throw new LogError('BAD_CONFIG', 'groupId must not be empty')
    if (options.topics.length === 0) throw new LogError('BAD_CONFIG', 'topics must name at least one topic')
    this.#store = store
    this.#options = options
    this.#group = store.group(options.groupId)
    this.#memberId = this.#group.join(options.topics, store.now())
    store.notify() // the other members rebalance on their next poll
  }

  async poll (maxRecords: number, timeoutMs: number): Promise<PartitionBatch[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#closed) throw closedError('consumer')
      await this.#sync()
      const out = this.#fetch(maxRecords)
      if (out.length > 0) return out
      const left = deadline - Date.now()
      if (left <= 0 || this.#store.closed) return []
      await this.#store.waitForChange(left)
    }
  }

  async #sync (): Promise<void> {
    const store = this.#store
    const group = this.#group
    const now = store.now()
    if (group.expire(now, store.sessionTimeoutMs)) store.notify()
    if (!group.isMember(this.#memberId)) {
      // evicted (silent past the session timeout): what we held is gone; rejoin
      const lost = this.assignment()
      this.#owned.clear()
      if (lost.length > 0) await this.#options.onRevoke?.(lost, { lost: true })
      this.#memberId = group.join(this.#options.topics, store.now())
      store.notify()
    }
    group.heartbeat(this.#memberId, now)
    const target = group.targetFor(this.#memberId)
    const wanted = new Set(target.map(tp => tpKey(tp.topic, tp.partition)))

    const revoke = [...this.#owned].filter(([k]) => !wanted.has(k)).map(([, o]) => o.tp)
    if (revoke.length > 0) {
      await this.#options.onRevoke?.(revoke, { lost: false })
      for (const tp of revoke) {
        group.release(this.#memberId, tp)
        this.#owned.delete(tpKey(tp.topic, tp.partition))
      }
      store.notify()
    }

    const assign = target.filter(tp =>
      !this.#owned.has(tpKey(tp.topic, tp.partition)) && group.acquire(this.#memberId, tp))
    if (assign.length === 0) return
    for (const tp of assign) this.#owned.set(tpKey(tp.topic, tp.partition), { tp, position: -1, paused: false })
    const starts = await this.#options.onAssign?.(assign)
    const given = new Map((starts ?? []).map(s => [tpKey(s.topic, s.partition), s.offset]))
    for (const tp of assign) {
      const k = tpKey(tp.topic, tp.partition)
      const o = this.#owned.get(k)
      if (o === undefined || o.position >= 0) continue // revoked meanwhile, or seek() in onAssign
      o.position = given.get(k) ?? this.#startOf(tp)
    }
  }

  #startOf (tp: TopicPartition): number {
    const committed = this.#group.committed(tp.topic, tp.partition)
    if (committed >= 0) return committed
    const part = this.#store.topic(tp.topic).partitions[tp.partition]
    return this.#options.autoOffsetReset === 'latest' ? part.endOffset('read_committed') : part.startOffset
  }

  #fetch (maxRecords: number): PartitionBatch[] {
    const out: PartitionBatch[] = []
    const owned = [...this.#owned.values()]
    const n = owned.length
    let left = maxRecords
    for (let i = 0; i < n && left > 0; i++) {
      const o = owned[(this.#cursor + i) % n]
      if (o.paused || o.position < 0) continue
      const part = this.#store.topic(o.tp.topic).partitions[o.tp.partition]
      const r = part.read(o.position, left, 'read_committed')
      o.position = r.position
      if (r.records.length > 0) {
        out.push({ topic: o.tp.topic, partition: o.tp.partition, records: r.records })
        left -= r.records.length
      }
    }
    this.#cursor = n === 0 ? 0 : (this.#cursor + 1) % n
    return out
  }

  assignment (): TopicPartition[] {
    return [...this.#owned.values()].map(o => o.tp)
  }

  #ownedOf (tp: TopicPartition): Owned {
    const o = this.#owned.get(tpKey(tp.topic, tp.partition))
    if (o === undefined) throw new LogError('LOG_ERROR', `${tp.topic}:${tp.partition} is not assigned to this consumer`)
    return o
  }

  position (tp: TopicPartition): number {
    return this.#ownedOf(tp).position
  }

  seek (tpo: TopicPartitionOffset): void {
    this.#ownedOf(tpo).position = tpo.offset
  }

  pause (tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.#ownedOf(tp).paused = true
  }

  resume (tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.#ownedOf(tp).paused = false
    this.#store.notify()
  }

  async committed (tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return tps.map(tp => ({ topic: tp.topic, partition: tp.partition, offset: this.#group.committed(tp.topic, tp.partition) }))
  }

  groupMetadata (): GroupMetadata {
    return { groupId: this.#options.groupId, memberId: this.#memberId, generationId: this.#group.generation }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const owned = this.assignment()
    try {
      if (owned.length > 0 && this.#group.isMember(this.#memberId)) await this.#options.onRevoke?.(owned, { lost: false })
    } finally {
      this.#owned.clear()
      this.#group.leave(this.#memberId)
      this.#store.notify()
    }
  }
}
