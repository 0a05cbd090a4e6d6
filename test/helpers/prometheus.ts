/**
 * A private Prometheus for tests: Debian's binary through scripts/prometheus.sh, on a free port
 * and in a directory of its own, evaluating a copy of redpanda/alerts.yml whose `for:` and range
 * windows are shortened (the expressions are otherwise the shipped ones), scraping the targets the
 * test writes (file_sd, `instance` = the process's name, so a restarted process keeps its series).
 * Used by test/integration/prometheus.test.ts and test/chaos/cluster-chaos.test.ts.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yaml from 'js-yaml'
import { REPO_ROOT } from './sample-data.js'
import { waitUntil } from './cluster.js'

const SCRIPT = join(REPO_ROOT, 'scripts', 'prometheus.sh')
const RULES = join(REPO_ROOT, 'redpanda', 'alerts.yml')

export interface Rule { alert?: string, record?: string, expr: string, for?: string }
export interface Alert { labels: Record<string, string>, state: 'pending' | 'firing', activeAt: string }
export interface Sample { metric: Record<string, string>, value: [number, string] }
/** one alert series' firing intervals, in Unix seconds */
export interface AlertHistory { labels: Record<string, string>, intervals: Array<[number, number]> }

// one free-port probe for the test helpers: private-postgres.ts has it
export { freePort } from './private-postgres.js'
import { freePort } from './private-postgres.js'

/** the shipped rules, parsed */
export function shippedRules (): Rule[] {
  return (yaml.load(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(g => g.rules)
}

/** redpanda/alerts.yml with every `for:` set to `forDuration` and every `[Nm]` range to `range` */
export function shortRules (forDuration: string, range: string): string {
  const doc = yaml.load(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }
  for (const r of doc.groups.flatMap(g => g.rules)) {
    if (r.for !== undefined) r.for = forDuration
    r.expr = r.expr.replace(/\[\d+[mh]\]/g, `[${range}]`)
  }
  return yaml.dump(doc)
}

export interface TestPrometheusOptions {
  /** scrape and rule evaluation interval (also the scrape timeout), e.g. '1s' */
  interval: string
  /** every `for:` of the test copy of the rules */
  forDuration: string
  /** every range window of the test copy of the rules */
  range: string
}

export class TestPrometheus {
  readonly dir: string
  readonly opts: TestPrometheusOptions
  url: string | undefined
  #env: NodeJS.ProcessEnv | undefined

  constructor (opts: TestPrometheusOptions) {
    this.opts = opts
    this.dir = mkdtempSync(join(tmpdir(), 'volumer-prom-'))
  }

  script (...args: string[]): string {
    if (this.#env === undefined) throw new Error('Prometheus not started')
    const r = spawnSync(SCRIPT, args, { env: this.#env, encoding: 'utf8', timeout: 90_000 })
    if (r.status !== 0) throw new Error(`scripts/prometheus.sh ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`)
    return r.stdout
  }

  /** writes the short rules and starts Prometheus on a free port */
  async start (): Promise<void> {
    const rules = join(this.dir, 'alerts.yml')
    writeFileSync(rules, shortRules(this.opts.forDuration, this.opts.range))
    const port = await freePort()
    this.#env = { ...process.env, VOLUMER_PROM_DIR: join(this.dir, 'prometheus'), VOLUMER_PROM_PORT: String(port), VOLUMER_PROM_INTERVAL: this.opts.interval, VOLUMER_PROM_RULES: rules, VOLUMER_PROM_WAIT_S: '60' }
    this.script('start')
    this.url = `http://127.0.0.1:${port}`
  }

  /** replaces JOB's targets (INSTANCE=HOST:PORT each) */
  targets (job: 'volumer-processor' | 'volumer-edge' | 'volumer-run', ...targets: string[]): void {
    this.script('targets', job, ...targets)
  }

  async api<T> (path: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url!}${path}?${new URLSearchParams(params).toString()}`, { signal: AbortSignal.timeout(10_000) })
    const body = await res.json() as { status: string, data: T, error?: string }
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error ?? res.status}`)
    return body.data
  }

  async query (expr: string): Promise<Sample[]> {
    return (await this.api<{ result: Sample[] }>('/api/v1/query', { query: expr })).result
  }

  /** pending and firing alerts now */
  async alerts (): Promise<Array<Alert & { labels: { alertname: string } }>> {
    return (await this.api<{ alerts: Array<Alert & { labels: { alertname: string } }> }>('/api/v1/alerts')).alerts
  }

  async alert (name: string, labels: Record<string, string>): Promise<Alert | undefined> {
    return (await this.alerts()).find(a => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v))
  }

  /** waits for the alert to reach `state` ('resolved' = no longer pending or firing); returns seconds waited */
  async waitAlert (name: string, labels: Record<string, string>, state: 'firing' | 'resolved', timeoutMs = 60_000): Promise<number> {
    const t0 = performance.now()
    await waitUntil(async () => {
      const a = await this.alert(name, labels)
      return state === 'firing' ? a?.state === 'firing' : a === undefined
    }, `${name} ${JSON.stringify(labels)} ${state}`, timeoutMs, 250)
    return (performance.now() - t0) / 1000
  }

  async targetUp (job: string, instance: string): Promise<boolean> {
    const r = await this.query(`up{job="${job}",instance="${instance}"}`)
    return r.length === 1 && r[0].value[1] === '1'
  }

  /**
   * Every alert that was firing between `fromMs` and `toMs` (Unix ms), from Prometheus's own
   * ALERTS series sampled every `stepS` seconds: each series' firing intervals (a gap of more
   * than two steps starts a new one; an interval is [first sample, last sample]).
   */
  async firingHistory (fromMs: number, toMs: number, stepS = 1): Promise<AlertHistory[]> {
    const data = await this.api<{ result: Array<{ metric: Record<string, string>, values: Array<[number, string]> }> }>('/api/v1/query_range', {
      query: 'ALERTS{alertstate="firing"}', start: String(fromMs / 1000), end: String(toMs / 1000), step: `${stepS}s`
    })
    return data.result.map(s => {
      const labels = { ...s.metric }
      delete labels.__name__
      delete labels.alertstate
      const intervals: Array<[number, number]> = []
      for (const [t] of s.values) {
        const last = intervals.at(-1)
        if (last !== undefined && t - last[1] <= 2 * stepS) last[1] = t
        else intervals.push([t, t])
      }
      return { labels, intervals }
    })
  }

  /** Prometheus's log tail and each target's last scrape error */
  async diagnose (): Promise<string> {
    const parts: string[] = []
    try { parts.push(`prometheus.log (tail):\n${readFileSync(join(this.dir, 'prometheus', 'prometheus.log'), 'utf8').split('\n').slice(-25).join('\n')}`) } catch { parts.push('no prometheus.log') }
    if (this.url !== undefined) {
      try {
        const t = await this.api<{ activeTargets: Array<{ labels: Record<string, string>, health: string, lastError: string, scrapeUrl: string }> }>('/api/v1/targets')
        for (const a of t.activeTargets) parts.push(`target ${a.labels.job}/${a.labels.instance} ${a.scrapeUrl}: ${a.health} ${a.lastError}`)
      } catch (err) { parts.push(`/api/v1/targets: ${(err as Error).message}`) }
    }
    return parts.join('\n')
  }

  /** stops Prometheus and deletes its directory */
  close (): void {
    try {
      if (this.#env !== undefined) this.script('reset')
    } finally {
      rmSync(this.dir, { recursive: true, force: true })
    }
  }
}
