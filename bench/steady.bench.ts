/**
 * A day at the brief's rate through the real pipeline (issue #19 §2–3): the generator's backfill
 * (`volumer produce --generate --start`, 1,000 swaps/s of event time, sent as fast as the
 * processors take it) into Kafka + Postgres with two processors in their default configuration,
 * then SIGKILL of each processor (takeover times), a restore of all 12 partitions on one
 * processor, an edge rehydrating `stats`, the oracle check of a sample of tokens, and 1,000
 * swaps/s live. Needs `scripts/services.sh start` and a build (`npx tsc -p tsconfig.json`: the
 * processes are bin/volumer.js from dist/).
 *
 *   npm run bench:steady             prints each phase's figures, writes bench/results/steady.json
 *   BENCH_STEADY_HOURS=24            event hours to backfill (fractions allowed: 0.02 = 72 s)
 *   BENCH_STEADY_TOKENS=20000        tokens of the generator
 *   BENCH_STEADY_LIVE_S=600          seconds of live traffic at 1,000 swaps/s
 *   BENCH_STEADY_SAMPLE=200          tokens checked against the oracle (half top, half tail by volume)
 *   BENCH_STEADY_ORACLE_SWAPS=3000000  most swaps the bench holds for the oracle check: top tokens
 *                                    that would pass it are skipped (recorded) rather than swap
 *   BENCH_STEADY_RESULTS=steady.json results file, relative to bench/results (or absolute)
 *   BENCH_STEADY_TAKEOVERS=2         SIGKILLs in the takeover phase, a and b in turn
 *   BENCH_STEADY_SKIP=               phases left out (comma list of generatorCount, takeover,
 *                                    restore, correctness, live: e.g. takeover,restore,generatorCount
 *                                    for the backfill and the edge's rehydration alone; correctness
 *                                    and live need generatorCount). Recorded in `mode.skipped`.
 *
 * The JSON is rewritten after every phase, and a failing phase is recorded in it (`failed`).
 * Processors run with the CLI's defaults (cycle 100ms, checkpoints every 60s, session timeout
 * 3s, the default windows and standby setting); connection flags are passed explicitly from the
 * environment (VOLUMER_KAFKA_BROKERS, VOLUMER_PG_URL) so the CLI's defaults do not matter.
 * The processors inherit the environment: VOLUMER_STANDBY=true|false, VOLUMER_SESSION_TIMEOUT or
 * VOLUMER_TRANSACTION_TIMEOUT set for the bench compares another configuration (recorded in
 * processorFlags).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { BROKERS, PG_URL, createTestCluster, sleep, waitUntil, type TestCluster } from '../test/helpers/cluster.js'
import { EdgeFleet, type EdgeProcess } from '../test/helpers/edge-process.js'
import { ProcessorFleet, type ProcessorProcess } from '../test/helpers/processor-process.js'
import { REPO_ROOT } from '../test/helpers/sample-data.js'
import { mapLimit, tokenPath } from '../test/helpers/edge-checks.js'
import { createInputProducer } from '../test/helpers/swap-stream.js'
import { measureTakeover } from '../test/helpers/takeover.js'
import type { SwapRecord } from '../src/codec/index.js'
import { DEFAULT_WINDOW_LIST, parseWindows } from '../test/helpers/windows.js'
import { runLive } from './steady-live.js'
import { MB, addHistograms, histogram, pgSizes, pidListeningOn, processMemory, quantileBound, sample, treePssBytes, type HistogramSample } from './steady-resources.js'
import { checkSample, chooseSample, collectPass, countPass, produceFlags, type Backfill } from './steady-sample.js'

const HOURS = Number(process.env.BENCH_STEADY_HOURS ?? 24)
const TOKENS = Number(process.env.BENCH_STEADY_TOKENS ?? 20_000)
const LIVE_S = Number(process.env.BENCH_STEADY_LIVE_S ?? 600)
const SAMPLE = Number(process.env.BENCH_STEADY_SAMPLE ?? 200)
const ORACLE_SWAPS = Number(process.env.BENCH_STEADY_ORACLE_SWAPS ?? 3_000_000)
const RESULTS = resolve(REPO_ROOT, 'bench', 'results', process.env.BENCH_STEADY_RESULTS ?? 'steady.json')
const RATE = 1000
/** BENCH_STEADY_STALL_S: the backfill fails when the group commits nothing for this long */
const STALL_S = Number(process.env.BENCH_STEADY_STALL_S ?? 300)
/** BENCH_STEADY_TAKEOVERS: SIGKILLs of a processor in the takeover phase, a and b in turn (default 2) */
const TAKEOVERS = Number(process.env.BENCH_STEADY_TAKEOVERS ?? 2)
const SKIP = new Set((process.env.BENCH_STEADY_SKIP ?? '').split(',').map((x) => x.trim()).filter((x) => x !== ''))
if (SKIP.has('generatorCount')) { SKIP.add('correctness'); SKIP.add('live') }
const WINDOWS = DEFAULT_WINDOW_LIST
// the CLI's defaults, passed because the test helper otherwise sets its own faster ones
const DEFAULTS = { windows: WINDOWS, cycle: '100ms', checkpointInterval: '60s', keepLogs: true }

