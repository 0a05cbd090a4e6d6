import { LogError } from './log-errors.js'
import type { Headers, ProduceRecord, TopicSpec } from './log.js'
import { MemoryGroup } from './memory-group.js'
import { MemoryPartition, type PartitionPolicy, type TxnState } from './memory-partition.js'
import { partitionForKey } from './murmur2.js'

/**
 * The shared state of one in-process log: topics and their partitions, consumer groups,
 * transactional-id epochs, and a change signal that wakes waiting polls.
 * The adapters in memory-*.ts expose it through the Log port.
 */

export interface MemoryTopic {
  readonly name: string
  readonly replicationFactor: number
  configs: Record<string, string>
  policy: PartitionPolicy
  partitions: MemoryPartition[]
  /** round-robin cursor for keyless records */
  nextKeyless: number
}

export interface MemoryStoreOptions {
  /** injected clock (ms since the epoch): record timestamps, session timeouts, compaction lag */
  readonly now: () => number
  /** a group member silent for longer than this is evicted */
  readonly sessionTimeoutMs: number
}

/** transactional id → the epoch of its newest producer and a hook to abort the older one's work */
interface TxnIdEntry {
  epoch: number
  abortOpen: () => void
}

const DAY_MS = 86_400_000

export function policyOf (configs: Readonly<Record<string, string>>): PartitionPolicy {
  const num = (name: string, fallback: number): number => {
    const v = configs[name]
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n)) throw new LogError('BAD_TOPOLOGY', `config ${name}="${v}" is not a number`)
    return n
  }
  const cleanup = configs['cleanup.policy'] ?? 'delete'
  return {
    compact: cleanup.includes('compact'),
    minCompactionLagMs: num('min.compaction.lag.ms', 0),
    deleteRetentionMs: num('delete.retention.ms', DAY_MS),
    // a compacted-only topic keeps everything that compaction keeps
    retentionMs: cleanup.includes('delete') ? num('retention.ms', 7 * DAY_MS) : -1,
    keepUncommitted: configs['volumer.retention.keep.uncommitted'] === 'true',
  }
}

export class MemoryStore {
  readonly now: () => number
  readonly sessionTimeoutMs: number
  readonly topics = new Map<string, MemoryTopic>()
  readonly groups = new Map<string, MemoryGroup>()
  #txnIds = new Map<string, TxnIdEntry>()
  #wake: (() => void) | null = null
  #changed: Promise<void>
  #closed = false

  constructor (options: MemoryStoreOptions) {
    this.now = options.now
    this.sessionTimeoutMs = options.sessionTimeoutMs
    this.#changed = this.#newSignal()
  }

