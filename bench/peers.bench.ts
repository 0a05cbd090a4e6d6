/**
 * Volumer against its peers, side by side (issue #21): the one benchmark that reaches OUTSIDE the
 * project. It races the peers kept in `../shared/peers` beside the checkout (PEERS_BENCH_DIR to
 * point elsewhere), which a user's clone does not have: without them it stops with a message and
 * exit code 2, and every other bench is unaffected.
 *
 *   npm run bench:peers                 both parts, 3 runs of each side; writes bench/results/peers.json
 *   PEERS_BENCH_RUNS=6 …                runs per side (at least 1; the issue asks for at least 3)
 *   PEERS_BENCH_ONLY=processor|stats    one part only
 *   PEERS_BENCH_SWAPS=500000 …          processor input before 1 % duplicates (bench:processor's)
 *   PEERS_BENCH_TOKENS=50000 …          its tokens
 *   PEERS_BENCH_LINES=1150000 …         lines of the stats file
 *   PEERS_BENCH_JAVA_OPTS="-Xms1g -Xmx1g"   the peer's JVM flags
 *   PEERS_BENCH_PEER_ARGS="--threads 1"     the peer's own flags (commit interval: its 100 ms default)
 *   PEERS_BENCH_DUCKDB=duckdb           the pip requirement installed into the venv (e.g. duckdb==2.0.1)
 *   PEERS_BENCH_RESULTS=peers.json      the file under bench/results/
 *   PEERS_BENCH_NOTE="…"                recorded as `note` in the JSON (e.g. the machine's state)
 *
 * 1. Processor: the Kafka Streams peer (`kstreams/`: Kafka Streams 4.1.1, exactly_once_v2, RocksDB)
 *    is built from a COPY of its folder under .run/peers/ (`mvn -q package`; the jar is kept,
 *    keyed by a hash of pom.xml and src/, so a second run does not rebuild). Volumer's processor
 *    and the peer then run alternately, PEERS_BENCH_RUNS times each, each on fresh topics holding
 *    bench:processor's input, timed ready → committed offsets at the end of every partition
 *    (bench/peers-throughput.ts). Ratio: Volumer's median swaps/s / the peer's.
 * 2. Batch: `volumer stats` and the DuckDB query (`duckdb/stats.py`, DuckDB from PyPI in a venv
 *    under .run/peers/, installed if missing) on one NDJSON file, alternately: Volumer (its
 *    default --threads, one worker per core), Volumer --threads 1, DuckDB on 1 thread, DuckDB on
 *    2 threads. The file is generated once, seeded, into .run/peers/ with
 *    `volumer produce --generate --start 2026-12-06T00:00:00Z --rate LINES/86400 --count LINES
 *    --tokens 50000 --dup-rate 0.01 --disorder 5 --seed 21 --stdout` (a day of swaps, ~460 B a
 *    line) and evaluated at the day's end. Both are timed as whole processes, spawn → exit, on
 *    the same clock (DuckDB's own query time, which leaves out Python's start and import, is
 *    recorded beside it). Ratio: DuckDB's median seconds / Volumer's (above 1: Volumer faster).
 *
 * The 1-minute load average is recorded at the start of every run. Needs Kafka and Postgres
 * (`scripts/services.sh start`; started here when neither port answers), java 17, mvn, python3.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { BROKERS, PG_URL } from '../test/helpers/cluster.js'
import { REPO_ROOT } from '../test/helpers/sample-data.js'
import { throughputRun, type ThroughputRun } from './peers-throughput.js'

/** a positive integer from the environment, or exit 2 saying which variable is wrong */
function count (name: string, dflt: number): number {
  const raw = process.env[name]
  const n = raw === undefined ? dflt : Number(raw)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name}: expected a positive integer, got "${String(raw)}"`)
    process.exit(2)
  }
  return n
}

const PEERS = resolve(process.env.PEERS_BENCH_DIR ?? join(REPO_ROOT, '..', 'shared', 'peers'))
const RUNS = count('PEERS_BENCH_RUNS', 3)
const ONLY = process.env.PEERS_BENCH_ONLY
const SWAPS = count('PEERS_BENCH_SWAPS', 500_000)
const TOKENS = count('PEERS_BENCH_TOKENS', 50_000)
const LINES = count('PEERS_BENCH_LINES', 1_150_000)
const JAVA_OPTS = (process.env.PEERS_BENCH_JAVA_OPTS ?? '-Xms1g -Xmx1g').split(' ').filter((a) => a !== '')
const PEER_ARGS = (process.env.PEERS_BENCH_PEER_ARGS ?? '--threads 1').split(' ').filter((a) => a !== '')
const DUCKDB_REQ = process.env.PEERS_BENCH_DUCKDB ?? 'duckdb'
const RESULTS = process.env.PEERS_BENCH_RESULTS ?? 'peers.json'
const WORK = join(REPO_ROOT, '.run', 'peers')
const DAY_START = '2026-12-06T00:00:00.000Z'
const AT = '2026-12-07T00:00:00.000Z'

const load1 = (): number => Math.round(loadavg()[0] * 100) / 100
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (x: number, d = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })

function need (what: string, cmd: string, args: string[]): void {
  try { execFileSync(cmd, args, { stdio: 'ignore' }) } catch {
    console.error(`bench:peers needs ${what} (\`${cmd} ${args.join(' ')}\` failed)`)
    process.exit(2)
  }
}

