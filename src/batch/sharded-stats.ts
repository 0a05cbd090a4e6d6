import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { StatsShard, newRejects, type Rejects, type StatsShardOptions } from './stats-shard.js'
import { mergeEncoded } from './encoded-output.js'
import type { EngineCounters } from '../engine/index.js'
import type { FromWorker, ToWorker, WorkerInit } from './stats-worker-protocol.js'

/**
 * `volumer stats` over N shards of the tokens, one worker thread each (N = 1: in this thread,
 * no worker). This thread only reads: it copies the input into SharedArrayBuffers of about
 * CHUNK_BYTES and hands every chunk to every worker; each worker splits all lines (so line
 * numbers agree) and decodes, parses and ingests only its tokens' (token-shard.ts).
 *
 *   input ─► [chunk 0][chunk 1]…  (shared, read by all)
 *                 │        │
 *        worker 0: tokens with hash % N = 0 ─┐  rejects per chunk, merged by line number
 *        worker 1: tokens with hash % N = 1 ─┴► output per shard, merged by (chain, token)
 *
 * Rejects are passed on chunk by chunk once every worker has acknowledged the chunk, merged
 * into line order: the lines a chunk completes are the same in every worker and all come after
 * the previous chunk's. At most MAX_IN_FLIGHT chunks are unacknowledged, so memory stays near
 * MAX_IN_FLIGHT × CHUNK_BYTES whatever the input's size.
 */

export interface ShardedStatsResult {
  read: number
  counters: EngineCounters
  /** what to print, in order, in pieces to write one after another */
  output: Iterable<string | Uint8Array>
}

const CHUNK_BYTES = 1 << 20
const MAX_IN_FLIGHT = 8

/** Runs the shards over `source`, calling `onRejects` with the rejected lines in line order. */
export async function runStatsShards (
  source: AsyncIterable<Uint8Array | string>,
  options: StatsShardOptions,
  threads: number,
  onRejects: (r: Rejects) => void,
): Promise<ShardedStatsResult> {
  if (threads <= 1) return runInThisThread(source, options, onRejects)
  return runInWorkers(source, options, threads, onRejects)
}

async function runInThisThread (source: AsyncIterable<Uint8Array | string>, options: StatsShardOptions, onRejects: (r: Rejects) => void): Promise<ShardedStatsResult> {
  const shard = new StatsShard({ ...options, shard: 0, shards: 1 })
  const flush = (): void => {
    const r = shard.takeRejects()
    if (r.lineNos.length > 0) onRejects(r)
  }
  for await (const chunk of source) {
    shard.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)
    flush()
  }
  shard.end()
  flush()
  return { read: shard.read, counters: { ...shard.counters }, output: textPieces(shard) }
}

/** One thread renders as it writes: pieces of about 64 KiB of text. */
function * textPieces (shard: StatsShard): Generator<string> {
  let out = ''
  for (const { line } of shard.output()) {
    out += line
    if (out.length > 1 << 16) { yield out; out = '' }
  }
  if (out !== '') yield out
}

