import type { IsolationLevel, LogAdmin, PartitionOffsets, TopicDescription, TopicSpec } from './log.js'
import type { MemoryStore } from './memory-store.js'

/** Admin side of the in-process log; configs it reports are exactly the ones set. */
export class MemoryAdmin implements LogAdmin {
  readonly #store: MemoryStore

  constructor (store: MemoryStore) {
    this.#store = store
  }

  async listTopics (): Promise<string[]> {
    return [...this.#store.topics.keys()].sort()
  }

  async describeTopics (names: readonly string[]): Promise<TopicDescription[]> {
    const out: TopicDescription[] = []
    for (const name of names) {
      const t = this.#store.topics.get(name)
      if (t !== undefined) {
        out.push({ name, partitions: t.partitions.length, replicationFactor: t.replicationFactor, configs: { ...t.configs } })
      }
    }
    return out
  }

  async createTopics (specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) this.#store.createTopic(spec)
  }

  async alterConfigs (topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    this.#store.setConfigs(topic, configs)
  }

  async createPartitions (topic: string, total: number): Promise<void> {
    this.#store.addPartitions(topic, total)
  }

  async offsets (topic: string, isolation: IsolationLevel = 'read_committed'): Promise<PartitionOffsets[]> {
    return this.#store.topic(topic).partitions.map(p => ({ partition: p.partition, low: p.startOffset, high: p.endOffset(isolation) }))
  }

  async deleteTopics (names: readonly string[]): Promise<void> {
    for (const name of names) this.#store.deleteTopic(name)
  }

  async close (): Promise<void> {}
}