// ---- the peers are outside the project: say so and stop cleanly when they are absent ----
if (!existsSync(join(PEERS, 'kstreams', 'pom.xml')) || !existsSync(join(PEERS, 'duckdb', 'stats.py'))) {
  console.error(`bench:peers races Volumer against peers kept OUTSIDE this project, in ${PEERS}
(kstreams/ and duckdb/stats.py), and they are not there. A clone of Volumer does not have them;
point PEERS_BENCH_DIR at a copy to run this bench. No other benchmark needs them.`)
  process.exit(2)
}
if (ONLY !== undefined && ONLY !== 'processor' && ONLY !== 'stats') {
  console.error(`PEERS_BENCH_ONLY: expected processor or stats, got "${ONLY}"`)
  process.exit(2)
}
mkdirSync(WORK, { recursive: true })

async function portOpen (hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':')
  return await new Promise((resolve) => {
    const s = createConnection({ host, port: Number(port) })
    s.setTimeout(2000)
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
    s.once('timeout', () => { s.destroy(); resolve(false) })
  })
}

/** Kafka and Postgres; started with scripts/services.sh when neither answers (a half-up set is left to the user) */
async function ensureServices (): Promise<void> {
  const pg = new URL(PG_URL)
  const kafkaUp = await portOpen(BROKERS.split(',')[0])
  const pgUp = await portOpen(`${pg.hostname}:${pg.port || '5432'}`)
  if (kafkaUp && pgUp) return
  if (kafkaUp || pgUp) {
    console.error(`bench:peers: ${kafkaUp ? 'Postgres' : 'Kafka'} does not answer (${kafkaUp ? PG_URL : BROKERS}) while the other does; start it (scripts/services.sh start) and run again`)
    process.exit(2)
  }
  console.log('starting the services (scripts/services.sh start) …')
  execFileSync(join(REPO_ROOT, 'scripts', 'services.sh'), ['start'], { stdio: 'inherit' })
}

function hashTree (dir: string, h = createHash('sha256'), base = dir): ReturnType<typeof createHash> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) hashTree(p, h, base)
    else h.update(relative(base, p)).update('\0').update(readFileSync(p)).update('\0')
  }
  return h
}

