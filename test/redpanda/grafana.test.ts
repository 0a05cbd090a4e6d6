/**
 * The Grafana dashboard (redpanda/grafana/dashboards/volumer.json) against the code: every metric
 * name its PromQL uses must be one the processor and the edge really register (their metric
 * factories, plus prom-client's default metrics under the prefixes the commands use), every
 * metric the observability brief asks for must be charted, and the JSON must be what
 * redpanda/grafana/make-dashboard.mjs writes.
 */
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { exportedMetricNames, metricNamesOf } from './exported-metrics.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DASHBOARD = ROOT + 'redpanda/grafana/dashboards/volumer.json'

interface Target { expr: string, refId: string, datasource?: { uid: string } }
interface Panel { id: number, type: string, title: string, targets?: Target[], gridPos: { x: number, y: number, w: number, h: number }, datasource?: { uid: string } }

describe('grafana dashboard (redpanda/grafana)', () => {
  let known: Set<string>
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string, panels: Panel[], templating: { list: Array<{ name: string, type: string }> } }
  const queries = dashboard.panels.flatMap(p => (p.targets ?? []).map(t => ({ panel: p.title, expr: t.expr })))

  before(async () => { known = await exportedMetricNames() })

  it('extracts metric names from PromQL (the parser the next test relies on)', () => {
    expect(metricNamesOf('histogram_quantile(0.99, sum by (le, route) (rate(a_seconds_bucket{status=~"4..|5.."}[$__rate_interval])))')).to.deep.equal(['a_seconds_bucket'])
    expect(metricNamesOf('sum(rate(x_total[1m])) or vector(0)')).to.deep.equal(['x_total'])
    expect(metricNamesOf('max by (partition) (lag) / on (instance) group_left up')).to.deep.equal(['lag', 'up'])
    expect(metricNamesOf('rate(a_sum[5m]) / rate(a_count[5m]) * 1e3')).to.deep.equal(['a_sum', 'a_count'])
  })

  it('every metric a query uses is registered by the processor or the edge', () => {
    expect(queries.length).to.be.greaterThan(30)
    const missing: string[] = []
    for (const { panel, expr } of queries) {
      const names = metricNamesOf(expr)
      expect(names, `no metric in "${expr}" (${panel})`).to.not.be.empty
      for (const n of names) if (!known.has(n)) missing.push(`${n} (panel "${panel}")`)
    }
    expect(missing, 'metrics the dashboard queries but the code does not register').to.deep.equal([])
  })

  it('charts every metric the observability brief asks for', () => {
    const used = new Set(queries.flatMap(q => metricNamesOf(q.expr)))
    const wanted = [
      'volumer_processor_swaps_in_total', 'volumer_processor_duplicates_total', 'volumer_processor_late_total',
      'volumer_processor_dlq_total', 'volumer_processor_consumer_lag', 'volumer_processor_commit_duration_seconds_bucket',
      'volumer_processor_checkpoint_duration_seconds_bucket', 'volumer_processor_checkpoint_size_bytes',
      'volumer_processor_restore_duration_seconds_bucket', 'volumer_processor_stats_updates_total',
      'volumer_edge_ws_clients', 'volumer_edge_ws_messages_sent_total', 'volumer_edge_ws_coalesced_total', 'volumer_edge_ws_dropped_total',
      'volumer_edge_http_requests_total', 'volumer_edge_http_request_duration_seconds_bucket',
      'volumer_processor_nodejs_eventloop_lag_p99_seconds', 'volumer_edge_nodejs_eventloop_lag_p99_seconds'
    ]
    expect(wanted.filter(n => !used.has(n)), 'not charted').to.deep.equal([])
    // DLQ by reason and HTTP by route and status are broken down, not summed away
    expect(queries.some(q => /sum by \(reason\) \(rate\(volumer_processor_dlq_total/.test(q.expr))).to.equal(true)
    expect(queries.some(q => /sum by \(route, status\) \(rate\(volumer_edge_http_requests_total/.test(q.expr))).to.equal(true)
  })

  it('is well formed: unique ids, refIds per panel, the datasource variable, panels inside the 24-column grid', () => {
    const ids = dashboard.panels.map(p => p.id)
    expect(new Set(ids).size).to.equal(ids.length)
    expect(dashboard.uid).to.equal('volumer')
    expect(dashboard.templating.list.some(v => v.name === 'datasource' && v.type === 'datasource')).to.equal(true)
    for (const p of dashboard.panels) {
      expect(p.title, `panel ${p.id} title`).to.be.a('string').and.not.equal('')
      expect(p.gridPos.x + p.gridPos.w, `panel "${p.title}" width`).to.be.at.most(24)
      if (p.type === 'row') continue
      expect(p.datasource?.uid).to.equal('${datasource}')
      const refs = (p.targets ?? []).map(t => t.refId)
      expect(refs.length, `panel "${p.title}" has queries`).to.be.greaterThan(0)
      expect(new Set(refs).size).to.equal(refs.length)
    }
  })

  it('is exactly what make-dashboard.mjs generates (edit the script, then run it)', async () => {
    // @ts-expect-error: a plain .mjs script without type declarations
    const { dashboard: generated } = await import('../../redpanda/grafana/make-dashboard.mjs') as { dashboard: unknown }
    expect(JSON.parse(JSON.stringify(generated))).to.deep.equal(dashboard)
  })
})
