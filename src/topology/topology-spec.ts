import { readFile } from 'node:fs/promises'
import { VolumerError } from '../errors.js'
import type { TopicSpec } from '../log/log.js'

/**
 * topology/topics.json, resolved for one environment:
 *
 *   { "environments": { "<env>": { "replicationFactor": 1, "configs": { ... } } },
 *     "topics": { "<name>": { "partitions": 12, "copartitionedWith"?: "<name>", "configs": { ... } } } }
 *
 * An environment's configs apply to every topic under the topic's own (e.g. min.insync.replicas).
 * Keys starting with "$" are comments. Config values are strings, as Kafka stores them.
 */

export interface Topology {
  readonly environment: string
  readonly topics: readonly TopicSpec[]
  /** topic → the topic whose partition count it must equal */
  readonly copartitioned: ReadonlyMap<string, string>
}

export interface ResolveOptions {
  readonly environment: string
  /** prepended to every topic name (tests, several deployments on one cluster) */
  readonly prefix?: string
}

function bad (message: string): VolumerError {
  return new VolumerError('BAD_TOPOLOGY', message)
}

function isObject (x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function configsOf (where: string, x: unknown): Record<string, string> {
  if (x === undefined) return {}
  if (!isObject(x)) throw bad(`${where}.configs must be an object of strings`)
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(x)) {
    if (k.startsWith('$')) continue
    if (typeof v !== 'string') throw bad(`${where}.configs["${k}"] must be a string (Kafka config values are strings), got ${JSON.stringify(v)}`)
    out[k] = v
  }
  return out
}

function positiveInt (where: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw bad(`${where} must be a positive integer, got ${JSON.stringify(x)}`)
  return x
}

/** validates the parsed file and resolves it for one environment; the result is frozen */
export function resolveTopology (doc: unknown, options: ResolveOptions): Topology {
  if (!isObject(doc)) throw bad('the topology must be a JSON object')
  const envs = doc.environments
  if (!isObject(envs)) throw bad('"environments" must be an object')
  const env = envs[options.environment]
  if (!isObject(env)) {
    const known = Object.keys(envs).filter(k => !k.startsWith('$')).join(', ')
    throw bad(`unknown environment "${options.environment}" (known: ${known})`)
  }
  const rf = positiveInt(`environments.${options.environment}.replicationFactor`, env.replicationFactor)
  const envConfigs = configsOf(`environments.${options.environment}`, env.configs)
  const topics = doc.topics
  if (!isObject(topics)) throw bad('"topics" must be an object')
  const prefix = options.prefix ?? ''
  const specs: TopicSpec[] = []
  const copartitioned = new Map<string, string>()
  const partitionsOf = new Map<string, number>()
  for (const [name, t] of Object.entries(topics)) {
    if (name.startsWith('$')) continue
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) throw bad(`topic name "${name}" is not a legal Kafka topic name`)
    if (!isObject(t)) throw bad(`topics.${name} must be an object`)
    const partitions = positiveInt(`topics.${name}.partitions`, t.partitions)
    partitionsOf.set(name, partitions)
    if (t.copartitionedWith !== undefined) {
      if (typeof t.copartitionedWith !== 'string') throw bad(`topics.${name}.copartitionedWith must be a topic name`)
      copartitioned.set(prefix + name, prefix + t.copartitionedWith)
    }
    specs.push(Object.freeze({
      name: prefix + name,
      partitions,
      replicationFactor: rf,
      configs: Object.freeze({ ...envConfigs, ...configsOf(`topics.${name}`, t.configs) }),
    }))
  }
  for (const [name, other] of copartitioned) {
    const n = partitionsOf.get(name.slice(prefix.length))
    const m = partitionsOf.get(other.slice(prefix.length))
    if (m === undefined) throw bad(`topics.${name}.copartitionedWith names "${other}", which is not declared`)
    if (n !== m) throw bad(`topic "${name}" has ${n} partitions but must match "${other}" (${m}): copartitioned`)
  }
  return Object.freeze({ environment: options.environment, topics: Object.freeze(specs), copartitioned })
}

export async function loadTopology (path: string, options: ResolveOptions): Promise<Topology> {
  let doc: unknown
  try {
    doc = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new VolumerError('BAD_TOPOLOGY', `cannot read topology ${path}: ${(err as Error).message}`, { cause: err })
  }
  return resolveTopology(doc, options)
}
