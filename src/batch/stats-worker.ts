import { parentPort, workerData } from 'node:worker_threads'
import { StatsShard, type Rejects } from './stats-shard.js'
import { encodeOutput } from './encoded-output.js'
import type { FromWorker, ToWorker, WorkerInit } from './stats-worker-protocol.js'

/** One shard of `volumer stats --threads N` in a worker thread (sharded-stats.ts starts it). */

const port = parentPort
if (port === null) throw new Error('stats-worker.ts runs as a worker thread')
const shard = new StatsShard(workerData as WorkerInit)

const rejects = (): Rejects | null => {
  const r = shard.takeRejects()
  return r.lineNos.length === 0 ? null : r
}

port.on('message', (msg: ToWorker) => {
  let reply: FromWorker
  if (msg.type === 'chunk') {
    shard.push(Buffer.from(msg.buf, 0, msg.length))
    reply = { type: 'ack', seq: msg.seq, rejects: rejects() }
  } else {
    shard.end()
    const output = encodeOutput(shard.output())
    port.postMessage({ type: 'done', rejects: rejects(), read: shard.read, counters: { ...shard.counters }, output } satisfies FromWorker, output.blocks)
    return
  }
  port.postMessage(reply)
})
