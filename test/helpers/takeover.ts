/**
 * Measures a takeover: SIGKILL one processor, at once produce one fresh-token probe swap to
 * every partition it owned, and time until each probe's stats update is committed on `stats`
 * (read_committed). Shared by the takeover test and bench/processor.bench.ts.
 */
import { partitionForKey } from '../../src/log/murmur2.js'
import type { SwapRecord } from '../../src/codec/index.js'
import type { TestCluster } from './cluster.js'
import type { ProcessorProcess } from './processor-process.js'
import { createInputProducer } from './swap-stream.js'

export interface Takeover {
  /** the killed processor's partitions */
  partitions: number[]
  /** ms from the kill to the first / the last moved partition's probe on `stats` */
  firstMs: number
  lastMs: number
  perPartitionMs: Record<number, number>
  /** wall clock (Date.now()) of the SIGKILL, to place the processes' log lines against it */
  killedAt: number
}

/** A key of the form chain:token that murmur2 puts on `partition`. */
export function keyForPartition (partition: number, partitions: number, tag: string): { chain: string, token: string } {
  for (let i = 0; ; i++) {
    const token = `probe-${tag}-${i}`
    if (partitionForKey(Buffer.from('ethereum:' + token), partitions) === partition) return { chain: 'ethereum', token }
  }
}

export async function measureTakeover (cluster: TestCluster, victim: ProcessorProcess, timeoutMs = 60_000): Promise<Takeover> {
  const partitions = [...victim.owned].sort((a, b) => a - b)
  if (partitions.length === 0) throw new Error(`${victim.instanceId} owns no partitions`)
  const input = await createInputProducer(cluster, 0)
  const reader = await cluster.log.createReader({ partitions: Array.from({ length: cluster.partitions }, (_, p) => ({ topic: cluster.topics.stats, partition: p, from: 'latest' as const })) })
  const tag = Math.random().toString(36).slice(2, 8)
  const probes = new Map<string, number>()
  const records: SwapRecord[] = []
  for (const p of partitions) {
    const { chain, token } = keyForPartition(p, cluster.partitions, tag)
    probes.set(chain + ':' + token, p)
    records.push({
      id: `probe-${tag}-${p}`, chain, token, blockNumber: 1, logIndex: 0, blockTime: Date.now() - 1000,
      quoteToken: null, pool: null, trader: '0xprobe', side: 'BUY', amount: '1', amountUsd: '1'
    })
  }
  try {
    const t0 = performance.now()
    const killedAt = Date.now()
    await victim.kill()
    input.send(records.map((record) => ({ kind: 'swap' as const, key: record.chain + ':' + record.token, record })))
    await input.producer.flush()
    const perPartitionMs: Record<number, number> = {}
    const until = Date.now() + timeoutMs
    while (Object.keys(perPartitionMs).length < partitions.length) {
      if (Date.now() > until) throw new Error(`probes of partitions ${partitions.filter((p) => perPartitionMs[p] === undefined).join(',')} not on stats within ${timeoutMs} ms`)
      for (const b of await reader.poll(10_000, 100)) {
        for (const r of b.records) {
          const p = r.key === null ? undefined : probes.get(r.key.toString())
          if (p !== undefined && perPartitionMs[p] === undefined) perPartitionMs[p] = performance.now() - t0
        }
      }
    }
    const times = Object.values(perPartitionMs)
    return { partitions, firstMs: Math.min(...times), lastMs: Math.max(...times), perPartitionMs, killedAt }
  } finally {
    await reader.close()
    await input.close()
  }
}