const result: Record<string, unknown> = {
  bench: 'steady', node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(),
  mode: { hours: HOURS, tokens: TOKENS, liveSeconds: LIVE_S, rate: RATE, full: HOURS >= 24 && LIVE_S >= 600 && SKIP.size === 0, skipped: [...SKIP], takeovers: TAKEOVERS },
  processorFlags: { cycle: DEFAULTS.cycle, checkpointInterval: DEFAULTS.checkpointInterval, windows: WINDOWS, sessionTimeout: process.env.VOLUMER_SESSION_TIMEOUT ?? '3s (CLI default)', transactionTimeout: process.env.VOLUMER_TRANSACTION_TIMEOUT ?? '5s (CLI default)', standby: process.env.VOLUMER_STANDBY ?? 'CLI default' },
  loadavgAtStart: loadavg()[0], phases: {} as Record<string, unknown>, failed: null as unknown
}
const phases = result.phases as Record<string, unknown>

function save (): void {
  result.at = new Date().toISOString()
  mkdirSync(resolve(RESULTS, '..'), { recursive: true })
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n')
}

/** runs one phase: prints nothing itself, records its figures (with the load) or its failure */
async function phase<T extends Record<string, unknown>> (name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  try {
    const out = await fn()
    phases[name] = { ...out, phaseSeconds: Math.round((performance.now() - t0) / 100) / 10, loadavg1m: loadavg()[0] }
    return out
  } catch (err) {
    result.failed = { phase: name, error: err instanceof Error ? err.message : String(err), afterSeconds: Math.round((performance.now() - t0) / 1000) }
    console.log(`phase ${name} FAILED: ${err instanceof Error ? err.message : String(err)}`)
    throw err
  } finally { save() }
}

/** Peak RSS per role, sampled every 2 s (roles map to whichever process plays them now). */
class MemorySampler {
  readonly peaks: Record<string, number> = {}
  readonly #timer: NodeJS.Timeout
  constructor (readonly pids: () => Record<string, number | undefined>) {
    this.#timer = setInterval(() => this.take(), 2000)
  }

  take (): Record<string, number> {
    const now: Record<string, number> = {}
    for (const [role, pid] of Object.entries(this.pids())) {
      if (pid === undefined) continue
      const bytes = role === 'postgres' ? treePssBytes(pid).pssBytes : processMemory(pid).rssBytes
      if (!Number.isFinite(bytes)) continue
      now[role] = bytes
      this.peaks[role] = Math.max(this.peaks[role] ?? 0, bytes)
    }
    return now
  }

  stop (): void { clearInterval(this.#timer) }
}

const mbOf = (o: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, MB(v)]))

interface ProcFigures { heapUsed: number, rss: number, tokens: number, counted: number, checkpoints: HistogramSample, commits: HistogramSample, cycles: HistogramSample, freezes: number, aborts: number }
async function figures (p: ProcessorProcess): Promise<ProcFigures> {
  const text = await p.metrics()
  return {
    heapUsed: sample(text, 'volumer_processor_nodejs_heap_size_used_bytes'),
    rss: sample(text, 'volumer_processor_process_resident_memory_bytes'),
    tokens: sample(text, 'volumer_processor_tokens'),
    counted: sample(text, 'volumer_processor_swaps_counted_total'),
    checkpoints: histogram(text, 'volumer_processor_checkpoint_duration_seconds'),
    commits: histogram(text, 'volumer_processor_commit_duration_seconds'),
    cycles: histogram(text, 'volumer_processor_cycle_duration_seconds'),
    freezes: sample(text, 'volumer_processor_freezes_total'),
    aborts: sample(text, 'volumer_processor_transaction_aborts_total')
  }
}

