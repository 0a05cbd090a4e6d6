/**
 * `volumer processor` as a real child process (bin/volumer.js), the way it runs in production:
 * its JSON logs (stderr) are parsed for `metricsPort`, /readyz and /metrics are read over HTTP,
 * and signals are real (SIGKILL, SIGSTOP/SIGCONT, SIGTERM for a graceful stop).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './sample-data.js'
import { type TestCluster } from './cluster.js'

export interface ProcessorProcessOptions {
  instanceId: string
  windows?: string
  cycle?: string
  checkpointInterval?: string
  sessionTimeout?: string
  maxCycleRecords?: number
  logLevel?: string
  /** extra environment */
  env?: Record<string, string>
  /** node flags before the script, e.g. --cpu-prof (Node 20 refuses it in NODE_OPTIONS) */
  nodeArgs?: string[]
  /** keep every log line (default: the last 200) */
  keepLogs?: boolean
  /** append every stderr line, as written, to this file (kept after the test: what a failed run's processors said) */
  logFile?: string
  /** --standby / --no-standby: keep standby copies of the partitions it does not own (unset: the CLI's default, on) */
  standby?: boolean
}

export interface LogLine { level: number, msg: string, time: number, [k: string]: unknown }

export class ProcessorProcess {
  readonly instanceId: string
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  readonly lines: LogLine[] = []
  #metricsPort: number | undefined
  #portWaiters: Array<(port: number) => void> = []
  #keep: boolean
  readonly #logFile: string | undefined
  #listeners: Array<(l: LogLine) => void> = []
  /** input partitions it owns, followed through its 'partition restored' / 'partitions revoked' logs */
  readonly owned = new Set<number>()
  /** partitions it restored from a standby copy (its 'partition restored' lines with standby: true) */
  standbyRestores = 0
  /** partitions it restored, from any source (its 'partition restored' lines) */
  restores = 0
  /** transactions a rebalance refused whose records went with the next one */
  rebalanceCarries = 0
  /** ...of which the next transaction committed them, or failed (and the partitions were rebuilt) */
  carriesCommitted = 0
  carriesFailed = 0
  /** true once the test has SIGKILLed it: any other exit before stop() is the process's own */
  killed = false
  /** the signal that ended it (SIGKILL, SIGSEGV, SIGABRT...), once exited by one */
  exitSignal: NodeJS.Signals | null = null

