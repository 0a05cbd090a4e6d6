import type { EngineCounters } from '../engine/index.js'
import type { Rejects, StatsShardOptions } from './stats-shard.js'
import type { EncodedOutput } from './encoded-output.js'

/**
 * Messages between `volumer stats --threads N` (sharded-stats.ts) and its workers
 * (stats-worker.ts). Input chunks travel as SharedArrayBuffers, read by every worker without a
 * copy each; the output's bytes are transferred (encoded-output.ts); the rest is structured-cloned.
 *
 *   main ──chunk seq──► every worker ──ack seq + its rejects──► main (merges them by line, writes)
 *   main ──end────────► every worker ──done: counters + output──► main (merges by (chain, token))
 */
export type WorkerInit = StatsShardOptions & { shard: number, shards: number }

export type ToWorker =
  | { type: 'chunk', seq: number, buf: SharedArrayBuffer, length: number }
  | { type: 'end' }

export type FromWorker =
  | { type: 'ack', seq: number, rejects: Rejects | null }
  | { type: 'done', rejects: Rejects | null, read: number, counters: EngineCounters, output: EncodedOutput }
