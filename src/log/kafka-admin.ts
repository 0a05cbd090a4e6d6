import { promised, retryTransient } from './kafka-errors.js'
import { LogError } from './log-errors.js'
import { KafkaConfigClient } from './kafka-config-protocol.js'
import { listOffsets } from './kafka-reader.js'
import type { NativeAdmin, NativeModule } from './kafka-native.js'
import type { IsolationLevel, LogAdmin, PartitionOffsets, TopicDescription, TopicSpec } from './log.js'

const ADMIN_TIMEOUT_MS = 15_000

/**
 * Topic administration on Kafka: librdkafka's admin client for topics, partitions and offsets,
 * the small protocol client in kafka-config-protocol.ts for topic configs.
 */
export class KafkaAdmin implements LogAdmin {
  readonly #rd: NativeModule
  readonly #native: NativeAdmin
  readonly #configs: KafkaConfigClient

  constructor (rd: NativeModule, native: NativeAdmin, configs: KafkaConfigClient) {
    this.#rd = rd
    this.#native = native
    this.#configs = configs
  }

  async listTopics (): Promise<string[]> {
    const topics = await promised<string[]>('list topics', cb => this.#native.listTopics({ timeout: ADMIN_TIMEOUT_MS }, cb))
    return topics.filter(t => !t.startsWith('__')).sort()
  }

  async describeTopics (names: readonly string[]): Promise<TopicDescription[]> {
    const all = new Set(await retryTransient(async () => await promised<string[]>('list topics', cb => this.#native.listTopics({ timeout: ADMIN_TIMEOUT_MS }, cb))))
    const present = names.filter(n => all.has(n))
    if (present.length === 0) return []
    const [described, configs] = await Promise.all([
      retryTransient(async () => await promised<Array<{ name: string, partitions: Array<{ replicas: unknown[] }> }>>('describe topics',
        cb => this.#native.describeTopics(present, { timeout: ADMIN_TIMEOUT_MS }, cb))),
      this.#configs.describeTopicConfigs(present),
    ])
    const configsOf = new Map(configs.map(c => [c.topic, c.configs]))
    const out: TopicDescription[] = []
    for (const d of described) {
      const cfg = configsOf.get(d.name)
      if (cfg === null || cfg === undefined) continue // deleted meanwhile
      out.push({ name: d.name, partitions: d.partitions.length, replicationFactor: d.partitions[0]?.replicas.length ?? 0, configs: cfg })
    }
    return out
  }

  async createTopics (specs: readonly TopicSpec[]): Promise<void> {
    for (const s of specs) {
      await promised('create topic ' + s.name, cb => this.#native.createTopic(
        { topic: s.name, num_partitions: s.partitions, replication_factor: s.replicationFactor, config: { ...s.configs } },
        ADMIN_TIMEOUT_MS, cb))
    }
    // CreateTopics returns before every broker's metadata has the topics: wait, so that what
    // the caller does next (describe, produce) sees them
    await this.#until('created topics in metadata', async () =>
      (await this.describeTopics(specs.map(s => s.name))).length === specs.length)
  }

  async #until (what: string, ready: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + ADMIN_TIMEOUT_MS
    while (!(await ready())) {
      if (Date.now() > deadline) throw new LogError('BROKER_UNAVAILABLE', `timed out waiting for ${what}`, { retriable: true })
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  async alterConfigs (topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    await this.#configs.setTopicConfigs(topic, configs)
  }

  async createPartitions (topic: string, total: number): Promise<void> {
    await promised('create partitions for ' + topic, cb => this.#native.createPartitions(topic, total, ADMIN_TIMEOUT_MS, cb))
    await this.#until('new partitions in metadata', async () => (await this.describeTopics([topic]))[0]?.partitions === total)
  }

  async offsets (topic: string, isolation: IsolationLevel = 'read_committed'): Promise<PartitionOffsets[]> {
    const [d] = await retryTransient(async () => await promised<Array<{ partitions: Array<{ partition: number }> }>>('describe topic',
      cb => this.#native.describeTopics([topic], { timeout: ADMIN_TIMEOUT_MS }, cb)))
    const tps = d.partitions.map(p => ({ topic, partition: p.partition }))
    const got = await listOffsets(this.#rd, this.#native, tps, isolation)
    return tps.map(tp => ({ partition: tp.partition, ...got.get(topic + ':' + tp.partition)! }))
  }

  async deleteTopics (names: readonly string[]): Promise<void> {
    const present = new Set(await promised<string[]>('list topics', cb => this.#native.listTopics({ timeout: ADMIN_TIMEOUT_MS }, cb)))
    for (const name of names) {
      if (present.has(name)) await promised('delete topic ' + name, cb => this.#native.deleteTopic(name, ADMIN_TIMEOUT_MS, cb))
    }
    await this.#until('deleted topics gone from metadata', async () => (await this.describeTopics(names)).length === 0)
  }

  async close (): Promise<void> {
    this.#native.disconnect()
  }
}
