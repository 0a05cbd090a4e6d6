import type { LogAdmin, TopicDescription, TopicSpec } from '../log/log.js'
import type { Topology } from './topology-spec.js'

/**
 * Compares the declared topology with what the log has (checkTopology) and converges it
 * (applyTopology): creates missing topics, sets drifted configs, raises partition counts when
 * allowed. Some drift cannot be fixed by a command and is only reported: fewer partitions than
 * there are (Kafka never shrinks a topic), a different replication factor (needs a partition
 * reassignment), and growth of keyed topics unless `growPartitions` is set (growing moves keys
 * to other partitions, which breaks per-partition state until it is rebuilt).
 */

export type DriftItem =
  | { readonly kind: 'missing-topic', readonly topic: string, readonly want: TopicSpec }
  | { readonly kind: 'config', readonly topic: string, readonly name: string, readonly want: string, readonly have: string | null }
  | { readonly kind: 'partitions-low', readonly topic: string, readonly want: number, readonly have: number }
  | { readonly kind: 'partitions-high', readonly topic: string, readonly want: number, readonly have: number }
  | { readonly kind: 'replication-factor', readonly topic: string, readonly want: number, readonly have: number }

export interface ApplyOptions {
  /** allow raising partition counts of existing topics (moves keys: see above); default false */
  readonly growPartitions?: boolean
}

export interface ApplyResult {
  readonly created: string[]
  readonly altered: Array<{ readonly topic: string, readonly configs: Record<string, string> }>
  readonly grown: Array<{ readonly topic: string, readonly from: number, readonly to: number }>
  /** drift still there afterwards, each with why it was left */
  readonly unresolved: Array<{ readonly item: DriftItem, readonly reason: string }>
}

/** "delete,compact" and "compact,delete" are the same policy */
function sameValue (name: string, want: string, have: string | null): boolean {
  if (have === null) return false
  if (name === 'cleanup.policy') {
    const norm = (s: string): string => s.split(',').map(x => x.trim()).sort().join(',')
    return norm(want) === norm(have)
  }
  return want === have
}

function driftOf (spec: TopicSpec, have: TopicDescription | undefined): DriftItem[] {
  if (have === undefined) return [{ kind: 'missing-topic', topic: spec.name, want: spec }]
  const out: DriftItem[] = []
  if (have.partitions < spec.partitions) out.push({ kind: 'partitions-low', topic: spec.name, want: spec.partitions, have: have.partitions })
  if (have.partitions > spec.partitions) out.push({ kind: 'partitions-high', topic: spec.name, want: spec.partitions, have: have.partitions })
  if (have.replicationFactor !== spec.replicationFactor) {
    out.push({ kind: 'replication-factor', topic: spec.name, want: spec.replicationFactor, have: have.replicationFactor })
  }
  for (const [name, want] of Object.entries(spec.configs)) {
    const value = have.configs[name] ?? null
    if (!sameValue(name, want, value)) out.push({ kind: 'config', topic: spec.name, name, want, have: value })
  }
  return out
}

export async function checkTopology (admin: LogAdmin, topology: Topology): Promise<DriftItem[]> {
  const described = await admin.describeTopics(topology.topics.map(t => t.name))
  const byName = new Map(described.map(d => [d.name, d]))
  return topology.topics.flatMap(spec => driftOf(spec, byName.get(spec.name)))
}

export async function applyTopology (admin: LogAdmin, topology: Topology, options: ApplyOptions = {}): Promise<ApplyResult> {
  const drift = await checkTopology(admin, topology)
  const result: ApplyResult = { created: [], altered: [], grown: [], unresolved: [] }
  const missing = drift.flatMap(d => d.kind === 'missing-topic' ? [d.want] : [])
  if (missing.length > 0) {
    await admin.createTopics(missing)
    result.created.push(...missing.map(s => s.name))
  }
  const configs = new Map<string, Record<string, string>>()
  for (const d of drift) {
    switch (d.kind) {
      case 'missing-topic':
        break
      case 'config': {
        const c = configs.get(d.topic) ?? {}
        c[d.name] = d.want
        configs.set(d.topic, c)
        break
      }
      case 'partitions-low':
        if (options.growPartitions === true) {
          await admin.createPartitions(d.topic, d.want)
          result.grown.push({ topic: d.topic, from: d.have, to: d.want })
        } else {
          result.unresolved.push({ item: d, reason: 'growing a keyed topic moves keys between partitions; rerun with growPartitions once state can be rebuilt' })
        }
        break
      case 'partitions-high':
        result.unresolved.push({ item: d, reason: 'Kafka cannot decrease the partition count; recreate the topic to shrink it' })
        break
      case 'replication-factor':
        result.unresolved.push({ item: d, reason: 'changing the replication factor needs a partition reassignment (kafka-reassign-partitions)' })
        break
    }
  }
  for (const [topic, c] of configs) {
    await admin.alterConfigs(topic, c)
    result.altered.push({ topic, configs: c })
  }
  return result
}

/** one line per drift item, for `volumer topology check` */
export function describeDrift (item: DriftItem): string {
  switch (item.kind) {
    case 'missing-topic': return `${item.topic}: missing (want ${item.want.partitions} partitions)`
    case 'config': return `${item.topic}: ${item.name} is ${item.have === null ? 'unset' : JSON.stringify(item.have)}, want ${JSON.stringify(item.want)}`
    case 'partitions-low': return `${item.topic}: ${item.have} partitions, want ${item.want}`
    case 'partitions-high': return `${item.topic}: ${item.have} partitions, more than the ${item.want} declared (cannot shrink)`
    case 'replication-factor': return `${item.topic}: replication factor ${item.have}, want ${item.want}`
  }
}
