/**
 * What the contract costs the processor (issue #21): the throughput phase of bench:processor
 * (505,039 Avro swaps over 50,000 tokens, 12 partitions, exactly-once, ready → committed offsets
 * at the end of every partition), run alternately on scratch builds of this checkout that each
 * leave out one piece of work SPEC asks for and the Kafka Streams peer does not do
 * (../shared/peers/kstreams/README.md, "What it computes less than Volumer"):
 *
 *   full             this checkout as it is (the control)
 *   no-traders       the engine's trader accounting is a no-op: no distinct traders, buyers,
 *                    sellers (their fingerprints are still hashed; they render as 0)
 *   double-decimals  the six volume sums of each window are rendered with String() of a double
 *                    instead of exact decimal strings from the limbs (still summed exactly)
 *   no-decay         only tokens that took swaps since the last cycle are rendered and published;
 *                    a token whose numbers changed because time moved on is not republished
 *   no-checkpoints   --checkpoint-interval 1h: the one checkpoint after the first commit, no more
 *                    (the bench's runs take well under a minute; the normal runs use 10s)
 *   peer-like        all four at once
 *
 * The variants are NOT correct processors: they exist only here, built into .run/contract-cost/
 * from this checkout's src/ with the source edits below (each edit names the text it replaces
 * and fails loudly when that text has moved), never shipped. What one measures is the
 * throughput gained by dropping that piece on this input, which is the piece's cost; DLQ
 * validation and exact-decimal parsing of the input are not switched off here (they are needed
 * to build the engine's input at all): their share is in bench:processor's CPU profile
 * (validateSwapObject, parseDecimal18).
 *
 *   npm run bench:contract-cost                       needs `scripts/services.sh start`
 *   CONTRACT_BENCH_VARIANTS=full,peer-like …          which variants, in this order, each round
 *   CONTRACT_BENCH_ROUNDS=2 …                         rounds (default 1)
 *   CONTRACT_BENCH_BUILD_ONLY=1                       build the variants and stop
 *   CONTRACT_BENCH_REUSE=1                            use the builds already in .run/contract-cost/
 *   CONTRACT_BENCH_UNTIL=2026-12-07T23:00:00Z       start no run after this time
 *   CONTRACT_BENCH_MODE=cpu                           no Kafka: the processor's own work in-process
 *                                                     (validate, ingest, advance, drain, encode; see
 *                                                     bench/contract-cost-cpu.ts), in CPU µs per swap;
 *                                                     writes bench/results/contract-cost-cpu.json
 *
 * Writes bench/results/contract-cost.json (every run with the 1-minute load at its start and end).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../test/helpers/sample-data.js'

interface Edit { file: string, find: string, replace: string }
interface Variant { edits: Edit[], env?: Record<string, string> }

const ENGINE = 'src/engine/engine.ts'
const NO_TRADERS: Edit = {
  file: ENGINE,
  find: '  #settle (tok: Token, side: number, fromIngest: boolean): void {\n',
  replace: '  #settle (tok: Token, side: number, fromIngest: boolean): void {\n    return\n'
}
const DOUBLE_DECIMALS: Edit = {
  file: ENGINE,
  find: "import { limbsToString, LIMB } from '../swap/decimal18.js'\n",
  replace: "import { LIMB } from '../swap/decimal18.js'\n" +
    '// contract-cost variant: a double of the limbs, printed by String()\n' +
    'const limbsToString = (a0: number, a1: number, a2: number, a3: number): string => String(a3 * 1e9 + a2 + a1 / 1e9 + a0 / 1e18)\n'
}
const NO_DECAY: Edit = {
  file: ENGINE,
  find: '      if (!tok.reported || fpHi !== tok.repHi || fpLo !== tok.repLo) {\n',
  replace: '      if ((tok.stateDirty || !tok.reported) && (!tok.reported || fpHi !== tok.repHi || fpLo !== tok.repLo)) {\n'
}
const NO_CHECKPOINTS = { PROCESSOR_BENCH_CHECKPOINT_INTERVAL: '1h' }

const VARIANTS: Record<string, Variant> = {
  full: { edits: [] },
  'no-traders': { edits: [NO_TRADERS] },
  'double-decimals': { edits: [DOUBLE_DECIMALS] },
  'no-decay': { edits: [NO_DECAY] },
  'no-checkpoints': { edits: [], env: NO_CHECKPOINTS },
  'peer-like': { edits: [NO_TRADERS, DOUBLE_DECIMALS, NO_DECAY], env: NO_CHECKPOINTS }
}

const names = (process.env.CONTRACT_BENCH_VARIANTS ?? 'full,peer-like,no-traders,double-decimals,no-decay,no-checkpoints').split(',')
for (const n of names) {
  if (VARIANTS[n] === undefined) { console.error(`CONTRACT_BENCH_VARIANTS: unknown variant "${n}" (known: ${Object.keys(VARIANTS).join(', ')})`); process.exit(2) }
}
const ROUNDS = Number(process.env.CONTRACT_BENCH_ROUNDS ?? 1)
/** no run starts after this time (ISO or epoch ms): a bench under a shared lock with a deadline */
const UNTIL = process.env.CONTRACT_BENCH_UNTIL === undefined ? Infinity : (Number(process.env.CONTRACT_BENCH_UNTIL) || Date.parse(process.env.CONTRACT_BENCH_UNTIL))
const WORK = join(REPO_ROOT, '.run', 'contract-cost')

