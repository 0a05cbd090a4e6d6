/**
 * How long one partition's checkpoint snapshot stalls the event loop (issue #20: /healthz p99 <
 * 20 ms while `volumer run` writes checkpoints; the edge shares the processor's thread there).
 * One engine filled by the project's generator (seed 7, CHECKPOINT_STALL_TOKENS tokens,
 * CHECKPOINT_STALL_SWAPS swaps at 1,000/s of event time: 600,000 = ten minutes of `volumer run`
 * at the soak's rate, all in one engine instead of four partitions'), then alternating rounds of
 *   one go:  snapshotEngine, as the processor encoded checkpoints until 12-07
 *   sliced:  snapshotInSlices (src/processor/sliced-snapshot.ts), a turn of the event loop every 5 ms
 * Per round: the longest gap between two runs of a 1 ms interval timer while the snapshot is
 * made (the stall a request waiting on the loop sees) and the snapshot's wall time.
 *
 *   node --import tsx bench/checkpoint-stall.bench.ts     writes bench/results/checkpoint-stall.json
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createEngine, snapshotEngine } from '../src/engine/index.js'
import { createSwapGenerator } from '../src/generator/index.js'
import { validateSwapObject } from '../src/swap/parse-swap.js'
import { isSwapReject } from '../src/swap/swap-reject.js'
import { snapshotInSlices, SNAPSHOT_SLICE_MS } from '../src/processor/sliced-snapshot.js'

const SWAPS = Number(process.env.CHECKPOINT_STALL_SWAPS ?? 600_000)
const TOKENS = Number(process.env.CHECKPOINT_STALL_TOKENS ?? 2000)
const ROUNDS = Number(process.env.CHECKPOINT_STALL_ROUNDS ?? 5)
const START = Date.parse('2026-12-06T00:00:00Z')

const gen = createSwapGenerator({ seed: 7, tokens: TOKENS, now: START })
const engine = createEngine({ now: START })
for (let i = 0; i < SWAPS; i++) {
  const s = validateSwapObject(gen.next(START + i))
  if (isSwapReject(s)) throw new Error(s.message)
  if (i % 100 === 0) engine.advance(s.blockTime + 1000)
  engine.ingest(s)
}

async function measure (snap: () => Promise<Uint8Array> | Uint8Array): Promise<{ stallMs: number, wallMs: number, bytes: number }> {
  // let the timer settle first
  await new Promise((resolve) => setTimeout(resolve, 20))
  let last = performance.now()
  let worst = 0
  const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now }, 1)
  await new Promise((resolve) => setTimeout(resolve, 10))
  worst = 0; last = performance.now()
  const t0 = performance.now()
  const bytes = (await snap()).byteLength
  const wallMs = performance.now() - t0
  await new Promise((resolve) => setImmediate(resolve))
  clearInterval(timer)
  worst = Math.max(worst, performance.now() - last)
  return { stallMs: Math.round(worst * 10) / 10, wallMs: Math.round(wallMs * 10) / 10, bytes }
}

const rounds: Array<{ round: number, method: string, stallMs: number, wallMs: number, bytes: number, load1: number }> = []
for (let r = 1; r <= ROUNDS; r++) {
  for (const method of r % 2 === 1 ? ['one go', 'sliced'] : ['sliced', 'one go']) {
    const m = await measure(method === 'one go' ? () => snapshotEngine(engine) : async () => await snapshotInSlices(engine))
    const row = { round: r, method, ...m, load1: Math.round(loadavg()[0] * 100) / 100 }
    rounds.push(row)
    console.log(JSON.stringify(row))
  }
}
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const summary = Object.fromEntries(['one go', 'sliced'].map((method) => {
  const rs = rounds.filter((x) => x.method === method)
  return [method, { stallMsMedian: median(rs.map((x) => x.stallMs)), stallMsMax: Math.max(...rs.map((x) => x.stallMs)), wallMsMedian: median(rs.map((x) => x.wallMs)) }]
}))
console.log(`snapshot of ${SWAPS.toLocaleString()} swaps over ${TOKENS} tokens (${(rounds[0].bytes / 1e6).toFixed(1)} MB): longest event-loop stall, median of ${ROUNDS}: one go ${summary['one go'].stallMsMedian} ms, sliced ${summary.sliced.stallMsMedian} ms (slice ${SNAPSHOT_SLICE_MS} ms); wall time ${summary['one go'].wallMsMedian} vs ${summary.sliced.wallMsMedian} ms`)
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, { recursive: true })
writeFileSync(out + 'checkpoint-stall.json', JSON.stringify({
  bench: 'checkpoint-stall', swaps: SWAPS, tokens: TOKENS, sliceMs: SNAPSHOT_SLICE_MS, summary, rounds,
  machine: 'shared: other engineers compiling and testing on the same 2 cores (load1 per round)',
  node: process.version, cpu: cpus()[0]?.model ?? 'unknown', at: new Date().toISOString(),
}, null, 2) + '\n')
