import { tpKey, type TopicPartition } from './log.js'

/**
 * Group coordinator of the in-process log: members, the target assignment, who owns what, and
 * committed offsets.
 *
 * Hand-over is cooperative: a partition moves only once its old owner has run its revoke
 * callback and released it, so two members never hold one partition at the same time. A member
 * that has not polled within the session timeout is evicted and its partitions are freed
 * (the in-process equivalent of a crashed processor).
 */

interface Member {
  readonly id: string
  readonly topics: readonly string[]
  lastSeen: number
}

export class MemoryGroup {
  readonly groupId: string
  #members = new Map<string, Member>()
  /** tpKey → memberId currently holding the partition */
  #owners = new Map<string, string>()
  #committed = new Map<string, number>()
  #target = new Map<string, TopicPartition[]>()
  #generation = 0
  #dirty = true
  #nextMember = 0
  #partitionCounts: (topic: string) => number

  constructor (groupId: string, partitionCounts: (topic: string) => number) {
    this.groupId = groupId
    this.#partitionCounts = partitionCounts
  }

  get generation (): number { return this.#generation }

  join (topics: readonly string[], now: number): string {
    const id = `${this.groupId}-member-${++this.#nextMember}`
    this.#members.set(id, { id, topics: [...topics].sort(), lastSeen: now })
    this.#dirty = true
    return id
  }

  /** removes the member and frees whatever it still owns */
  leave (memberId: string): void {
    if (!this.#members.delete(memberId)) return
    for (const [k, owner] of this.#owners) if (owner === memberId) this.#owners.delete(k)
    this.#dirty = true
  }

  isMember (memberId: string): boolean { return this.#members.has(memberId) }

  heartbeat (memberId: string, now: number): void {
    const m = this.#members.get(memberId)
    if (m !== undefined) m.lastSeen = now
  }

  /** evicts members silent for longer than the session timeout; returns whether any went */
  expire (now: number, sessionTimeoutMs: number): boolean {
    let any = false
    for (const m of [...this.#members.values()]) {
      if (now - m.lastSeen > sessionTimeoutMs) {
        this.leave(m.id)
        any = true
      }
    }
    return any
  }

  /** the partition counts changed (createPartitions / createTopics) */
  invalidate (): void { this.#dirty = true }

  targetFor (memberId: string): TopicPartition[] {
    if (this.#dirty) this.#rebalance()
    return this.#target.get(memberId) ?? []
  }

  ownerOf (topic: string, partition: number): string | undefined {
    return this.#owners.get(tpKey(topic, partition))
  }

  /** takes a free partition; false when someone still holds it */
  acquire (memberId: string, tp: TopicPartition): boolean {
    const k = tpKey(tp.topic, tp.partition)
    const owner = this.#owners.get(k)
    if (owner !== undefined && owner !== memberId) return false
    this.#owners.set(k, memberId)
    return true
  }

  release (memberId: string, tp: TopicPartition): void {
    const k = tpKey(tp.topic, tp.partition)
    if (this.#owners.get(k) === memberId) this.#owners.delete(k)
  }

  committed (topic: string, partition: number): number {
    return this.#committed.get(tpKey(topic, partition)) ?? -1
  }

  commit (topic: string, partition: number, offset: number): void {
    this.#committed.set(tpKey(topic, partition), offset)
  }

  /**
   * Sticky balanced assignment: every member keeps what it had up to its quota, the rest goes
   * to members with room, in member order. Quotas differ by at most one partition.
   */
  #rebalance (): void {
    this.#dirty = false
    this.#generation++
    const previous = this.#target
    const next = new Map<string, TopicPartition[]>()
    const members = [...this.#members.values()].sort((a, b) => a.id < b.id ? -1 : 1)
    for (const m of members) next.set(m.id, [])
    const topics = [...new Set(members.flatMap(m => m.topics))].sort()
    for (const topic of topics) {
      const subscribers = members.filter(m => m.topics.includes(topic))
      const count = this.#partitionCounts(topic)
      if (subscribers.length === 0 || count === 0) continue
      const base = Math.floor(count / subscribers.length)
      const extra = count % subscribers.length
      const quota = new Map(subscribers.map((m, i) => [m.id, i < extra ? base + 1 : base]))
      const taken = new Set<number>()
      for (const m of subscribers) {
        for (const tp of previous.get(m.id) ?? []) {
          const mine = next.get(m.id)!
          if (tp.topic !== topic || tp.partition >= count) continue
          if (mine.filter(x => x.topic === topic).length >= quota.get(m.id)!) break
          mine.push(tp)
          taken.add(tp.partition)
        }
      }
      let p = 0
      for (const m of subscribers) {
        const mine = next.get(m.id)!
        while (mine.filter(x => x.topic === topic).length < quota.get(m.id)!) {
          while (taken.has(p)) p++
          mine.push({ topic, partition: p })
          taken.add(p)
        }
      }
    }
    this.#target = next
  }
}