/** The peer's jar, built from a copy of kstreams/ (../shared is read-only), cached by its sources' hash */
function buildPeer (): string {
  const src = join(PEERS, 'kstreams')
  const h = createHash('sha256').update(readFileSync(join(src, 'pom.xml')))
  const key = hashTree(join(src, 'src'), h).digest('hex').slice(0, 16)
  const dir = join(WORK, `kstreams-${key}`)
  const jar = join(dir, 'target', 'kstreams-peer.jar')
  if (existsSync(jar)) { console.log(`peer: ${relative(REPO_ROOT, jar)} (cached, sources ${key})`); return jar }
  need('Java (java -version)', 'java', ['-version'])
  need('Maven (mvn -v)', 'mvn', ['-v'])
  const tmp = `${dir}.tmp`
  rmSync(tmp, { recursive: true, force: true })
  cpSync(src, tmp, { recursive: true, force: true, filter: (p) => !p.includes(`${src}/target`) })
  // the copy keeps ../shared's read-only modes; Maven must write target/
  execFileSync('chmod', ['-R', 'u+w', tmp])
  console.log(`peer: mvn -q package in ${relative(REPO_ROOT, tmp)} …`)
  const t = performance.now()
  execFileSync('mvn', ['-q', 'package'], { cwd: tmp, stdio: 'inherit' })
  renameSync(tmp, dir)
  console.log(`peer: built in ${((performance.now() - t) / 1000).toFixed(0)} s`)
  return jar
}

/** The venv's python with DuckDB, created and installed when missing */
function duckdbPython (): { python: string, version: string } {
  const venv = join(WORK, 'venv')
  const python = join(venv, 'bin', 'python')
  const version = (): string => execFileSync(python, ['-c', 'import duckdb; print(duckdb.__version__)'], { encoding: 'utf8' }).trim()
  try { return { python, version: version() } } catch { /* not there yet */ }
  need('python3 with venv', 'python3', ['-c', 'import venv'])
  console.log(`duckdb: python3 -m venv ${relative(REPO_ROOT, venv)} && pip install ${DUCKDB_REQ} …`)
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' })
  execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', DUCKDB_REQ], { stdio: 'inherit' })
  return { python, version: version() }
}

/** The stats input, generated once (seeded) with Volumer's own generator */
function statsFile (): { file: string, bytes: number, generate: string } {
  const file = join(WORK, `swaps-day-${LINES}-seed21.ndjson`)
  const args = ['produce', '--generate', '--start', DAY_START, '--rate', String(LINES / 86_400), '--count', String(LINES),
    '--tokens', '50000', '--dup-rate', '0.01', '--disorder', '5', '--seed', '21', '--stdout']
  const generate = `volumer ${args.join(' ')}`
  if (!existsSync(file)) {
    console.log(`stats file: ${generate} > ${relative(REPO_ROOT, file)} …`)
    const fd = openSync(`${file}.tmp`, 'w')
    try { execFileSync('node', [join(REPO_ROOT, 'bin', 'volumer.js'), ...args], { stdio: ['ignore', fd, 'inherit'] }) } finally { closeSync(fd) }
    renameSync(`${file}.tmp`, file)
  }
  return { file, bytes: statSync(file).size, generate }
}

interface StatsRun { side: 'volumer' | 'volumer-1' | 'duckdb-1' | 'duckdb-2', loadAtStart: number, loadAtEnd: number, seconds: number, cpuSeconds: number, querySeconds?: number, endedAt: string }

/**
 * A process timed spawn → exit, its stdout discarded, its stderr kept (DuckDB prints its query time
 * there). It runs under bash so that `times` reports its user + system CPU seconds too: on a shared
 * machine they move less with the load than the wall clock does.
 */