  constructor (cluster: TestCluster, opts: ProcessorProcessOptions) {
    this.instanceId = opts.instanceId
    this.#keep = opts.keepLogs === true
    this.#logFile = opts.logFile
    const args = [
      // what bin/volumer.js's shebang gives a user's `volumer processor`
      '--max-semi-space-size=64',
      ...(opts.nodeArgs ?? []),
      // VOLUMER_TEST_PROCESSOR_BIN: run a patched copy of the CLI (e.g. to measure a proposed fix)
      process.env.VOLUMER_TEST_PROCESSOR_BIN ?? join(REPO_ROOT, 'bin', 'volumer.js'), 'processor',
      '--brokers', cluster.brokers,
      '--registry', cluster.registryUrl,
      '--pg-url', cluster.pgUrl,
      '--topic-prefix', cluster.prefix,
      '--group', cluster.group,
      '--instance-id', opts.instanceId,
      '--metrics-port', '0',
      '--windows', opts.windows ?? '1m,5m,1h,24h',
      '--cycle', opts.cycle ?? '50ms',
      '--checkpoint-interval', opts.checkpointInterval ?? '2s',
      '--log-level', opts.logLevel ?? 'info'
    ]
    if (opts.sessionTimeout !== undefined) args.push('--session-timeout', opts.sessionTimeout)
    // unset: the CLI's default (standby copies on since 12-07)
    if (opts.standby !== undefined) args.push(opts.standby ? '--standby' : '--no-standby')
    if (opts.maxCycleRecords !== undefined) args.push('--max-cycle-records', String(opts.maxCycleRecords))
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => { this.exitSignal = signal; resolve(signal !== null ? null : code) }))
    let buf = ''
    this.child.stderr!.setEncoding('utf8')
    this.child.stderr!.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        this.#line(text)
      }
    })
  }

  #line (text: string): void {
    // synchronous and unbuffered: the file must hold the last line before a SIGKILL or a hang
    if (this.#logFile !== undefined) { try { appendFileSync(this.#logFile, text + '\n') } catch { /* the log file is evidence, not a reason to fail */ } }
    let l: LogLine
    try { l = JSON.parse(text) as LogLine } catch { l = { level: 50, msg: text, time: Date.now() } }
    this.lines.push(l)
    if (!this.#keep && this.lines.length > 200) this.lines.shift()
    if (typeof l.metricsPort === 'number' && this.#metricsPort === undefined) {
      this.#metricsPort = l.metricsPort
      for (const w of this.#portWaiters) w(l.metricsPort)
      this.#portWaiters = []
    }
    if (l.msg === 'partition restored' && typeof l.partition === 'number') {
      this.owned.add(l.partition)
      this.restores++
      if (l.standby === true) this.standbyRestores++
    }
    if (l.msg === 'partitions revoked' && Array.isArray(l.partitions)) for (const p of l.partitions as number[]) this.owned.delete(p)
    if (l.msg === 'transaction refused by a rebalance; its records go with the next one') this.rebalanceCarries++
    if (l.msg === 'carried records committed') this.carriesCommitted++
    if (l.msg === 'a transaction with carried records failed') this.carriesFailed++
    for (const f of this.#listeners) f(l)
  }

  get pid (): number { return this.child.pid! }

  /** resolves with the first log line matching `pred` from now on */
  async nextLine (pred: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { remove(); reject(new Error(`${this.instanceId}: no matching log line within ${timeoutMs} ms`)) }, timeoutMs)
      const f = (l: LogLine): void => { if (pred(l)) { remove(); resolve(l) } }
      const remove = (): void => { clearTimeout(timer); this.#listeners = this.#listeners.filter((x) => x !== f) }
      this.#listeners.push(f)
    })
  }

  async metricsPort (timeoutMs = 60_000): Promise<number> {
    if (this.#metricsPort !== undefined) return this.#metricsPort
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.instanceId}: no metricsPort logged within ${timeoutMs} ms; last lines: ${this.tail()}`)), timeoutMs)
      this.#portWaiters.push((p) => { clearTimeout(timer); resolve(p) })
      void this.exited.then((code) => { clearTimeout(timer); reject(new Error(`${this.instanceId} exited (${code}) before logging its metrics port: ${this.tail()}`)) })
    })
  }

  /** /readyz answers 200 once the processor has restored its first assignment */
  async waitReady (timeoutMs = 90_000): Promise<void> {
    const port = await this.metricsPort(timeoutMs)
    const until = Date.now() + timeoutMs
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.instanceId} exited before ready: ${this.tail()}`)
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })
        if (res.status === 200) return
      } catch { /* not listening yet or busy */ }
      if (Date.now() > until) throw new Error(`${this.instanceId} not ready within ${timeoutMs} ms: ${this.tail()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async metrics (): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${await this.metricsPort()}/metrics`, { signal: AbortSignal.timeout(5000) })
    return await res.text()
  }

  /** the value of one unlabelled counter or gauge from /metrics (0 when absent) */
  async metric (name: string): Promise<number> {
    const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(await this.metrics())
    return m === null ? 0 : Number(m[1])
  }

  alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  signal (sig: NodeJS.Signals): void { if (this.alive()) this.child.kill(sig) }

  async kill (): Promise<void> {
    this.killed = true
    this.signal('SIGKILL')
    await this.exited
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs` */
  async stop (graceMs = 20_000): Promise<number | null> {
    if (!this.alive()) return await this.exited
    this.signal('SIGCONT')
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
    try { return await this.exited } finally { clearTimeout(timer) }
  }

  /** warnings and errors, for assertion messages */
  problems (): LogLine[] { return this.lines.filter((l) => l.level >= 40) }

  tail (n = 8): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n')
  }
}

/** Starts processors and remembers them, so `stopAll()` in `afterEach` leaves nothing behind. */
export class ProcessorFleet {
  readonly all: ProcessorProcess[] = []
  readonly #cluster: TestCluster
  readonly #defaults: Omit<ProcessorProcessOptions, 'instanceId'>

  constructor (cluster: TestCluster, defaults: Omit<ProcessorProcessOptions, 'instanceId'> = {}) {
    this.#cluster = cluster
    this.#defaults = defaults
  }

  start (instanceId: string, opts: Omit<ProcessorProcessOptions, 'instanceId'> = {}): ProcessorProcess {
    const p = new ProcessorProcess(this.#cluster, { ...this.#defaults, ...opts, instanceId })
    this.all.push(p)
    return p
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.all.map(async (p) => await p.stop()))
  }

  async killAll (): Promise<void> {
    await Promise.all(this.all.map(async (p) => await p.kill()))
  }
}
