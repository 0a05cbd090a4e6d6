/**
 * The processor as a real process (bin/volumer.js) on the local broker, exactly-once, against
 * SPEC §5's targets. Needs `scripts/services.sh start`.
 *
 *   npm run bench:processor          prints the figures, writes bench/results/processor.json
 *   PROCESSOR_BENCH_SWAPS=1000000 …  input size (default 500,000)
 *   PROCESSOR_BENCH_TOKENS=50000 …   distinct tokens (default 50,000: also the restore size)
 *   PROCESSOR_BENCH_PROFILE=0 …      skip the CPU profile of the throughput run
 *   PROCESSOR_BENCH_ONLY=throughput  only phase 1, written to processor-throughput-<tokens>[-<max>].json
 *   PROCESSOR_BENCH_ONLY=takeover    phases 1, 3, 4 and 5 (no latency), to processor-takeover-<tokens>.json
 *   PROCESSOR_BENCH_GROUP=2 [PROCESSOR_BENCH_STANDBY=1]  phase 1 with two processors [with --standby]
 *                                    (with PROCESSOR_BENCH_ONLY=throughput: processor-throughput-<tokens>-group[-standby].json)
 *   PROCESSOR_BENCH_MAX_CYCLE=100000 --max-cycle-records of the throughput run (default the CLI's)
 *   PROCESSOR_BENCH_CHECKPOINT_INTERVAL=1h  --checkpoint-interval of the throughput run (default 10s)
 *   PROCESSOR_BENCH_OUT=name.json    the result file under bench/results/ (default: named by the mode)
 *   PROCESSOR_BENCH_NODE_ARGS="--max-semi-space-size=16" …  extra node flags of the throughput run
 *                                    (after the helper's --max-semi-space-size=64: this one wins)
 *
 * Phases, on one 12-partition topic set:
 *  1. throughput: pre-produce the Avro swaps, start one processor (with --cpu-prof), time from
 *     /readyz to the group's committed offsets reaching the end of every partition;
 *  0. latency on a fresh processor: 1,000 swaps/s for LATENCY_S seconds over 200 tokens, each
 *     matched to the first committed (read_committed) stats record of its token whose
 *     lastTradeAt covers it: produce → stats, p50/p99;
 *  2. the same latency on a second processor instance holding the 50,000 tokens of phase 1
 *     (whose windows decay every second: that is the cost it shows);
 *  3. restore: that processor is SIGKILLed; a new one restores every partition (checkpoint +
 *     changelog): time from spawn to ready, and the per-partition restore figures it logs;
 *  4. takeover: a second processor joins, the first is SIGKILLed; kill → the moved partitions'
 *     probe swaps on stats;
 *  5. the same takeover with a survivor that keeps standby copies (--standby).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { createStatsDecoder, type SwapRecord } from '../src/codec/index.js'
import { createTestCluster, sleep, waitUntil, type TestCluster } from '../test/helpers/cluster.js'
import { ProcessorFleet, type ProcessorProcess, type LogLine } from '../test/helpers/processor-process.js'
import { REPO_ROOT } from '../test/helpers/sample-data.js'
import { buildStream, createInputProducer } from '../test/helpers/swap-stream.js'
import { measureTakeover, type Takeover } from '../test/helpers/takeover.js'

const SWAPS = Number(process.env.PROCESSOR_BENCH_SWAPS ?? 500_000)
const TOKENS = Number(process.env.PROCESSOR_BENCH_TOKENS ?? 50_000)
const PROFILE = process.env.PROCESSOR_BENCH_PROFILE !== '0'
const LATENCY_S = Number(process.env.PROCESSOR_BENCH_LATENCY_S ?? 15)
const ONLY = process.env.PROCESSOR_BENCH_ONLY
const MAX_CYCLE = process.env.PROCESSOR_BENCH_MAX_CYCLE === undefined ? undefined : Number(process.env.PROCESSOR_BENCH_MAX_CYCLE)
const RATE = 1000
const CHECKPOINT_INTERVAL = process.env.PROCESSOR_BENCH_CHECKPOINT_INTERVAL ?? '10s'
const NODE_ARGS = (process.env.PROCESSOR_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
const WINDOWS = '1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h'
/** PROCESSOR_BENCH_GROUP=2: the throughput phase runs two processors; PROCESSOR_BENCH_STANDBY=1: with --standby */
const GROUP = Number(process.env.PROCESSOR_BENCH_GROUP ?? 1)
const STANDBY = process.env.PROCESSOR_BENCH_STANDBY === '1'