  get closed (): boolean { return this.#closed }

  close (): void {
    this.#closed = true
    this.notify()
  }

  #newSignal (): Promise<void> {
    return new Promise<void>(resolve => { this.#wake = resolve })
  }

  /** wakes every poll waiting for new records or a group change */
  notify (): void {
    const wake = this.#wake
    this.#changed = this.#newSignal()
    wake?.()
  }

  /** resolves on the next change or after `timeoutMs`, whichever comes first */
  waitForChange (timeoutMs: number): Promise<void> {
    if (timeoutMs <= 0 || this.#closed) return Promise.resolve()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })
    return Promise.race([this.#changed, timeout]).finally(() => clearTimeout(timer))
  }

  topic (name: string): MemoryTopic {
    const t = this.topics.get(name)
    if (t === undefined) throw new LogError('UNKNOWN_TOPIC', `topic "${name}" does not exist`)
    return t
  }

  partitionCount (name: string): number {
    return this.topics.get(name)?.partitions.length ?? 0
  }

  createTopic (spec: TopicSpec): void {
    if (this.topics.has(spec.name)) throw new LogError('TOPIC_EXISTS', `topic "${spec.name}" exists already`)
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new LogError('BAD_TOPOLOGY', `topic "${spec.name}": partitions must be a positive integer`)
    }
    const configs = { ...spec.configs }
    const partitions: MemoryPartition[] = []
    for (let p = 0; p < spec.partitions; p++) partitions.push(new MemoryPartition(spec.name, p))
    this.topics.set(spec.name, {
      name: spec.name, replicationFactor: spec.replicationFactor, configs, policy: policyOf(configs), partitions, nextKeyless: 0,
    })
    this.#topologyChanged()
  }

  addPartitions (name: string, total: number): void {
    const t = this.topic(name)
    if (total < t.partitions.length) {
      throw new LogError('BAD_TOPOLOGY', `topic "${name}" has ${t.partitions.length} partitions; it cannot shrink to ${total}`)
    }
    for (let p = t.partitions.length; p < total; p++) t.partitions.push(new MemoryPartition(name, p))
    this.#topologyChanged()
  }

  deleteTopic (name: string): void {
    if (this.topics.delete(name)) this.#topologyChanged()
  }

  setConfigs (name: string, configs: Readonly<Record<string, string>>): void {
    const t = this.topic(name)
    const next = { ...t.configs, ...configs }
    t.policy = policyOf(next)
    t.configs = next
  }

  #topologyChanged (): void {
    for (const g of this.groups.values()) g.invalidate()
    this.notify()
  }

  group (groupId: string): MemoryGroup {
    let g = this.groups.get(groupId)
    if (g === undefined) {
      g = new MemoryGroup(groupId, name => this.partitionCount(name))
      this.groups.set(groupId, g)
    }
    return g
  }

  /** appends one record; the caller notifies (once per batch or commit) */
  append (record: ProduceRecord, txn: TxnState | null): MemoryPartition {
    const t = this.topic(record.topic)
    const n = t.partitions.length
    let p: number
    if (record.partition !== undefined) {
      p = record.partition
      if (!Number.isInteger(p) || p < 0 || p >= n) {
        throw new LogError('UNKNOWN_TOPIC', `topic "${t.name}" has no partition ${p}`)
      }
    } else if (record.key !== null) {
      p = partitionForKey(record.key, n)
    } else {
      p = t.nextKeyless++ % n
    }
    if (record.key === null && t.policy.compact) {
      throw new LogError('LOG_ERROR', `topic "${t.name}" is compacted: records need a key`)
    }
    const part = t.partitions[p]
    const headers: Headers | undefined = record.headers
    const [key, value] = ownCopy(record.key, record.value)
    part.append(key, value, record.timestamp ?? this.now(), headers, txn)
    if (txn === null) part.maintain(t.policy, this.now(), () => this.#committedFloor(part))
    return part
  }

  maintain (part: MemoryPartition): void {
    part.maintain(this.topic(part.topic).policy, this.now(), () => this.#committedFloor(part))
  }

  /** the lowest offset a group has committed on the partition (groups that never did: none) */
  #committedFloor (part: MemoryPartition): number {
    let floor = Infinity
    for (const g of this.groups.values()) {
      const c = g.committed(part.topic, part.partition)
      if (c >= 0) floor = Math.min(floor, c)
    }
    return floor
  }

  /**
   * Registers a producer for a transactional id. A newer registration fences the older one:
   * its open transaction is aborted and its epoch no longer matches.
   */
  initTransactionalId (transactionalId: string, abortOpen: () => void): number {
    const prev = this.#txnIds.get(transactionalId)
    if (prev !== undefined) prev.abortOpen()
    const epoch = (prev?.epoch ?? -1) + 1
    this.#txnIds.set(transactionalId, { epoch, abortOpen })
    return epoch
  }

  currentEpoch (transactionalId: string): number {
    return this.#txnIds.get(transactionalId)?.epoch ?? -1
  }
}

/**
 * The record's key and value copied into one allocation of exactly their size, as a broker
 * stores its own bytes (librdkafka copies on produce too). Keeping the producer's buffers
 * instead aliased memory the producer may reuse, and kept alive whatever those buffers are views
 * of: the stats writer's 1 MiB slabs and Node's 8 KiB pool slabs, each pinned whole by one record
 * that survived compaction (the newest stats of a quiet token). In `volumer run` that was most of
 * the RSS growth of issue #20's soak. One allocation per record, not two: a key alone is ~40 B.
 */
function ownCopy (key: Buffer | null, value: Buffer | null): [Buffer | null, Buffer | null] {
  const k = key?.length ?? 0
  const v = value?.length ?? 0
  if (k + v === 0) return [key === null ? null : Buffer.alloc(0), value === null ? null : Buffer.alloc(0)]
  // allocUnsafeSlow: never Node's shared 8 KiB pool, which would pin a slab per survivor again
  const both = Buffer.allocUnsafeSlow(k + v)
  if (key !== null) key.copy(both, 0)
  if (value !== null) value.copy(both, k)
  return [key === null ? null : both.subarray(0, k), value === null ? null : both.subarray(k)]
}
