import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { IsolationLevel, Log } from '../../src/log/log.js'
import { resolveTopology } from '../../src/topology/topology-spec.js'
import { applyTopology } from '../../src/topology/topology.js'
import { REPO_ROOT, readSampleLines } from './sample-data.js'

/**
 * Creates Volumer's topics (topology/topics.json) with a name prefix, in environment "local"
 * (replication 1) unless told otherwise: a multi-broker cluster takes "production" (replication 3,
 * min.insync.replicas 2).
 */
export async function applyTestTopology (log: Log, prefix = '', partitions?: number, environment = 'local'): Promise<void> {
  const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'topology', 'topics.json'), 'utf8')) as { topics: Record<string, { partitions: number }> }
  if (partitions !== undefined) for (const t of Object.values(doc.topics)) t.partitions = t.partitions === 1 ? 1 : partitions
  const topology = resolveTopology(doc, { environment, prefix })
  const admin = await log.createAdmin()
  try { await applyTopology(admin, topology) } finally { await admin.close() }
}

/** Latest value per key of a topic (compacted view), read_committed, from the beginning. */
export async function readLatest (log: Log, topic: string): Promise<Map<string, Buffer | null>> {
  const admin = await log.createAdmin()
  let parts: number
  try { parts = (await admin.describeTopics([topic]))[0].partitions } finally { await admin.close() }
  const reader = await log.createReader({ partitions: Array.from({ length: parts }, (_, p) => ({ topic, partition: p, from: 'earliest' as const })) })
  const out = new Map<string, Buffer | null>()
  try {
    while (!reader.isCaughtUp()) {
      for (const b of await reader.poll(10_000, 200)) for (const r of b.records) if (r.key !== null) out.set(r.key.toString('utf8'), r.value)
    }
  } finally { await reader.close() }
  return out
}

/** Every record of a topic (read_committed unless told), from the beginning. */
export async function readAll (log: Log, topic: string, isolation: IsolationLevel = 'read_committed'): Promise<Array<{ partition: number, offset: number, key: Buffer | null, value: Buffer | null, headers?: Readonly<Record<string, Buffer>> }>> {
  const admin = await log.createAdmin()
  let parts: number
  try { parts = (await admin.describeTopics([topic]))[0].partitions } finally { await admin.close() }
  const reader = await log.createReader({ isolation, partitions: Array.from({ length: parts }, (_, p) => ({ topic, partition: p, from: 'earliest' as const })) })
  const out: Array<{ partition: number, offset: number, key: Buffer | null, value: Buffer | null, headers?: Readonly<Record<string, Buffer>> }> = []
  try {
    while (!reader.isCaughtUp()) for (const b of await reader.poll(10_000, 200)) for (const r of b.records) out.push(r)
  } finally { await reader.close() }
  return out
}

/** the shipped sample's lines (samples/README.md) */
export function sampleLines (): string[] {
  return readSampleLines()
}