function pct (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10
}

async function throughput (cluster: TestCluster, fleet: ProcessorFleet, profileDir: string): Promise<Record<string, unknown>> {
  const now = Date.now()
  let t = performance.now()
  const inputs = buildStream({ swaps: SWAPS, tokens: TOKENS, seed: 61, now, badEvery: 0, duplicateRate: 0.01, disorderRate: 0.1, spanMs: 600_000 })
  const input = await createInputProducer(cluster, 20)
  for (let i = 0; i < inputs.length; i += 10_000) {
    input.send(inputs.slice(i, i + 10_000))
    if (i % 100_000 === 0) await input.producer.flush()
  }
  await input.close()
  const produceS = (performance.now() - t) / 1000
  console.log(`produced ${inputs.length} Avro swaps (${TOKENS} tokens) in ${produceS.toFixed(1)} s`)

  const p = fleet.start('bench-1', {
    windows: WINDOWS, checkpointInterval: CHECKPOINT_INTERVAL, maxCycleRecords: MAX_CYCLE, standby: STANDBY,
    nodeArgs: [...NODE_ARGS, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])]
  })
  await p.waitReady()
  // a group of two (each following the other's changelog with --standby): what the copies cost
  const second = GROUP === 2 ? fleet.start('bench-1b', { windows: WINDOWS, checkpointInterval: CHECKPOINT_INTERVAL, maxCycleRecords: MAX_CYCLE, standby: STANDBY, nodeArgs: NODE_ARGS }) : undefined
  if (second !== undefined) {
    await second.waitReady()
    await waitUntil(() => p.owned.size > 0 && second.owned.size > 0 && p.owned.size + second.owned.size === cluster.partitions, 'two processors sharing the partitions', 120_000)
  }
  // what the first processor committed alone before the second joined is not the group's
  const before = second === undefined ? 0 : (await cluster.committed()).reduce((a, x) => a + Math.max(0, x), 0)
  t = performance.now()
  let last = 0
  await cluster.waitCaughtUp(600_000, () => {
    const s = Math.floor((performance.now() - t) / 5000)
    if (s > last) { last = s; void cluster.committed().then((c) => console.log(`  ${(performance.now() - t) / 1000 | 0} s: ${c.reduce((a, x) => a + Math.max(0, x), 0)} committed`)) }
  })
  const seconds = (performance.now() - t) / 1000
  const metrics = await p.metrics()
  const commitCount = Number(/^volumer_processor_commit_duration_seconds_count (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  const commitSum = Number(/^volumer_processor_commit_duration_seconds_sum (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  const rss = Number(/^volumer_processor_process_resident_memory_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  // CPU of the whole process (start-up and restore included): on a shared machine a steadier
  // figure than the rate, which also measures what the other processes leave it
  const cpuSeconds = Number(/^volumer_processor_process_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  const statsOut = Number(/^volumer_processor_stats_updates_total (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  const changelogOut = Number(/^volumer_processor_changelog_records_total (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  const rss2 = second === undefined ? 0 : await second.metric('volumer_processor_process_resident_memory_bytes')
  await p.stop(120_000)
  await second?.stop(120_000)
  const rate = Math.round((inputs.length - before) / seconds)
  if (second !== undefined) console.log(`group of two${STANDBY ? ' with --standby' : ''}: RSS ${(rss / 1e6).toFixed(0)} + ${(rss2 / 1e6).toFixed(0)} MB; the figures below are the first processor's, the rate the group's (timed from both sharing the partitions)`)
  console.log(`throughput: ${inputs.length - before} swaps in ${seconds.toFixed(1)} s = ${rate} swaps/s (floor 20,000, goal 100,000); ${commitCount} transactions, mean commit ${(commitSum / commitCount * 1000).toFixed(1)} ms; RSS ${(rss / 1e6).toFixed(0)} MB; ${statsOut} stats records, ${changelogOut} changelog records`)
  return { processors: GROUP, standby: STANDBY, secondRssBytes: rss2, swaps: inputs.length, tokens: TOKENS, maxCycleRecords: MAX_CYCLE ?? 20_000, produceSeconds: Number(produceS.toFixed(1)), seconds: Number(seconds.toFixed(2)), swapsPerSecond: rate, transactions: commitCount, meanCommitMs: Number((commitSum / commitCount * 1000).toFixed(2)), rssBytes: rss, statsRecords: statsOut, changelogRecords: changelogOut, cpuSeconds, cpuMicrosPerSwap: Number((cpuSeconds * 1e6 / inputs.length).toFixed(1)), checkpointInterval: CHECKPOINT_INTERVAL, nodeArgs: NODE_ARGS }
}

/**
 * The survivor's restores of the moved partitions (its 'partition restored' lines): how the
 * takeover's time divides; `most` is the largest value of a field over them. With
 * PROCESSOR_BENCH_DEBUG, prints the survivor's log lines from ~3 s before the kill on.
 */
function survivorRestores (survivor: ProcessorProcess, tk: Takeover): { moved: LogLine[], most: (field: string) => number } {
  if (process.env.PROCESSOR_BENCH_DEBUG !== undefined) {
    const killedAt = Date.now() - tk.lastMs
    for (const l of survivor.lines) if (l.time >= killedAt - 3000) console.log(`  ${l.time - killedAt} ms`, JSON.stringify(l).slice(0, 400))
  }
  const moved = survivor.lines.filter((l) => l.msg === 'partition restored' && tk.partitions.includes(l.partition as number))
  return { moved, most: (field) => Math.max(0, ...moved.map((l) => (l[field] as number | undefined) ?? 0)) }
}

async function latency (cluster: TestCluster, p: ProcessorProcess, tag: string): Promise<Record<string, unknown>> {
  const decoder = createStatsDecoder(cluster.registry)
  const reader = await cluster.log.createReader({ partitions: Array.from({ length: cluster.partitions }, (_, i) => ({ topic: cluster.topics.stats, partition: i, from: 'latest' as const })) })
  const input = await createInputProducer(cluster, 1)
  // pending probes per token key: [blockTime, sentAt] in send order (blockTimes increase per token)
  const pending = new Map<string, Array<[number, number]>>()
  const lat: number[] = []
  let stop = false
  let stopAt = 0
  const reading = (async () => {
    while (!stop || [...pending.values()].some((q) => q.length > 0)) {
      for (const b of await reader.poll(10_000, 50)) {
        const at = performance.now()
        await decoder.prepare(b.records.map((r) => r.value))
        for (const r of b.records) {
          if (r.key === null || r.value === null) continue
          const q = pending.get(r.key.toString())
          if (q === undefined || q.length === 0) continue
          const s = decoder.decode(r.value)
          const covered = s.lastTradeAt === null ? -Infinity : Date.parse(s.lastTradeAt)
          while (q.length > 0 && q[0][0] <= covered) lat.push(at - q.shift()![1])
        }
      }
      if (stop && lat.length > 0 && performance.now() - stopAt > 10_000) break
    }
  })()
  const keys = 200
  let n = 0
  let lastBt = 0
  const t0 = performance.now()
  while (performance.now() - t0 < LATENCY_S * 1000) {
    // 10 swaps every 10 ms = 1,000/s
    const due = Math.floor((performance.now() - t0) / 1000 * RATE)
    const batch: SwapRecord[] = []
    while (n < due) {
      const k = n % keys
      const bt = Math.max(lastBt + 1, Date.now() - 200)
      lastBt = bt
      batch.push({
        id: `${tag}-${n}`, chain: 'ethereum', token: `${tag}-${k}`, blockNumber: n, logIndex: 0, blockTime: bt,
        quoteToken: null, pool: null, trader: `0xl${n % 50}`, side: n % 2 === 0 ? 'BUY' : 'SELL', amount: '1.5', amountUsd: '3'
      })
      n++
    }
    for (const rec of batch) {
      const key = rec.chain + ':' + rec.token
      let q = pending.get(key)
      if (q === undefined) { q = []; pending.set(key, q) }
      q.push([rec.blockTime, performance.now()])
      input.send([{ kind: 'swap', key, record: rec }])
    }
    await sleep(10)
  }
  stop = true
  stopAt = performance.now()
  await reading
  await input.close()
  await reader.close()
  const lost = [...pending.values()].reduce((a, q) => a + q.length, 0)
  const tokens = await p.metric('volumer_processor_tokens')
  const out = { rate: RATE, seconds: LATENCY_S, processorTokens: tokens, swaps: n, matched: lat.length, unmatched: lost, p50Ms: pct(lat, 0.5), p90Ms: pct(lat, 0.9), p99Ms: pct(lat, 0.99), maxMs: pct(lat, 1) }
  console.log(`latency at ${RATE}/s, produce → committed stats: p50 ${out.p50Ms} ms, p99 ${out.p99Ms} ms, max ${out.maxMs} ms (${lat.length} matched, ${lost} unmatched) [processor ${p.instanceId} holding ${tokens} tokens, cycle 50 ms]`)
  return out
}

/** Self time per function from a V8 .cpuprofile, top `n`. */
function topFrames (file: string, n: number): Array<{ fn: string, selfPct: number }> {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ id: number, hitCount?: number, callFrame: { functionName: string, url: string, lineNumber: number } }> }
  const self = new Map<string, number>()
  let total = 0
  for (const node of prof.nodes) {
    const hits = node.hitCount ?? 0
    if (hits === 0) continue
    total += hits
    const cf = node.callFrame
    const where = cf.url === '' ? '' : ` ${cf.url.replace(/^file:\/\//, '').replace(REPO_ROOT + '/', '').replace(/^.*node_modules\//, '')}:${cf.lineNumber + 1}`
    const key = (cf.functionName === '' ? '(anonymous)' : cf.functionName) + where
    self.set(key, (self.get(key) ?? 0) + hits)
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([fn, h]) => ({ fn, selfPct: Math.round(h / total * 1000) / 10 }))
}

async function main (): Promise<void> {
  const profileDir = join(REPO_ROOT, 'bench', 'results', 'processor-profile')
  rmSync(profileDir, { recursive: true, force: true })
  mkdirSync(profileDir, { recursive: true })
  const cluster = await createTestCluster({ name: 'bench-proc', partitions: 12 })
  const fleet = new ProcessorFleet(cluster, { windows: WINDOWS, cycle: '50ms' })
  const result: Record<string, unknown> = { bench: 'processor', node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadavgAtStart: loadavg()[0] }
  try {
    // latency on a fresh processor (few tokens), then again below with 50k tokens decaying
    if (ONLY === undefined) {
      const p0 = fleet.start('bench-0')
      await p0.waitReady()
      result.latency = await latency(cluster, p0, 'lat')
      await p0.stop()
    }

    result.throughput = await throughput(cluster, fleet, profileDir)
    if (PROFILE) {
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))
      if (file !== undefined) {
        const top = topFrames(join(profileDir, file), 15)
        result.profileTop = top
        console.log('profile of the throughput run, top self time:')
        for (const f of top) console.log(`  ${String(f.selfPct).padStart(5)} %  ${f.fn}`)
      }
    }
    if (ONLY === 'throughput') return

    // the changelog after the last checkpoint is what the restore below replays
    const p2 = fleet.start('bench-2', { checkpointInterval: '10s' })
    await p2.waitReady()
    await cluster.waitCaughtUp(60_000)
    if (ONLY === undefined) result.latencyWithTokens = await latency(cluster, p2, 'lat2')
    await cluster.waitCaughtUp(60_000)
    await p2.kill()

    // p2's dead member holds its partitions until the session times out; then p3 gets all 12
    const p3 = fleet.start('bench-3', { keepLogs: true, standby: false })
    await p3.waitReady(180_000)
    const restoredLines = (): typeof p3.lines => p3.lines.filter((l) => l.msg === 'partition restored')
    await waitUntil(() => new Set(restoredLines().map((l) => l.partition)).size === cluster.partitions, 'every partition restored', 120_000)
    const restored = restoredLines().map((l) => ({ partition: l.partition as number, seconds: l.seconds as number, tokens: l.tokens as number, changelogRecords: l.changelogRecords as number, end: l.time, offsetsWaitSeconds: (l.offsetsWaitSeconds as number | undefined) ?? 0, checkpointSeconds: (l.checkpointSeconds as number | undefined) ?? 0 }))
    const tokens = restored.reduce((a, r) => a + r.tokens, 0)
    const sum = restored.reduce((a, r) => a + r.seconds, 0)
    const wall = (Math.max(...restored.map((r) => r.end)) - Math.min(...restored.map((r) => r.end - r.seconds * 1000))) / 1000
    const changelogRecords = restored.reduce((a, r) => a + r.changelogRecords, 0)
    // seconds count from the assignment, the wait for the killed processor's open transaction
    // included (the checkpoints load during it): that wait, and the longest checkpoint load
    const offsetsWait = Math.max(...restored.map((r) => r.offsetsWaitSeconds))
    const checkpointMax = Math.max(...restored.map((r) => r.checkpointSeconds))
    result.restore = { tokens, partitions: restored.length, wallSeconds: Number(wall.toFixed(2)), sumOfPartitionRestoreSeconds: Number(sum.toFixed(2)), maxPartitionRestoreSeconds: Math.max(...restored.map((r) => r.seconds)), offsetsWaitSeconds: offsetsWait, maxCheckpointSeconds: checkpointMax, changelogRecords }
    console.log(`restore: ${tokens} tokens in ${restored.length} partitions (checkpoint + ${changelogRecords} changelog records): ${wall.toFixed(2)} s from the assignment to the last partition restored (of which ${offsetsWait.toFixed(2)} s waiting for the committed offsets, during which the checkpoints loaded: longest ${checkpointMax.toFixed(2)} s); per partition sum ${sum.toFixed(2)} s, max ${Math.max(...restored.map((r) => r.seconds))} s`)

    const p4 = fleet.start('bench-4', { keepLogs: true, standby: false })
    await p4.waitReady()
    await waitUntil(() => p3.owned.size > 0 && p4.owned.size > 0 && p3.owned.size + p4.owned.size === cluster.partitions, 'two processors sharing the partitions', 120_000)
    await sleep(2000)
    const rssShared = await p4.metric('volumer_processor_process_resident_memory_bytes')
    const tk = await measureTakeover(cluster, p3, 120_000)
    const { most } = survivorRestores(p4, tk)
    result.takeover = { sessionTimeoutMs: 3000, movedPartitions: tk.partitions.length, firstMs: Math.round(tk.firstMs), lastMs: Math.round(tk.lastMs), restoreSeconds: most('seconds'), offsetsWaitSeconds: most('offsetsWaitSeconds'), checkpointSeconds: most('checkpointSeconds'), readerOpenSeconds: most('readerOpenSeconds'), pollSeconds: most('pollSeconds'), survivorRssMb: Math.round(rssShared / 1e6) }
    console.log(`takeover after SIGKILL (session timeout 3 s, the CLI default): ${tk.partitions.length} partitions, first ${tk.firstMs.toFixed(0)} ms, last ${tk.lastMs.toFixed(0)} ms (floor 5 s, goal 1 s); the survivor's restore took ${most('seconds')} s from its assignment: committed offsets after ${most('offsetsWaitSeconds')} s, checkpoints loaded in ${most('checkpointSeconds')} s meanwhile, changelog: opening its reader ${most('readerOpenSeconds')} s, reading and applying it ${most('pollSeconds')} s`)

    // 5. the same takeover with a survivor that keeps standby copies (--standby): p5 joins p4
    // (which now owns all 12), loads copies of p4's partitions and follows their changelog; p4 is killed
    const p5 = fleet.start('bench-5', { keepLogs: true, standby: true })
    await p5.waitReady()
    await waitUntil(() => p4.owned.size > 0 && p5.owned.size > 0 && p4.owned.size + p5.owned.size === cluster.partitions, 'p4 and p5 sharing the partitions', 120_000)
    await sleep(2000)
    // copies loaded and following (the gauge counts loaded copies)
    await waitUntil(async () => await p5.metric('volumer_processor_standby_partitions') === p4.owned.size, 'p5 holding copies of p4\'s partitions', 120_000)
    await sleep(1000)
    const rssWithCopies = await p5.metric('volumer_processor_process_resident_memory_bytes')
    const ts = await measureTakeover(cluster, p4, 120_000)
    const { moved: movedS, most: mostS } = survivorRestores(p5, ts)
    const fromCopies = movedS.filter((l) => l.standby === true).length
    result.takeoverStandby = { sessionTimeoutMs: 3000, movedPartitions: ts.partitions.length, fromStandbyCopies: fromCopies, firstMs: Math.round(ts.firstMs), lastMs: Math.round(ts.lastMs), restoreSeconds: mostS('seconds'), offsetsWaitSeconds: mostS('offsetsWaitSeconds'), readerOpenSeconds: mostS('readerOpenSeconds'), pollSeconds: mostS('pollSeconds'), changelogRecords: movedS.reduce((n, l) => n + ((l.changelogRecords as number | undefined) ?? 0), 0), survivorRssMb: Math.round(rssWithCopies / 1e6) }
    console.log(`takeover after SIGKILL with --standby (session timeout 3 s): ${ts.partitions.length} partitions (${fromCopies} from standby copies), first ${ts.firstMs.toFixed(0)} ms, last ${ts.lastMs.toFixed(0)} ms (floor 5 s, goal 1 s); the survivor's restore took ${mostS('seconds')} s from its assignment: committed offsets after ${mostS('offsetsWaitSeconds')} s, changelog not yet read by the copies: opening its reader ${mostS('readerOpenSeconds')} s, reading and applying it ${mostS('pollSeconds')} s; the survivor's RSS before the kill ${Math.round(rssWithCopies / 1e6)} MB with its copies (${Math.round(rssShared / 1e6)} MB for the survivor without copies in phase 4)`)
  } finally {
    await fleet.stopAll()
    await cluster.close()
    result.at = new Date().toISOString()
    const name = process.env.PROCESSOR_BENCH_OUT ?? (ONLY === undefined ? 'processor.json' : `processor-${ONLY}-${TOKENS}${MAX_CYCLE === undefined ? '' : '-' + MAX_CYCLE}${GROUP === 2 ? '-group' + (STANDBY ? '-standby' : '') : ''}.json`)
    mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true })
    writeFileSync(join(REPO_ROOT, 'bench', 'results', name), JSON.stringify(result, null, 2) + '\n')
    console.log('wrote bench/results/' + name)
  }
}

await main()
