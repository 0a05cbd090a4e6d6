import { readFileSync } from 'node:fs'
import { DEFAULT_TOPICS } from '../processor/topics.js'
import { resolveTopology, type Topology } from '../topology/topology-spec.js'

const TOPOLOGY_FILE = new URL('../../topology/topics.json', import.meta.url)

/**
 * The in-process log lives in memory and dies with the process, so the cluster's retention
 * (swaps 7 days, the state changelog compacted only after 6 h) would only grow the heap: at
 * 1,000 swaps/s that held every swap and every changelog record of the run (measured: RSS up
 * ~150 MB/min, see docs/operations.md). Here the log keeps what the one processor can still
 * read: swaps for a few minutes and never before the processor's committed offset (it reads
 * them within a cycle; a restart starts from the checkpoints anyway) and changelog records compacted after two minutes. The processor caps
 * its DELTA records' age at half that lag (capFullAfter) and checkpoints every 10 s, so a
 * restore always finds the FULL records it needs.
 */
export const EMBEDDED_TOPIC_CONFIGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // never past what the processor has committed: one that has fallen behind (an overloaded
  // machine) holds more in memory instead of skipping swaps
  [DEFAULT_TOPICS.swaps]: { 'retention.ms': '300000', 'volumer.retention.keep.uncommitted': 'true' },
  [DEFAULT_TOPICS.dlq]: { 'retention.ms': '3600000' },
  [DEFAULT_TOPICS.state]: { 'min.compaction.lag.ms': '120000', 'delete.retention.ms': '120000' },
  [DEFAULT_TOPICS.stats]: { 'delete.retention.ms': '120000' },
  // a day of candles: the in-process log compacts them to one record per candle
  [DEFAULT_TOPICS.candles!]: { 'retention.ms': '86400000', 'delete.retention.ms': '120000' },
  [DEFAULT_TOPICS.candlesHistory!]: { 'retention.ms': '86400000', 'delete.retention.ms': '120000' },
}

function withEmbeddedRetention (topics: Record<string, { configs?: Record<string, string> }>): void {
  for (const [name, configs] of Object.entries(EMBEDDED_TOPIC_CONFIGS)) {
    const t = topics[name]
    if (t !== undefined) t.configs = { ...t.configs, ...configs }
  }
}

/**
 * topology/topics.json for `volumer run`'s in-process log: `partitions` for every partitioned
 * topic and EMBEDDED_TOPIC_CONFIGS over the cluster's retention.
 */
export function embeddedTopology (partitions: number, withRetention = true): Topology {
  const doc = JSON.parse(readFileSync(TOPOLOGY_FILE, 'utf8')) as { topics: Record<string, { partitions: number, configs?: Record<string, string> }> }
  for (const t of Object.values(doc.topics)) if (t.partitions > 1) t.partitions = partitions
  if (withRetention) withEmbeddedRetention(doc.topics)
  return resolveTopology(doc, { environment: 'local' })
}
