/**
 * What the dashboard and the alert rules may query: the metric names the processor and the edge
 * really expose (their metric factories, plus prom-client's default metrics under the prefixes the
 * commands use), and a small reader of the metric names a PromQL expression selects. Shared by
 * grafana.test.ts and alert-rules.test.ts.
 */
import { Registry, collectDefaultMetrics } from 'prom-client'
import { createEdgeMetrics } from '../../src/edge/edge-metrics.js'
import { createProcessorMetrics } from '../../src/processor/processor-metrics.js'

/** names prom-client exposes for a registry: histogram series get _bucket, _sum and _count */
async function exposedNames (registry: Registry): Promise<Set<string>> {
  const names = new Set<string>()
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name)
    const type = String(m.type) // prom-client's MetricType enum holds these strings
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s)
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s)
  }
  return names
}

/** every metric name `volumer processor`, `volumer edge` and `volumer run` expose */
export async function exportedMetricNames (): Promise<Set<string>> {
  // the processor command: default metrics prefixed volumer_processor_ + createProcessorMetrics
  const processor = new Registry()
  collectDefaultMetrics({ register: processor, prefix: 'volumer_processor_' })
  createProcessorMetrics(processor)
  // the edge command: default metrics prefixed volumer_edge_ + createEdgeMetrics
  const edge = new Registry()
  collectDefaultMetrics({ register: edge, prefix: 'volumer_edge_' })
  createEdgeMetrics(edge, { tokens: () => 0, wsClients: () => 0, wsSubscriptions: () => 0, indexes: () => 0, ready: () => true })
  // `volumer run`: both in one registry, default metrics prefixed volumer_
  const embedded = new Registry()
  collectDefaultMetrics({ register: embedded, prefix: 'volumer_' })
  const known = new Set<string>()
  for (const r of [processor, edge, embedded]) {
    for (const n of await exposedNames(r)) known.add(n)
    r.clear()
  }
  return known
}

const PROMQL_WORDS = new Set(['by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan', 'le'])

/**
 * The metric names a PromQL expression selects. Strings, label matchers, range selectors,
 * grouping clauses and Grafana variables are removed first; what is left that is an identifier
 * not followed by "(" (a function) and not a keyword is a metric name.
 */
export function metricNamesOf (expr: string): string[] {
  let s = expr
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
  s = s.replace(/\$\{[^}]*\}|\$\w+/g, '1m')
  s = s.replace(/\{[^}]*\}/g, ' ')
  s = s.replace(/\[[^\]]*\]/g, ' ')
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names: string[] = []
  const re = /(^|[^\w.:])([a-zA-Z_:][\w:]*)(?=\s*(\()?)/g
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const word = m[2]
    const isCall = /^\s*\(/.test(s.slice(m.index + m[0].length))
    if (isCall || PROMQL_WORDS.has(word)) continue
    names.push(word)
  }
  return names
}