function durationFigures (h: HistogramSample): Record<string, number> {
  return { count: h.count, meanMs: Math.round(h.sum / h.count * 1000), p99AtMostMs: quantileBound(h, 0.99) * 1000, p999AtMostMs: quantileBound(h, 0.999) * 1000 }
}

function checkpointFigures (h: HistogramSample): Record<string, number> {
  return { written: h.count, meanMs: Math.round(h.sum / h.count * 1000), p99AtMostMs: quantileBound(h, 0.99) * 1000 }
}

async function waitShared (cluster: TestCluster, a: ProcessorProcess, b: ProcessorProcess): Promise<void> {
  await waitUntil(() => a.owned.size > 0 && b.owned.size > 0 && a.owned.size + b.owned.size === cluster.partitions, `${a.instanceId} and ${b.instanceId} sharing the partitions`, 300_000)
}

/**
 * The moved partitions' restores on the survivor: the longest of each timing it logs, and where
 * the takeover's time went, from its 'partition restored' lines (logged at the end of the
 * restore, `seconds` after the assignment): kill → assignment (session timeout + rebalance),
 * the restore, and what is left until the last probe was on `stats` (the first commit, and the
 * wait for the killed processor's open transaction to be aborted, which holds back
 * read_committed readers).
 */
interface SurvivorRestore {
  restoreSeconds: number, offsetsWaitSeconds: number, checkpointSeconds: number, pollSeconds: number, changelogRecords: number,
  fromStandby: number, killToAssignMs: number, killToRestoredMs: number
}
function survivorRestore (survivor: ProcessorProcess, partitions: number[], killedAt: number): SurvivorRestore {
  const moved = survivor.lines.filter((l) => l.msg === 'partition restored' && partitions.includes(l.partition as number) && l.time >= killedAt)
  const most = (f: string): number => Math.max(0, ...moved.map((l) => (l[f] as number | undefined) ?? 0))
  return {
    restoreSeconds: most('seconds'), offsetsWaitSeconds: most('offsetsWaitSeconds'), checkpointSeconds: most('checkpointSeconds'), pollSeconds: most('pollSeconds'), changelogRecords: moved.reduce((a, l) => a + ((l.changelogRecords as number | undefined) ?? 0), 0),
    fromStandby: moved.filter((l) => l.standby === true).length,
    killToAssignMs: Math.round(Math.min(...moved.map((l) => l.time - (l.seconds as number) * 1000)) - killedAt),
    killToRestoredMs: Math.round(Math.max(...moved.map((l) => l.time)) - killedAt)
  }
}

