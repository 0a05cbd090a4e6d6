/**
 * The three-node cluster of scripts/kafka-cluster.sh, driven from a test: start (or reuse) it,
 * SIGKILL and restart one node, find which node leads a transactional id's coordinator or a
 * partition, wait until every partition is fully replicated again, and list the transactions the
 * coordinators know. Script calls are asynchronous: a spawnSync would stop the test's event loop,
 * and with it the reading of its processors' stderr pipes (which would then block on their logs).
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sleep } from './cluster.js'
import { REPO_ROOT } from './sample-data.js'

const run = promisify(execFile)
const SCRIPT = join(REPO_ROOT, 'scripts', 'kafka-cluster.sh')

export async function clusterScript (...args: string[]): Promise<string> {
  try {
    const r = await run(SCRIPT, args, { timeout: 300_000, maxBuffer: 16 << 20 })
    return r.stdout + r.stderr
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string, message: string }
    throw new Error(`scripts/kafka-cluster.sh ${args.join(' ')} failed (${String(e.code)}): ${e.stdout ?? ''}${e.stderr ?? e.message}`)
  }
}

/** Java's String.hashCode, which Kafka uses to place a transactional id on __transaction_state */
export function javaHash (s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

interface Metadata { name: string, partitions: Array<{ partitionId: number, leader: number, replicas: number[], isr: number[] }> }
interface KafkaJsAdmin {
  connect (): Promise<void>
  disconnect (): Promise<void>
  fetchTopicMetadata (o: { topics: string[], timeout?: number }): Promise<Metadata[]>
}

export interface KafkaClusterControl {
  readonly bootstrap: string
  /** true when this control started the cluster (and `close` deletes it) */
  readonly startedHere: boolean
  /** node id leading each partition of a topic */
  leaders (topic: string): Promise<Map<number, number>>
  /** the node leading the __transaction_state partition of a transactional id */
  coordinatorOf (transactionalId: string): Promise<number>
  kill (node: number): Promise<void>
  /** starts the node again and waits until no partition of `topics` lacks a replica in its ISR */
  restart (node: number, topics: readonly string[], timeoutMs: number): Promise<void>
  /** transactionalId → state (Ongoing, PrepareCommit, CompleteAbort, ...) from TransactionsCommand list */
  transactions (): Promise<Map<string, string>>
  /** restarts a node this control killed and left down; deletes a cluster it started */
  close (): Promise<void>
}

export async function openKafkaCluster (): Promise<KafkaClusterControl> {
  let startedHere = false
  const status = await clusterScript('status').catch((err: Error) => err.message)
  if (!/node 1 running[\s\S]*node 2 running[\s\S]*node 3 running/.test(status)) {
    // a cluster with no node running is ours to delete afterwards; a partly running one is someone's
    startedHere = !/running \(pid/.test(status)
    await clusterScript('start')
  }
  await clusterScript('wait')
  const bootstrap = /VOLUMER_KAFKA_CLUSTER_BROKERS=(\S+)/.exec(await clusterScript('env'))![1]
  const require = createRequire(import.meta.url)
  const { KafkaJS } = require('@confluentinc/kafka-javascript') as { KafkaJS: { Kafka: new (c: unknown) => { admin (): KafkaJsAdmin }, logLevel: Record<string, number> } }
  const admin = new KafkaJS.Kafka({ kafkaJS: { brokers: bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } }).admin()
  await admin.connect()
  const down = new Set<number>()

  async function metadata (topics: readonly string[]): Promise<Metadata[]> {
    // a node that just died may still be asked: retry for a while
    for (let i = 0; ; i++) {
      try { return await admin.fetchTopicMetadata({ topics: [...topics], timeout: 10_000 }) } catch (err) {
        if (i >= 20) throw err
        await sleep(1000)
      }
    }
  }

  async function leaders (topic: string): Promise<Map<number, number>> {
    const [t] = await metadata([topic])
    return new Map(t.partitions.map((p) => [p.partitionId, p.leader]))
  }

  return {
    bootstrap,
    startedHere,
    leaders,
    async coordinatorOf (transactionalId) {
      const l = await leaders('__transaction_state')
      return l.get(Math.abs(javaHash(transactionalId)) % l.size)!
    },
    async kill (node) {
      await clusterScript('kill', String(node))
      down.add(node)
    },
    async restart (node, topics, timeoutMs) {
      await clusterScript('start', String(node))
      down.delete(node)
      const until = Date.now() + timeoutMs
      for (;;) {
        const md = await metadata([...topics, '__transaction_state', '__consumer_offsets']).catch(() => [])
        const short = md.flatMap((t) => t.partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => `${t.name}/${p.partitionId}`))
        if (md.length > 0 && short.length === 0) return
        if (Date.now() > until) throw new Error(`node ${node} restarted but ${short.length} partitions still under-replicated after ${timeoutMs} ms: ${short.slice(0, 5).join(', ')}`)
        await sleep(1000)
      }
    },
    async transactions () {
      const out = await clusterScript('tool', 'org.apache.kafka.tools.TransactionsCommand', '--bootstrap-server', bootstrap, 'list')
      const m = new Map<string, string>()
      for (const line of out.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/)
        if (cols.length >= 4 && cols[0] !== 'TransactionalId') m.set(cols[0], cols[3])
      }
      return m
    },
    async close () {
      await admin.disconnect().catch(() => {})
      for (const n of down) await clusterScript('start', String(n)).catch(() => {})
      if (startedHere) await clusterScript('reset')
    }
  }
}