async function runInWorkers (
  source: AsyncIterable<Uint8Array | string>,
  options: StatsShardOptions,
  n: number,
  onRejects: (r: Rejects) => void,
): Promise<ShardedStatsResult> {
  const workers: Worker[] = []
  /** per chunk not yet passed on: acknowledgements so far and the workers' rejects */
  const acks = new Map<number, { count: number, rejects: Rejects[] }>()
  const done: Array<Extract<FromWorker, { type: 'done' }> | undefined> = new Array(n).fill(undefined)
  let finished = 0
  let sent = 0
  /** the next chunk whose rejects are to be passed on */
  let next = 0
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const progress = (): void => { const w = wake; wake = undefined; w?.() }
  const waitForProgress = async (): Promise<void> => {
    if (failure !== undefined) throw failure
    await new Promise<void>((resolve) => { wake = resolve })
    if (failure !== undefined) throw failure
  }

  const onMessage = (msg: FromWorker, w: number): void => {
    if (msg.type === 'ack') {
      const a = acks.get(msg.seq)!
      a.count++
      if (msg.rejects !== null) a.rejects.push(msg.rejects)
      while (acks.get(next)?.count === n) {
        const r = acks.get(next)!.rejects
        acks.delete(next++)
        if (r.length > 0) onRejects(mergeRejects(r))
      }
    } else {
      done[w] = msg
      finished++
    }
    progress()
  }

  try {
    for (let w = 0; w < n; w++) {
      const worker = startWorker({ ...options, shard: w, shards: n })
      workers.push(worker)
      worker.on('message', (msg: FromWorker) => onMessage(msg, w))
      worker.on('error', (err) => { failure ??= err; progress() })
      worker.on('exit', (code) => {
        if (done[w] === undefined) { failure ??= new Error(`stats worker ${w} exited (code ${code}) before it finished`); progress() }
      })
    }
    const post = (msg: ToWorker): void => { for (const worker of workers) worker.postMessage(msg) }
    const send = async (parts: Uint8Array[], bytes: number): Promise<void> => {
      while (sent - next >= MAX_IN_FLIGHT) await waitForProgress()
      const buf = new SharedArrayBuffer(bytes)
      const view = new Uint8Array(buf)
      let at = 0
      for (const p of parts) { view.set(p, at); at += p.length }
      acks.set(sent, { count: 0, rejects: [] })
      post({ type: 'chunk', seq: sent++, buf, length: bytes })
    }
    // small chunks (stdin gives 64 KiB) are gathered: a message costs about as much as a few lines
    let parts: Uint8Array[] = []
    let bytes = 0
    for await (const chunk of source) {
      if (failure !== undefined) throw failure
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      parts.push(b)
      bytes += b.length
      if (bytes >= CHUNK_BYTES) { await send(parts, bytes); parts = []; bytes = 0 }
    }
    if (bytes > 0) await send(parts, bytes)
    post({ type: 'end' })
    while (finished < n) await waitForProgress()
  } finally {
    await Promise.all(workers.map(async (w) => await w.terminate()))
  }

  const results = done as Array<Extract<FromWorker, { type: 'done' }>>
  const last = results.flatMap((d) => d.rejects === null ? [] : [d.rejects])
  if (last.length > 0) onRejects(mergeRejects(last))
  const counters: EngineCounters = { counted: 0, duplicates: 0, late: 0, future: 0 }
  for (const d of results) {
    counters.counted += d.counters.counted
    counters.duplicates += d.counters.duplicates
    counters.late += d.counters.late
    counters.future += d.counters.future
  }
  return { read: results[0].read, counters, output: mergeEncoded(results.map((d) => d.output)) }
}

/** Rejects of several shards (each in line order) in one line order. */
export function mergeRejects (parts: Rejects[]): Rejects {
  if (parts.length === 1) return parts[0]
  const all: Array<[number, string, string]> = []
  for (const p of parts) for (let i = 0; i < p.lineNos.length; i++) all.push([p.lineNos[i], p.codes[i], p.texts[i]])
  all.sort((a, b) => a[0] - b[0])
  const out = newRejects()
  for (const [lineNo, code, text] of all) { out.lineNos.push(lineNo); out.codes.push(code); out.texts.push(text) }
  return out
}

function startWorker (init: WorkerInit): Worker {
  // under tsx (tests run the CLI from source) the worker needs tsx's loader registered first
  const fromSource = import.meta.url.endsWith('.ts')
  const entry = new URL('./stats-worker' + (fromSource ? '.ts' : '.js'), import.meta.url)
  return fromSource
    ? new Worker(`import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true, workerData: init })
    : new Worker(entry, { workerData: init })
}

/** file URL of tsx's ESM API (import.meta.resolve is not there under tsx on Node 20) */
function tsxApi (): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api')
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href
}
