/**
 * The alert rules (redpanda/alerts.yml) with Prometheus's own tool: `promtool check rules`,
 * `promtool check config` on the compose stack's prometheus.yml (which must load them), and
 * `promtool test rules redpanda/alerts.test.yml` (input series → expected alerts). A mutation check
 * keeps the unit tests honest: with an alert made never to fire, or its `for:` removed, the
 * promtool tests must fail. Every metric a rule reads must be one the code exports.
 *
 * promtool comes from Debian's `prometheus` package (scripts/setup.sh installs it); PROMTOOL
 * names another binary.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { exportedMetricNames, metricNamesOf } from './exported-metrics.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIR = join(ROOT, 'redpanda')
const PROMTOOL = process.env.PROMTOOL ?? 'promtool'

interface Rule { alert?: string, record?: string, expr: string, for?: string, labels?: Record<string, string>, annotations?: Record<string, string> }
interface Rules { groups: Array<{ name: string, rules: Rule[] }> }

function promtool (...args: string[]): { status: number | null, out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  if (r.error !== undefined) throw new Error(`${PROMTOOL} did not run (${r.error.message}): install Debian's prometheus package (scripts/setup.sh) or set PROMTOOL`)
  return { status: r.status, out: r.stdout + r.stderr }
}

const rules = yaml.load(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as Rules
const allRules = rules.groups.flatMap(g => g.rules)
const alerts = allRules.filter(r => r.alert !== undefined)

/** `promtool test rules` on alerts.test.yml against a mutated copy of alerts.yml */
function testMutated (mutate: (r: Rules) => void): { status: number | null, out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'volumer-alerts-'))
  try {
    const copy = structuredClone(rules)
    mutate(copy)
    writeFileSync(join(dir, 'alerts.yml'), yaml.dump(copy))
    copyFileSync(join(DIR, 'alerts.test.yml'), join(dir, 'alerts.test.yml'))
    return promtool('test', 'rules', join(dir, 'alerts.test.yml'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('alert rules (redpanda/alerts.yml)', function () {
  this.timeout(120_000)

  it('pass promtool check rules', () => {
    const r = promtool('check', 'rules', 'redpanda/alerts.yml')
    expect(r.status, r.out).to.equal(0)
    expect(r.out).to.contain(`SUCCESS: ${allRules.length} rules found`)
  })

  it('are loaded by the compose stack: prometheus.yml names them (promtool check config) and compose mounts them beside it', () => {
    const r = promtool('check', 'config', 'redpanda/prometheus.yml')
    expect(r.status, r.out).to.equal(0)
    expect(r.out).to.contain('Checking redpanda/alerts.yml')
    const compose = yaml.load(readFileSync(join(DIR, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[] }> }
    expect(compose.services.prometheus.volumes).to.include('./alerts.yml:/etc/prometheus/alerts.yml:ro')
    expect(compose.services.prometheus.volumes).to.include('./prometheus.yml:/etc/prometheus/prometheus.yml:ro')
  })

  it('cover consumer lag, DLQ, fences, aborts, restarts, a processor down or stalled and an edge not ready', () => {
    expect(alerts.map(a => a.alert)).to.have.members([
      'VolumerConsumerLagGrowing', 'VolumerDlqRateHigh', 'VolumerProducerFenced', 'VolumerTransactionAborts',
      'VolumerProcessorRestarted', 'VolumerProcessorDown', 'VolumerProcessorStalled', 'VolumerEdgeNotReady'
    ])
    for (const a of alerts) {
      expect(a.labels?.severity, `${a.alert} severity`).to.be.oneOf(['warning', 'critical'])
      expect(a.annotations?.summary, `${a.alert} summary`).to.be.a('string')
      expect(a.annotations?.description, `${a.alert} description`).to.be.a('string')
    }
  })

  it('read only metrics the processor and the edge export (or up, or their own recording rules)', async () => {
    const known = await exportedMetricNames()
    known.add('up')
    for (const r of allRules) if (r.record !== undefined) known.add(r.record)
    const missing = allRules.flatMap(r => metricNamesOf(r.expr).filter(n => !known.has(n)).map(n => `${n} (${r.alert ?? r.record})`))
    expect(missing).to.deep.equal([])
    expect(allRules.every(r => metricNamesOf(r.expr).length > 0)).to.equal(true)
  })

  it('pass their unit tests (promtool test rules redpanda/alerts.test.yml)', () => {
    const r = promtool('test', 'rules', 'redpanda/alerts.test.yml')
    expect(r.status, r.out).to.equal(0)
    expect(r.out).to.contain('SUCCESS')
  })

  it('mutation check: each alert made never to fire, or with its for: removed, fails the unit tests', () => {
    const survived: string[] = []
    for (const a of alerts) {
      const never = testMutated(c => { c.groups.flatMap(g => g.rules).find(x => x.alert === a.alert)!.expr = 'vector(0) > 1' })
      if (never.status === 0) survived.push(`${a.alert} never firing`)
      if (a.for !== undefined) {
        const eager = testMutated(c => { delete c.groups.flatMap(g => g.rules).find(x => x.alert === a.alert)!.for })
        if (eager.status === 0) survived.push(`${a.alert} without for: ${a.for}`)
      }
    }
    expect(survived, 'mutations the promtool tests did not notice').to.deep.equal([])
  })
})