async function main (): Promise<void> {
  const swaps = Math.round(HOURS * 3600 * RATE)
  const benchStart = Math.floor(Date.now() / 1000) * 1000
  // the backfill's last event lands 2 minutes before the bench started: never in the future
  const backfill: Backfill = { seed: 7, tokens: TOKENS, rate: RATE, count: swaps, startTime: benchStart - swaps - 120_000, dupRate: 0.01, disorderMs: 2000, zipf: 1.1, bursts: 1 }
  result.backfill = { ...backfill, startTime: new Date(backfill.startTime).toISOString() }
  console.log(`steady: ${HOURS} h of event time = ${swaps} swaps over ${TOKENS} tokens, then ${LIVE_S} s live at ${RATE}/s (load ${loadavg()[0].toFixed(1)}; the machine is shared)`)

  const cluster = await createTestCluster({ name: 'bench-steady', partitions: 12 })
  const fleet = new ProcessorFleet(cluster, DEFAULTS)
  // a processor that exits by itself (not by our SIGKILL or stop) is a finding: say why
  const started = fleet.start.bind(fleet)
  let stopping = false
  let producer: ReturnType<typeof spawn> | undefined
  // every processor's warnings and errors, distinct messages with their first full text
  const problems = (): Record<string, Record<string, string>> => Object.fromEntries(fleet.all.map((p) => {
    const seen: Record<string, string> = {}
    for (const l of p.problems()) {
      const err = l.err as { message?: string } | undefined
      seen[l.msg] ??= err?.message === undefined ? JSON.stringify(l).slice(0, 400) : err.message.slice(0, 400)
    }
    return [p.instanceId, seen]
  }))
  fleet.start = (id, opts) => {
    const p = started(id, opts)
    void p.exited.then((code) => {
      if (code === null || stopping) return
      // the run goes on with a replacement in the same role: the exit is recorded and printed
      const role = Object.keys(roles).find((k) => roles[k] === p)
      const replacement = role === undefined ? undefined : id + '-restarted'
      if (role !== undefined) roles[role] = fleet.start(replacement!)
      const exit = { instance: id, code, at: new Date().toISOString(), replacedBy: replacement ?? null, log: p.lines.slice(-15).map((l) => JSON.stringify(l).slice(0, 600)) }
      ;((result.unexpectedExits ??= []) as unknown[]).push(exit)
      console.log(`processor ${id} exited by itself (code ${code})${replacement === undefined ? '' : `, replaced by ${replacement}`}; its last log lines:\n  ${exit.log.join('\n  ')}`)
      save()
    })
    return p
  }
  const edges = new EdgeFleet(cluster, { windows: WINDOWS })
  const roles: Record<string, ProcessorProcess | EdgeProcess | undefined> = {}
  const kafkaPid = pidListeningOn(Number(BROKERS.split(',')[0].split(':').pop()))
  const pgPid = pidListeningOn(Number(new URL(PG_URL).port || 5432))
  const mem = new MemorySampler(() => ({
    processorA: roles.a?.child.pid, processorB: roles.b?.child.pid, edge: roles.edge?.child.pid, kafka: kafkaPid, postgres: pgPid
  }))
  // Ctrl-C during an hour-long run: stop the processes, drop the topics, keep the figures so far
  let cleaned: Promise<void> | undefined
  const cleanup = async (): Promise<void> => {
    cleaned ??= (async () => {
      stopping = true
      if (producer !== undefined && producer.exitCode === null && producer.signalCode === null) producer.kill('SIGKILL')
      result.processorWarnings = problems()
      mem.stop()
      result.peakMemoryMb = mbOf(mem.peaks)
      await edges.stopAll()
      await fleet.stopAll()
      await cluster.close()
      save()
      console.log('wrote ' + RESULTS)
    })()
    await cleaned
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      result.failed ??= { phase: 'interrupted', error: sig }
      void cleanup().finally(() => process.exit(130))
    })
  }
  result.topicPrefix = cluster.prefix
  result.memoryNote = 'processors and edge: RSS; kafka: RSS of the process listening on the broker port; postgres: PSS summed over the postmaster and its children (shared buffers once). Peaks are of 2-second samples.'
  try {
    // 2. two processors, default configuration, before any data: the baseline of their memory
    const A = (): ProcessorProcess => roles.a as ProcessorProcess
    const B = (): ProcessorProcess => roles.b as ProcessorProcess
    const a = roles.a = fleet.start('steady-a')
    const b = roles.b = fleet.start('steady-b')
    const baseline = await phase('start', async () => {
      await Promise.all([a.waitReady(), b.waitReady()])
      await waitShared(cluster, a, b)
      await sleep(2000)
      const fa = await figures(a)
      const fb = await figures(b)
      const pg = await pgSizes(cluster.pgUrl, cluster.group)
      return { heapUsed: fa.heapUsed + fb.heapUsed, rss: fa.rss + fb.rss, pg }
    })

    // 3. the backfill: produce as fast as possible; done when the group committed the last record
    const bf = await phase('backfill', async () => {
      const t0 = performance.now()
      const args = [join(REPO_ROOT, 'bin', 'volumer.js'), 'produce', ...produceFlags(backfill), '--brokers', BROKERS, '--registry', cluster.registryUrl, '--topic-prefix', cluster.prefix, '--report-every', '30s']
      const child = producer = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr = (stderr + c).slice(-4000) })
      let producedS = NaN
      const produced = new Promise<void>((resolve, reject) => child.once('exit', (code) => {
        producedS = (performance.now() - t0) / 1000
        if (code === 0) resolve(); else reject(new Error(`volumer produce exited ${code}: ${stderr}`))
      }))
      produced.catch(() => {}) // awaited below; a failure is reported there
      let last = 0
      // a group that stops committing (a processor in a crash or abort loop) fails the phase
      // with its reason instead of waiting hours
      let committedSoFar = -1
      let movedAt = performance.now()
      const progress = (): void => {
        const s = Math.floor((performance.now() - t0) / 30_000)
        if (s > last) {
          last = s
          void cluster.committed().then((c) => {
            const n = c.reduce((x, y) => x + Math.max(0, y), 0)
            if (n > committedSoFar) { committedSoFar = n; movedAt = performance.now() }
            console.log(`  ${(performance.now() - t0) / 1000 | 0} s: ${n} committed; RSS ${JSON.stringify(mbOf(mem.take()))} MB; load ${loadavg()[0].toFixed(1)}`)
          })
        }
        if (performance.now() - movedAt > STALL_S * 1000) throw new Error(`backfill stalled: the group committed nothing for ${STALL_S} s (${committedSoFar} of ${swaps} committed); processor warnings: ${JSON.stringify(problems())}`)
      }
      while (child.exitCode === null) { progress(); await sleep(1000) }
      await produced
      console.log(`  produce finished in ${producedS.toFixed(1)} s: ${stderr.trim().split('\n').pop()}`)
      await cluster.waitCaughtUp(4 * 3600_000, progress)
      const seconds = (performance.now() - t0) / 1000
      const [fa, fb] = [await figures(A()), await figures(B())]
      // what the state holds: every record but the generator's duplicates (the processors'
      // counters restart with a replaced processor, the produce summary's count does not)
      const dups = Number([...stderr.matchAll(/duplicates (\d+)/g)].at(-1)?.[1] ?? NaN)
      const counted = swaps - dups
      const heap = fa.heapUsed + fb.heapUsed - baseline.heapUsed
      const rss = fa.rss + fb.rss - baseline.rss
      const tokens = fa.tokens + fb.tokens
      const out = {
        records: swaps, seconds: Math.round(seconds * 10) / 10, produceSeconds: Math.round(producedS * 10) / 10, swapsPerSecond: Math.round(swaps / seconds),
        counted, countedByProcessors: fa.counted + fb.counted, replacedProcessors: ((result.unexpectedExits ?? []) as unknown[]).length, tokens, heapUsedBytes: fa.heapUsed + fb.heapUsed, rssBytes: fa.rss + fb.rss,
        heapBytesPerSwap: Math.round(heap / counted), heapBytesPerToken: Math.round(heap / tokens), rssBytesPerSwap: Math.round(rss / counted),
        checkpoints: checkpointFigures(addHistograms(fa.checkpoints, fb.checkpoints)), memoryMb: mbOf(mem.take()), peakMemoryMb: mbOf(mem.peaks),
        pg: await pgSizes(cluster.pgUrl, cluster.group)
      }
      console.log(`backfill: ${swaps} swaps in ${out.seconds} s end to end = ${out.swapsPerSecond} swaps/s (produce alone ${out.produceSeconds} s); ${counted} counted, ${tokens} tokens; state ≈ ${out.heapBytesPerSwap} B/swap of heap (${out.rssBytesPerSwap} B/swap of RSS), ${out.heapBytesPerToken} B/token; checkpoints ${out.checkpoints.written} written, mean ${out.checkpoints.meanMs} ms; RSS ${JSON.stringify(out.memoryMb)} MB; load ${loadavg()[0].toFixed(1)}`)
      return out
    })

    // the backfill's tokens and volumes, in-process from the same generator (see steady-sample.ts);
    // after the backfill, so that a backfill that fails does so before this long pass
    let counted: Awaited<ReturnType<typeof countPass>> | undefined
    if (!SKIP.has('generatorCount')) await phase('generatorCount', async () => {
      const t = performance.now()
      counted = await countPass(backfill)
      const s = (performance.now() - t) / 1000
      console.log(`generator pass: ${swaps} records (${counted.duplicates} duplicates) over ${counted.volumes.size} tokens in ${s.toFixed(1)} s`)
      return { records: swaps, duplicates: counted.duplicates, tokens: counted.volumes.size, seconds: Math.round(s * 10) / 10 }
    })

    // 4. SIGKILL of each processor in turn, default configuration: kill → moved partitions live again
    const takeovers: Array<Record<string, unknown>> = []
    if (!SKIP.has('takeover')) await phase('takeover', async () => {
      // a and b in turn; from the second on, the survivor is the previous victim's replacement,
      // started shortly before (its standby copies may not have caught up yet)
      const turns = Array.from({ length: TAKEOVERS }, (_, i): ['a' | 'b', 'a' | 'b', string] => (i % 2 === 0 ? ['a', 'b', `steady-c${i > 1 ? i : ''}`] : ['b', 'a', `steady-d${i > 1 ? i : ''}`]))
      for (const [victim, survivor, next] of turns) {
        const v = roles[victim] as ProcessorProcess
        const s = roles[survivor] as ProcessorProcess
        const tk = await measureTakeover(cluster, v, 180_000)
        const t = { killed: v.instanceId, movedPartitions: tk.partitions.length, firstMs: Math.round(tk.firstMs), lastMs: Math.round(tk.lastMs), ...survivorRestore(s, tk.partitions, tk.killedAt) }
        takeovers.push(t)
        console.log(`takeover after SIGKILL of ${v.instanceId}: ${t.movedPartitions} partitions live on ${s.instanceId} after ${t.firstMs}–${t.lastMs} ms (floor 5 s, goal 1 s); kill → assignment ${t.killToAssignMs} ms, → restored ${t.killToRestoredMs} ms (${t.fromStandby} from standby copies); survivor's restore ${t.restoreSeconds} s (offsets wait ${t.offsetsWaitSeconds} s, checkpoints ${t.checkpointSeconds} s, changelog ${t.changelogRecords} records in ${t.pollSeconds} s)`)
        const r = roles[victim] = fleet.start(next)
        await r.waitReady(300_000)
        await waitShared(cluster, r, s)
        await cluster.waitCaughtUp(600_000)
      }
      return { runs: takeovers, worstLastMs: Math.max(...takeovers.map((t) => t.lastMs as number)), floorMs: 5000, goalMs: 1000 }
    })

    // 5. both killed; one processor restores all 12 partitions (checkpoint + changelog)
    if (!SKIP.has('restore')) await phase('restore', async () => {
      await Promise.all([A().kill(), B().kill()])
      const spawnedAt = Date.now()
      const r = roles.a = fleet.start('steady-e')
      roles.b = undefined
      await r.waitReady(600_000)
      const restored = (): typeof r.lines => r.lines.filter((l) => l.msg === 'partition restored')
      await waitUntil(() => new Set(restored().map((l) => l.partition)).size === cluster.partitions, 'every partition restored', 1_800_000, 200)
      const rs = restored()
      const first = Math.min(...rs.map((l) => l.time - (l.seconds as number) * 1000))
      const last = Math.max(...rs.map((l) => l.time))
      const out = {
        partitions: rs.length, tokens: rs.reduce((x, l) => x + (l.tokens as number), 0), changelogRecords: rs.reduce((x, l) => x + ((l.changelogRecords as number | undefined) ?? 0), 0),
        wallSeconds: Math.round((last - first) / 10) / 100, spawnToLastRestoredSeconds: Math.round((last - spawnedAt) / 10) / 100,
        maxPartitionSeconds: Math.max(...rs.map((l) => l.seconds as number)), offsetsWaitSeconds: Math.max(...rs.map((l) => (l.offsetsWaitSeconds as number | undefined) ?? 0)),
        maxCheckpointSeconds: Math.max(...rs.map((l) => (l.checkpointSeconds as number | undefined) ?? 0)), rssBytes: (await figures(r)).rss, floorSeconds: 60
      }
      console.log(`restore of all ${out.partitions} partitions on one processor: ${out.tokens} tokens (checkpoint + ${out.changelogRecords} changelog records) in ${out.wallSeconds} s from the assignment (${out.spawnToLastRestoredSeconds} s from spawn; floor 60 s); longest partition ${out.maxPartitionSeconds} s, offsets wait ${out.offsetsWaitSeconds} s, longest checkpoint load ${out.maxCheckpointSeconds} s; RSS ${MB(out.rssBytes)} MB`)
      return out
    })
    if (!SKIP.has('restore')) {
      roles.b = fleet.start('steady-f')
      await B().waitReady(600_000)
      await waitShared(cluster, A(), B())
      await cluster.waitCaughtUp(600_000)
    }
    const restartedAt = Date.now()

    // 6. an edge rehydrating the stats topic the backfill wrote
    const edge = roles.edge = edges.start('steady-edge')
    await phase('edgeRehydration', async () => {
      const t = performance.now()
      const readyAt = await edge.waitReady(600_000, 20)
      const health = await edge.get('/healthz')
      // where the time went: each feed's catch-up (records read, ms since the feeds started) and
      // the records stored on its topic (offsets, transaction markers included) against the keys
      // the candle feed is not part of readiness (SPEC): its catch-up is recorded once it happens
      const caught = (): Array<typeof edge.lines[number]> => edge.lines.filter((l) => l.msg === 'feed caught up')
      await waitUntil(() => caught().some((l) => l.feed === 'candles'), 'the edge\'s candle feed caught up', 600_000, 100).catch(() => {})
      const feeds = Object.fromEntries(caught().map((l) => [l.feed as string, { records: l.records as number, ms: l.ms as number }]))
      const stored = async (topic: string): Promise<number> => {
        const a = await cluster.log.createAdmin()
        try { return (await a.offsets(topic)).reduce((x, o) => x + o.high - o.low, 0) } finally { await a.close() }
      }
      const topicOffsets = { stats: await stored(cluster.topics.stats), candles: await stored(cluster.topics.candles ?? cluster.prefix + 'candles'), candlesHistory: await stored(cluster.topics.candlesHistory ?? cluster.prefix + 'candles-history') }
      const out = { spawnToReadyMs: Math.round(readyAt - t), tokens: health.json?.tokens as number, rssBytes: processMemory(edge.child.pid!).rssBytes, feeds, topicOffsets }
      console.log(`edge rehydration of stats: ${out.tokens} tokens, spawn → /readyz 200 in ${out.spawnToReadyMs} ms (floor 5 s at 100,000 tokens); feeds caught up ${JSON.stringify(feeds)}; offsets stored ${JSON.stringify(topicOffsets)}; RSS ${MB(out.rssBytes)} MB`)
      return out
    })

    // 7. the oracle over the whole backfill, for a sample of tokens, against the edge's answers
    if (counted === undefined) return
    const { volumes, gen } = counted
    const sampleSet = chooseSample(volumes, SAMPLE, ORACLE_SWAPS)
    if (!SKIP.has('correctness')) await phase('correctness', async () => {
      const keys = new Set([...sampleSet.top, ...sampleSet.tail].map((t) => t.key))
      const records = await collectPass(backfill, keys)
      // A token whose stats do not change after the restarts keeps the answer computed before
      // the kills. One more swap per sampled token (the oracle gets it too) makes the restored
      // processors compute every sampled answer from the state they restored.
      const touchAt = Date.now() - 1000
      const input = await createInputProducer(cluster, 5)
      let n = 0
      for (const [key, list] of records) {
        const i = key.indexOf(':')
        const touch: SwapRecord = { id: `steady-touch-${n++}`, chain: key.slice(0, i), token: key.slice(i + 1), blockNumber: 1, logIndex: 0, blockTime: touchAt, quoteToken: null, pool: null, trader: '0xsteadytouch', side: 'BUY', amount: '1', amountUsd: '1' }
        list.push(touch)
        input.send([{ kind: 'swap', key, record: touch }])
      }
      await input.close()
      await cluster.waitCaughtUp(600_000)
      await waitUntil(async () => (await mapLimit([...keys], 8, async (k) => (await edge.get(tokenPath(k))).json?.lastTradeAt as string | undefined))
        .every((t) => t !== undefined && Date.parse(t) >= touchAt), 'the edge serving every touched token', 120_000, 500)
      const check = await checkSample(edge, records, parseWindows(WINDOWS), restartedAt)
      const out = {
        ...check, mismatches: check.mismatches.slice(0, 20), mismatchCount: check.mismatches.length,
        topTokens: sampleSet.top.length, tailTokens: sampleSet.tail.length, topSkippedForBudget: sampleSet.skippedForBudget, swapsHeld: sampleSet.swapsHeld,
        topSwapsRange: [sampleSet.top.at(-1)?.swaps ?? 0, sampleSet.top[0]?.swaps ?? 0], tailSwapsRange: [sampleSet.tail.at(-1)?.swaps ?? 0, sampleSet.tail[0]?.swaps ?? 0]
      }
      console.log(`correctness: ${check.matched}/${check.tokens} sampled tokens equal the oracle over the whole backfill plus one swap each after the restore (${out.topTokens} top, ${out.tailTokens} tail; ${sampleSet.swapsHeld} swaps; ${check.answeredAfterSince} answers computed after the restarts); ${out.mismatchCount} differ${out.mismatchCount > 0 ? ': ' + out.mismatches.slice(0, 3).join(' | ') : ''}`)
      if (out.mismatchCount > 0) throw new Error(`${out.mismatchCount} sampled tokens differ from the oracle: ${out.mismatches.slice(0, 3).join(' | ')}`)
      return out
    })

    // 8. live: 1,000 swaps/s on the same tokens for LIVE_S, probes measuring latency
    if (!SKIP.has('live')) await phase('live', async () => {
      const before = [await figures(A()), await figures(B())]
      const pgBefore = await pgSizes(cluster.pgUrl, cluster.group)
      const live = await runLive(cluster, edge, gen, {
        seconds: LIVE_S, rate: RATE, probeTokens: 100, probeRate: 20, alsoSubscribe: sampleSet.top.slice(0, 100).map((t) => t.key),
        onTick: (s) => { if (s % 60 === 0) console.log(`  live ${s} s: RSS ${JSON.stringify(mbOf(mem.take()))} MB; load ${loadavg()[0].toFixed(1)}`) }
      })
      const after = [await figures(A()), await figures(B())]
      const pgAfter = await pgSizes(cluster.pgUrl, cluster.group)
      const cp = addHistograms(addHistograms(after[0].checkpoints, after[1].checkpoints), addHistograms(before[0].checkpoints, before[1].checkpoints), -1)
      const held = (phases.backfill as { counted: number }).counted + after[0].counted + after[1].counted - before[0].counted - before[1].counted
      const heap = after[0].heapUsed + after[1].heapUsed - baseline.heapUsed
      const tokens = after[0].tokens + after[1].tokens
      const out = {
        ...live, checkpointsDuringLive: checkpointFigures(cp),
        // where produce → stats time may go in the processors: their cycles (start → commit) and
        // commits during the phase, both processors together
        cyclesDuringLive: durationFigures(addHistograms(addHistograms(after[0].cycles, after[1].cycles), addHistograms(before[0].cycles, before[1].cycles), -1)),
        commitsDuringLive: durationFigures(addHistograms(addHistograms(after[0].commits, after[1].commits), addHistograms(before[0].commits, before[1].commits), -1)),
        freezesDuringLive: after[0].freezes + after[1].freezes - before[0].freezes - before[1].freezes,
        abortsDuringLive: after[0].aborts + after[1].aborts - before[0].aborts - before[1].aborts, swapsHeld: held, tokens, heapBytesPerSwap: Math.round(heap / held), heapBytesPerToken: Math.round(heap / tokens),
        memoryMb: mbOf(mem.take()), peakMemoryMb: mbOf(mem.peaks),
        pg: pgAfter, walBytesDuringLive: pgAfter.walLsnBytes - pgBefore.walLsnBytes, tableBytesGrowthDuringLive: pgAfter.tableBytes - pgBefore.tableBytes
      }
      console.log(`live ${LIVE_S} s at ${live.achievedRate}/s (+ ${live.probeSwaps} probes): produce → committed stats p50 ${live.onStats.p50} ms, p99 ${live.onStats.p99} ms; produce → WebSocket p50 ${live.onWs.p50} ms, p99 ${live.onWs.p99} ms, max ${live.onWs.max} ms (floor 250 ms p99; ${live.undeliveredAtWs} undelivered); ${out.checkpointsDuringLive.written} checkpoints written meanwhile (mean ${out.checkpointsDuringLive.meanMs} ms); state ≈ ${out.heapBytesPerSwap} B/swap of heap over ${held} swaps held, ${out.heapBytesPerToken} B/token; RSS ${JSON.stringify(out.memoryMb)} MB; Postgres table ${MB(pgAfter.tableBytes)} MB (this group ${pgAfter.groupRows} rows, ${MB(pgAfter.groupStateBytes)} MB), WAL written during live ${MB(out.walBytesDuringLive)} MB, WAL dir ${MB(pgAfter.walDirBytes)} MB; load ${loadavg()[0].toFixed(1)}`)
      return out
    })
  } finally {
    await cleanup()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
