import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import { ERROR_CODES, VolumerError, type ErrorCode } from '../errors.js'
import type { Checkpoint, CheckpointInfo, CheckpointStore, CheckpointStoreOptions } from './checkpoint-store.js'
import type { WorkerCall, WorkerInit, WorkerReply } from './pglite-worker-protocol.js'

export interface PgliteWorkerCheckpointStoreOptions extends CheckpointStoreOptions {
  /** data directory; omitted: in memory (lost at close) */
  dataDir?: string
  logger?: Logger
}

type Call = WorkerCall extends infer C ? C extends { id: number } ? Omit<C, 'id'> : never : never

/**
 * The PGlite checkpoint store on a worker thread (the embedded mode's store). PGlite executes
 * each query synchronously on the calling thread: on the main thread a 20 MB save blocked the
 * event loop for about a second, and with it every HTTP and WebSocket answer (issue #20: /healthz
 * p99 in the hundreds of ms while checkpoints were written). Here the main thread only posts the
 * state's bytes (transferred, not copied, when the checkpoint owns its buffer whole) and awaits.
 * Same contract and errors as createPgliteCheckpointStore; a worker that dies fails every
 * pending and later call with STORE_FAILED.
 */
export function createPgliteWorkerCheckpointStore (opts: PgliteWorkerCheckpointStoreOptions = {}): CheckpointStore {
  // the compiled .js next to this file; from source (tests, `node --import tsx`), the .ts
  // through tsx's loader, which a worker does not inherit: a small bootstrap registers it first
  const fromSource = import.meta.url.endsWith('.ts')
  const entry = new URL('./pglite-store-worker' + (fromSource ? '.ts' : '.js'), import.meta.url)
  const workerData: WorkerInit = { dataDir: opts.dataDir, keep: opts.keep }
  const worker = fromSource
    ? new Worker(`import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true, workerData })
    : new Worker(entry, { workerData })
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  let nextId = 1
  let dead: VolumerError | null = null

  function fail (err: VolumerError): void {
    dead ??= err
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  worker.on('message', (msg: WorkerReply) => {
    if (msg.type === 'warn') { opts.logger?.warn({ err: { message: msg.error } }, msg.message); return }
    const p = pending.get(msg.id)
    if (p === undefined) return
    pending.delete(msg.id)
    if (msg.error === undefined) { p.resolve(msg.value); return }
    const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(msg.error.code ?? '') ? msg.error.code as ErrorCode : 'STORE_FAILED'
    p.reject(new VolumerError(code, msg.error.message, { retriable: msg.error.retriable }))
  })
  worker.on('error', (err) => fail(new VolumerError('STORE_FAILED', `checkpoint store (PGlite worker) failed: ${err.message}`, { cause: err })))
  worker.on('exit', (code) => fail(new VolumerError('STORE_FAILED', `checkpoint store (PGlite worker) exited (${code})`)))

  async function call<T> (c: Call, transfer: ArrayBuffer[] = []): Promise<T> {
    if (dead !== null) throw dead
    const id = nextId++
    return await new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      worker.postMessage({ ...c, id }, transfer)
    })
  }

  return {
    migrate: async () => { await call<null>({ op: 'migrate' }) },
    async save (cp: Checkpoint) {
      // structured clone copies the bytes (one memcpy, far less than the save); the caller's
      // buffer stays usable, as with the in-thread stores
      await call<null>({ op: 'save', cp })
    },
    latest: async (group, partition) => await call<Checkpoint | null>({ op: 'latest', group, partition }),
    latestInfo: async (group, partition) => await call<CheckpointInfo | null>({ op: 'latestInfo', group, partition }),
    async close () {
      if (dead !== null) return
      await call<null>({ op: 'close' }).catch(() => {})
      await worker.terminate()
    },
  }
}

/** file URL of tsx's ESM API (import.meta.resolve is not there under tsx on Node 20) */
function tsxApi (): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api')
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href
}
