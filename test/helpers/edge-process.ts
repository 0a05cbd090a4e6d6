/**
 * `volumer edge` as a real child process (bin/volumer.js) on a test cluster's prefixed topics:
 * it listens on port 0 and its JSON log line 'edge listening …' names the port; /readyz turns 200
 * once it has caught up with `stats`. Signals are real (SIGKILL for a crash, SIGTERM to stop).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './sample-data.js'
import { type TestCluster } from './cluster.js'
import type { LogLine } from './processor-process.js'

export interface EdgeProcessOptions {
  name: string
  /** the processors' windows (the edge accepts them in ?window= before any record names them) */
  windows?: string
  logLevel?: string
  env?: Record<string, string>
}

export class EdgeProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  readonly lines: LogLine[] = []
  /** performance.now() at spawn, for start-up timings */
  readonly spawnedAt = performance.now()
  #port: number | undefined
  #portWaiters: Array<(port: number) => void> = []

  constructor (cluster: Pick<TestCluster, 'brokers' | 'prefix' | 'registryUrl'>, opts: EdgeProcessOptions) {
    this.name = opts.name
    const args = [
      // what bin/volumer.js's shebang gives a user's `volumer edge`
      '--max-semi-space-size=64',
      // VOLUMER_TEST_EDGE_BIN: run a patched copy of the CLI (e.g. to measure a proposed fix)
      process.env.VOLUMER_TEST_EDGE_BIN ?? join(REPO_ROOT, 'bin', 'volumer.js'), 'edge',
      '--brokers', cluster.brokers,
      '--registry', cluster.registryUrl,
      '--topic-prefix', cluster.prefix,
      '--host', '127.0.0.1',
      '--port', '0',
      '--windows', opts.windows ?? '1m,5m,1h,24h',
      '--log-level', opts.logLevel ?? 'info'
    ]
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(signal !== null ? null : code)))
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
    let l: LogLine
    try { l = JSON.parse(text) as LogLine } catch { l = { level: 50, msg: text, time: Date.now() } }
    this.lines.push(l)
    if (this.lines.length > 200) this.lines.shift()
    if (typeof l.port === 'number' && typeof l.msg === 'string' && l.msg.startsWith('edge listening') && this.#port === undefined) {
      this.#port = l.port
      for (const w of this.#portWaiters) w(l.port)
      this.#portWaiters = []
    }
  }

  async port (timeoutMs = 60_000): Promise<number> {
    if (this.#port !== undefined) return this.#port
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`edge ${this.name}: no port logged within ${timeoutMs} ms; last lines: ${this.tail()}`)), timeoutMs)
      this.#portWaiters.push((p) => { clearTimeout(timer); resolve(p) })
      void this.exited.then((code) => { clearTimeout(timer); reject(new Error(`edge ${this.name} exited (${code}) before listening: ${this.tail()}`)) })
    })
  }

  async url (path = ''): Promise<string> {
    return `http://127.0.0.1:${await this.port()}${path}`
  }

  /**
   * Polls /readyz until 200; resolves with performance.now() of the first 200 (the poll is every
   * `everyMs`, so that is the resolution of start-up timings taken from it).
   */
  async waitReady (timeoutMs = 90_000, everyMs = 50): Promise<number> {
    const port = await this.port(timeoutMs)
    const until = Date.now() + timeoutMs
    for (;;) {
      if (!this.alive()) throw new Error(`edge ${this.name} exited before ready: ${this.tail()}`)
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })
        await res.arrayBuffer()
        if (res.status === 200) return performance.now()
      } catch { /* busy rehydrating */ }
      if (Date.now() > until) throw new Error(`edge ${this.name} not ready within ${timeoutMs} ms: ${this.tail()}`)
      await new Promise((r) => setTimeout(r, everyMs))
    }
  }

  /** GET a path; JSON body parsed when it is JSON */
  async get (path: string): Promise<{ status: number, text: string, json: any }> {
    const res = await fetch(await this.url(path), { signal: AbortSignal.timeout(10_000) })
    const text = await res.text()
    let json: any
    try { json = JSON.parse(text) } catch { json = undefined }
    return { status: res.status, text, json }
  }

  /** one unlabelled counter or gauge from /metrics (0 when absent) */
  async metric (name: string): Promise<number> {
    const { text } = await this.get('/metrics')
    const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)
    return m === null ? 0 : Number(m[1])
  }

  alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  async kill (): Promise<void> {
    if (this.alive()) this.child.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM, then SIGKILL after `graceMs` */
  async stop (graceMs = 10_000): Promise<number | null> {
    if (!this.alive()) return await this.exited
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => { if (this.alive()) this.child.kill('SIGKILL') }, graceMs)
    try { return await this.exited } finally { clearTimeout(timer) }
  }

  problems (): LogLine[] { return this.lines.filter((l) => l.level >= 40) }

  tail (n = 8): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n')
  }
}

/** Starts edges and remembers them, so `stopAll()` in `after` leaves nothing behind. */
export class EdgeFleet {
  readonly all: EdgeProcess[] = []
  readonly #cluster: Pick<TestCluster, 'brokers' | 'prefix' | 'registryUrl'>
  readonly #defaults: Omit<EdgeProcessOptions, 'name'>

  constructor (cluster: Pick<TestCluster, 'brokers' | 'prefix' | 'registryUrl'>, defaults: Omit<EdgeProcessOptions, 'name'> = {}) {
    this.#cluster = cluster
    this.#defaults = defaults
  }

  start (name: string, opts: Omit<EdgeProcessOptions, 'name'> = {}): EdgeProcess {
    const e = new EdgeProcess(this.#cluster, { ...this.#defaults, ...opts, name })
    this.all.push(e)
    return e
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.all.map(async (e) => await e.stop()))
  }
}