async function timed (cmd: string, args: string[]): Promise<{ seconds: number, cpuSeconds: number, stderr: string }> {
  const t = performance.now()
  const child = spawn('bash', ['-c', '"$@"; rc=$?; echo CPU-TIMES >&2; times >&2; exit $rc', 'timed', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const seconds = (performance.now() - t) / 1000
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${String(code)}: ${stderr.slice(-2000)}`)
  // `times`' second line: the children's user and system time, e.g. "0m9.120s 0m0.410s"
  const m = /CPU-TIMES\n.*\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(stderr)
  const cpuSeconds = m === null ? NaN : Math.round((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 100) / 100
  return { seconds, cpuSeconds, stderr }
}

const out = join(REPO_ROOT, 'bench', 'results', RESULTS)
const result: Record<string, unknown> = {
  bench: 'peers',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  note: process.env.PEERS_BENCH_NOTE ?? '',
  peers: PEERS,
  runsPerSide: RUNS,
  complete: false
}
/** written after every run, so an interrupted bench leaves the runs it finished */
function save (): void {
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true })
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
}
const summary: string[] = []

if (ONLY !== 'stats') {
  await ensureServices()
  const jar = buildPeer()
  console.log(`processor: ${RUNS} alternating runs each, ${SWAPS} swaps (+1 % duplicates) over ${TOKENS} tokens, 12 partitions`)
  const runs: ThroughputRun[] = []
  const part: Record<string, unknown> = {
    input: { swaps: SWAPS, tokens: TOKENS, seed: 61, duplicateRate: 0.01, partitions: 12 },
    clock: 'ready (Volumer /readyz, the peer Kafka Streams RUNNING) → the group\'s committed offsets at the end of every partition',
    volumer: 'volumer processor, --cycle 50ms, --checkpoint-interval 10s (bench:processor\'s throughput phase, no --cpu-prof)',
    peer: `kstreams-peer.jar ${JAVA_OPTS.join(' ')} ${PEER_ARGS.join(' ')} (exactly_once_v2, commit.interval.ms 100)`,
    runs
  }
  result.processor = part
  for (let i = 0; i < RUNS; i++) {
    for (const side of ['volumer', 'peer'] as const) {
      const run = await throughputRun({ side, swaps: SWAPS, tokens: TOKENS, jar, javaOpts: JAVA_OPTS, peerArgs: PEER_ARGS })
      runs.push(run)
      save()
      console.log(`  processor ${i + 1}/${RUNS} ${side.padEnd(7)} ${fmt(run.swapsPerSecond).padStart(7)} swaps/s (${run.seconds.toFixed(2)} s, CPU ${run.cpuSeconds} s, RSS ${run.rssMbAtEnd} MB)  load ${run.loadAtStart} → ${run.loadAtEnd}`)
    }
  }
  const of = (side: ThroughputRun['side'], f: (r: ThroughputRun) => number): number => median(runs.filter((r) => r.side === side).map(f))
  const v = of('volumer', (r) => r.swapsPerSecond); const p = of('peer', (r) => r.swapsPerSecond)
  const ratio = Math.round(v / p * 100) / 100
  const perSwap = (r: ThroughputRun): number => Math.round(r.cpuSeconds / r.inputs * 1e7) / 10
  Object.assign(part, {
    records: runs[0]?.inputs,
    medianSwapsPerSecond: { volumer: v, peer: p },
    ratioVolumerToPeer: ratio,
    medianCpuMicrosecondsPerSwap: { volumer: of('volumer', perSwap), peer: of('peer', perSwap) }
  })
  summary.push(`| processor, swaps/s | ${fmt(v)} | Kafka Streams peer ${fmt(p)} | ${ratio.toFixed(2)} (Volumer / peer) |`)
}

if (ONLY !== 'processor') {
  const { python, version } = duckdbPython()
  const { file, bytes, generate } = statsFile()
  console.log(`stats: ${RUNS} alternating runs each on ${relative(REPO_ROOT, file)} (${fmt(LINES)} lines, ${fmt(bytes / 1e6)} MB), --at ${AT}; DuckDB ${version}`)
  const runs: StatsRun[] = []
  const part: Record<string, unknown> = {
    input: { file: relative(REPO_ROOT, file), lines: LINES, bytes, bytesPerLine: Math.round(bytes / LINES), generatedWith: generate, at: AT },
    clock: 'whole process, spawn → exit (stdout discarded); cpuSeconds: its user + system time; querySeconds: DuckDB\'s own figure for its query alone',
    volumer: `volumer stats --at ${AT} FILE (default --threads: ${availableParallelism()} here); volumer-1: the same with --threads 1`,
    duckdb: `DuckDB ${version}: python stats.py FILE ${AT} THREADS`,
    runs
  }
  result.stats = part
  for (let i = 0; i < RUNS; i++) {
    for (const side of ['volumer', 'volumer-1', 'duckdb-1', 'duckdb-2'] as const) {
      const loadAtStart = load1()
      const { seconds, cpuSeconds, stderr } = side === 'volumer' || side === 'volumer-1'
        ? await timed('node', [join(REPO_ROOT, 'bin', 'volumer.js'), 'stats', '--at', AT, ...(side === 'volumer-1' ? ['--threads', '1'] : []), file])
        : await timed(python, [join(PEERS, 'duckdb', 'stats.py'), file, AT, side === 'duckdb-1' ? '1' : '2'])
      const q = / in ([\d.]+) s/.exec(stderr)
      const run: StatsRun = { side, loadAtStart, loadAtEnd: load1(), seconds: Math.round(seconds * 100) / 100, cpuSeconds, ...(side.startsWith('duckdb') && q !== null ? { querySeconds: Number(q[1]) } : {}), endedAt: new Date().toISOString() }
      runs.push(run)
      save()
      console.log(`  stats ${i + 1}/${RUNS} ${side.padEnd(9)} ${run.seconds.toFixed(2)} s, CPU ${cpuSeconds} s${run.querySeconds !== undefined ? ` (query ${run.querySeconds.toFixed(2)} s)` : ''}  load ${loadAtStart} → ${run.loadAtEnd}`)
    }
  }
  const med = (side: StatsRun['side'], f: (r: StatsRun) => number = (r) => r.seconds): number => median(runs.filter((r) => r.side === side).map(f))
  const v = med('volumer'); const v1 = med('volumer-1'); const d1 = med('duckdb-1'); const d2 = med('duckdb-2')
  const r1 = Math.round(d1 / v * 100) / 100; const r2 = Math.round(d2 / v * 100) / 100
  Object.assign(part, {
    medianSeconds: { volumer: v, volumer1Thread: v1, duckdb1Thread: d1, duckdb2Threads: d2 },
    medianCpuSeconds: { volumer: med('volumer', (r) => r.cpuSeconds), volumer1Thread: med('volumer-1', (r) => r.cpuSeconds), duckdb1Thread: med('duckdb-1', (r) => r.cpuSeconds), duckdb2Threads: med('duckdb-2', (r) => r.cpuSeconds) },
    ratioDuckdbToVolumer: { oneThread: r1, twoThreads: r2 }
  })
  summary.push(`| \`volumer stats\`, s | ${v.toFixed(2)} | DuckDB 1 thread ${d1.toFixed(2)} | ${r1.toFixed(2)} (DuckDB / Volumer time) |`)
  summary.push(`| \`volumer stats\`, s | ${v.toFixed(2)} | DuckDB 2 threads ${d2.toFixed(2)} | ${r2.toFixed(2)} (DuckDB / Volumer time) |`)
  summary.push(`| \`volumer stats --threads 1\`, s | ${v1.toFixed(2)} | DuckDB 1 thread ${d1.toFixed(2)} | ${(Math.round(d1 / v1 * 100) / 100).toFixed(2)} (DuckDB / Volumer time) |`)
}

result.complete = true
save()
console.log(`\n| | Volumer (median) | peer (median) | ratio |\n|---|---|---|---|\n${summary.join('\n')}`)
console.log(`ratios above 1 mean Volumer is ahead; every run with the load at its start: ${relative(REPO_ROOT, out)}`)
process.exit(0)