/** A scratch copy of the checkout's runtime (src, bin, schemas) with the variant's edits, built. */
function build (name: string): string {
  const dir = join(WORK, name)
  if (process.env.CONTRACT_BENCH_REUSE === '1' && existsSync(join(dir, 'dist', 'cli', 'main.js'))) return join(dir, 'bin', 'volumer.js')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const f of ['src', 'bin', 'schemas', 'package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true })
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'))
  for (const e of VARIANTS[name].edits) {
    const path = join(dir, e.file)
    const text = readFileSync(path, 'utf8')
    const at = text.indexOf(e.find)
    if (at < 0 || text.indexOf(e.find, at + 1) >= 0) {
      throw new Error(`variant ${name}: ${e.file} no longer holds exactly one ${JSON.stringify(e.find.trim())}; update bench/contract-cost.bench.ts`)
    }
    writeFileSync(path, text.slice(0, at) + e.replace + text.slice(at + e.find.length))
  }
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' })
  return join(dir, 'bin', 'volumer.js')
}

interface Run { variant: string, round: number, loadAtStart: number, loadAtEnd: number, swapsPerSecond: number, cpuMicrosPerSwap: number, seconds: number, transactions: number, meanCommitMs: number, statsRecords: number, changelogRecords: number }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const bins = new Map<string, string>()
for (const n of new Set(names)) { console.log(`building ${n} …`); bins.set(n, build(n)) }
if (process.env.CONTRACT_BENCH_BUILD_ONLY === '1') process.exit(0)
if (process.env.CONTRACT_BENCH_MODE === 'cpu') {
  const cpuRuns: Array<Record<string, unknown>> = []
  const cpuOut = join(REPO_ROOT, 'bench', 'results', 'contract-cost-cpu.json')
  for (let round = 1; round <= ROUNDS; round++) {
    for (const n of names) {
      if (Date.now() > UNTIL) { console.log(`CONTRACT_BENCH_UNTIL passed: ${n} round ${round} not run`); continue }
      const loadAtStart = Number(loadavg()[0].toFixed(2))
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'contract-cost-cpu.ts'), join(WORK, n)], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      if (r.status !== 0) throw new Error(`the ${n} run failed (exit ${r.status})`)
      const run = { variant: n, round, loadAtStart, loadAtEnd: Number(loadavg()[0].toFixed(2)), ...JSON.parse(r.stdout.trim().split('\n').pop() as string) }
      cpuRuns.push(run)
      console.log(`contract-cost cpu ${n} round ${round}: ${run.cpuMicrosPerSwap} µs/swap (${run.cpuSeconds} CPU s, ${run.wallSeconds} s), ${run.statsRecords} stats records, load ${loadAtStart} → ${run.loadAtEnd}`)
      const med = Object.fromEntries([...new Set(names)].map((v) => [v, median(cpuRuns.filter((x) => x.variant === v).map((x) => x.cpuMicrosPerSwap as number))]))
      writeFileSync(cpuOut, JSON.stringify({
        bench: 'contract-cost-cpu',
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
        input: 'bench:processor throughput input (505,039 swaps, 50,000 tokens, seed 61), in-process: validate, ingest, every 20,000 records advance + drain + Avro-encode the stats; CPU µs per swap',
        variants: Object.fromEntries([...new Set(names)].map((v) => [v, { edits: VARIANTS[v].edits.map((e) => e.replace.trim()) }])),
        medianCpuMicrosPerSwap: med,
        runs: cpuRuns
      }, null, 2) + '\n')
    }
  }
  if (cpuRuns.length > 0) console.log('wrote bench/results/contract-cost-cpu.json')
  process.exit(0)
}
const runs: Run[] = []
const out = join(REPO_ROOT, 'bench', 'results', 'contract-cost.json')
for (let round = 1; round <= ROUNDS; round++) {
  for (const n of names) {
    const loadAtStart = Number(loadavg()[0].toFixed(2))
    const file = `contract-cost-run-${n}.json`
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'processor.bench.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...VARIANTS[n].env, PROCESSOR_BENCH_ONLY: 'throughput', PROCESSOR_BENCH_PROFILE: '0', PROCESSOR_BENCH_OUT: file, VOLUMER_TEST_PROCESSOR_BIN: bins.get(n) }
    })
    if (r.status !== 0) throw new Error(`the ${n} run failed (exit ${r.status})`)
    const path = join(REPO_ROOT, 'bench', 'results', file)
    const t = JSON.parse(readFileSync(path, 'utf8')).throughput
    rmSync(path)
    const run: Run = { variant: n, round, loadAtStart, loadAtEnd: Number(loadavg()[0].toFixed(2)), swapsPerSecond: t.swapsPerSecond, cpuMicrosPerSwap: t.cpuMicrosPerSwap, seconds: t.seconds, transactions: t.transactions, meanCommitMs: t.meanCommitMs, statsRecords: t.statsRecords, changelogRecords: t.changelogRecords }
    runs.push(run)
    console.log(`contract-cost ${n} round ${round}: ${run.swapsPerSecond} swaps/s (${run.seconds} s), CPU ${run.cpuMicrosPerSwap} µs/swap, ${run.statsRecords} stats records, load ${loadAtStart} → ${run.loadAtEnd}`)
    const medians = Object.fromEntries([...new Set(names)].map((v) => [v, median(runs.filter((x) => x.variant === v).map((x) => x.swapsPerSecond))]))
    const full = medians.full
    writeFileSync(out, JSON.stringify({
      bench: 'contract-cost',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      input: 'bench:processor throughput phase: 505,039 Avro swaps, 50,000 tokens, 12 partitions, windows 1m…24h, exactly-once',
      variants: Object.fromEntries([...new Set(names)].map((v) => [v, { edits: VARIANTS[v].edits.map((e) => e.replace.trim()), env: VARIANTS[v].env ?? {} }])),
      medians,
      medianCpuMicrosPerSwap: Object.fromEntries([...new Set(names)].map((v) => [v, median(runs.filter((x) => x.variant === v).map((x) => x.cpuMicrosPerSwap))])),
      speedupOverFull: full === undefined ? undefined : Object.fromEntries(Object.entries(medians).map(([v, x]) => [v, Number((x / full).toFixed(2))])),
      runs
    }, null, 2) + '\n')
  }
}
if (!existsSync(out)) process.exit(1)
console.log('wrote bench/results/contract-cost.json')
