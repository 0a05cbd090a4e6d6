/**
 * Worker-thread side of createPgliteWorkerCheckpointStore: owns the PGlite store and answers
 * its calls. PGlite runs Postgres compiled to WASM synchronously on whatever thread calls it;
 * here that is this worker, not the main thread that serves HTTP and WebSocket.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createPgliteCheckpointStore } from './pglite-checkpoint-store.js'
import type { Checkpoint, CheckpointInfo, CheckpointStore } from './checkpoint-store.js'
import type { WorkerCall, WorkerReply, WorkerInit } from './pglite-worker-protocol.js'

const port = parentPort
if (port === null) throw new Error('pglite-store-worker must run as a worker thread')
const init = workerData as WorkerInit

const ready: Promise<CheckpointStore> = createPgliteCheckpointStore({
  dataDir: init.dataDir,
  keep: init.keep,
  logger: {
    // the only thing the store logs; the main thread's logger writes it
    warn: (obj: { err?: unknown }, msg: string) => { port.postMessage({ type: 'warn', message: msg, error: String((obj.err as Error | undefined)?.message ?? obj.err) } satisfies WorkerReply) },
  } as unknown as import('pino').Logger,
})

port.on('message', (call: WorkerCall) => { void answer(call) })

async function answer (call: WorkerCall): Promise<void> {
  try {
    const store = await ready
    switch (call.op) {
      case 'migrate': await store.migrate(); reply(call.id, null); break
      case 'save': await store.save(call.cp); reply(call.id, null); break
      case 'latest': {
        const cp = await store.latest(call.group, call.partition)
        if (cp === null) { reply(call.id, null); break }
        const state = cp.state
        // hand the bytes over instead of copying them (they are the worker's own buffer)
        const whole = state.byteOffset === 0 && state.byteLength === state.buffer.byteLength && state.buffer instanceof ArrayBuffer
        const copy: Checkpoint = { ...cp, state: whole ? state : new Uint8Array(state) }
        port!.postMessage({ type: 'reply', id: call.id, value: copy } satisfies WorkerReply, [copy.state.buffer as ArrayBuffer])
        break
      }
      case 'latestInfo': reply(call.id, await store.latestInfo(call.group, call.partition)); break
      case 'close': await store.close(); reply(call.id, null); port!.close(); break
    }
  } catch (err) {
    const e = err as { code?: unknown, message?: unknown, retriable?: unknown }
    port!.postMessage({
      type: 'reply', id: call.id,
      error: { code: typeof e?.code === 'string' ? e.code : undefined, message: String(e?.message ?? err), retriable: e?.retriable === true },
    } satisfies WorkerReply)
  }
}

function reply (id: number, value: Checkpoint | CheckpointInfo | null): void {
  port!.postMessage({ type: 'reply', id, value } satisfies WorkerReply)
}
