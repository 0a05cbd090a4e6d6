/**
 * One in-process run for bench:contract-cost's CPU mode (CONTRACT_BENCH_MODE=cpu): the
 * processor's own work on bench:processor's input without Kafka — validate each swap (as
 * processBatch does after the Avro decode), ingest it, and every 20,000 records advance the engine,
 * drain what changed and encode each stats object with the hand-written Avro writer — timed in
 * CPU seconds of this process (steadier than wall time on a shared machine). It imports the
 * engine, validator and writer of the build given as its argument (a variant's scratch build
 * under .run/contract-cost/), so the variants differ only in their edits.
 *
 *   node --import tsx bench/contract-cost-cpu.ts .run/contract-cost/full     prints one JSON line
 */
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildStream } from '../test/helpers/swap-stream.js'

const dir = resolve(process.argv[2] ?? '.')
const load = async (rel: string): Promise<any> => await import(pathToFileURL(join(dir, 'dist', rel)).href)
const { createEngine, parseWindowList } = await load('engine/index.js')
const { validateSwapObject } = await load('swap/parse-swap.js')
const { StatsWriter } = await load('codec/stats-encoder.js')

const CYCLE = 20_000
const now = Date.parse('2026-12-07T12:00:00.000Z')
// bench:processor's throughput input (seed 61), the same options
const inputs = buildStream({ swaps: 500_000, tokens: 50_000, seed: 61, now, badEvery: 0, duplicateRate: 0.01, disorderRate: 0.1, spanMs: 600_000 })
const records = inputs.flatMap((i) => i.kind === 'swap' ? [i.record] : [])
const engine = createEngine({ windows: parseWindowList('1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h'), now })
const writer = new StatsWriter(1)
let stats = 0
let bytes = 0
const onChange = (_key: string, value: unknown): void => { if (value !== null) { bytes += writer.encode(value).byteLength; stats++ } }
const c0 = process.cpuUsage()
const t0 = performance.now()
for (let i = 0; i < records.length; i++) {
  const swap = validateSwapObject(records[i])
  if (!('ok' in swap)) engine.ingest(swap)
  if ((i + 1) % CYCLE === 0 || i === records.length - 1) {
    // the processor advances to the wall clock each cycle: here 50 ms of event time per cycle
    engine.advance(now + Math.floor((i + 1) / CYCLE) * 50)
    engine.drain(onChange)
  }
}
const cu = process.cpuUsage(c0)
const cpuSeconds = (cu.user + cu.system) / 1e6
console.log(JSON.stringify({ records: records.length, cpuSeconds: Number(cpuSeconds.toFixed(3)), cpuMicrosPerSwap: Number((cpuSeconds * 1e6 / records.length).toFixed(2)), wallSeconds: Number(((performance.now() - t0) / 1000).toFixed(3)), statsRecords: stats, statsBytes: bytes }))
