#!/usr/bin/env node
// Writes dashboards/volumer.json, the Grafana dashboard on the metrics of
// src/processor/processor-metrics.ts and src/edge/edge-metrics.ts (docs/observability.md).
// Panels are declared here in a few lines each rather than edited as 1,500 lines of JSON:
//
//   node redpanda/grafana/make-dashboard.mjs
//
// test/redpanda/grafana.test.ts checks that the JSON is this script's output and that every
// metric its queries use is one the code registers.

import { writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const DS = { type: 'prometheus', uid: '${datasource}' }

let nextId = 1
let y = 0
const panels = []

function row (title) {
  panels.push({ type: 'row', id: nextId++, title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] })
  y += 1
}

/** lays panels out left to right, `w` of 24 columns each, wrapping rows */
let x = 0
let rowH = 0
function place (w, h) {
  if (x + w > 24) { x = 0; y += rowH; rowH = 0 }
  const pos = { h, w, x, y }
  x += w
  rowH = Math.max(rowH, h)
  return pos
}
function endRow () { if (x > 0) { y += rowH; x = 0; rowH = 0 } }

function targets (queries) {
  return queries.map(([expr, legend], i) => ({ datasource: DS, expr, legendFormat: legend, refId: String.fromCharCode(65 + i), range: true }))
}

function timeseries (title, description, unit, queries, opts = {}) {
  panels.push({
    type: 'timeseries',
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: place(opts.w ?? 8, opts.h ?? 8),
    fieldConfig: {
      defaults: {
        unit,
        min: opts.min ?? 0,
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: opts.stack ? 30 : 10, showPoints: 'never', stacking: { mode: opts.stack ? 'normal' : 'none', group: 'A' } }
      },
      overrides: []
    },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets(queries)
  })
}

function stat (title, description, unit, expr, opts = {}) {
  panels.push({
    type: 'stat',
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: place(opts.w ?? 4, 4),
    fieldConfig: {
      defaults: {
        unit,
        decimals: opts.decimals,
        thresholds: { mode: 'absolute', steps: opts.steps ?? [{ color: 'green', value: null }] },
        color: { mode: 'thresholds' }
      },
      overrides: []
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' },
    targets: targets([[expr, title]])
  })
}

function heatmap (title, description, expr) {
  panels.push({
    type: 'heatmap',
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: place(8, 8),
    options: { calculate: false, yAxis: { unit: 's' }, cellGap: 1, color: { mode: 'scheme', scheme: 'Oranges', steps: 64 }, tooltip: { show: true, yHistogram: true } },
    targets: [{ datasource: DS, expr, format: 'heatmap', legendFormat: '{{le}}', refId: 'A', range: true }]
  })
}

const q = (p, metric, by = '') => `histogram_quantile(${p}, sum by (le${by}) (rate(${metric}_bucket[$__rate_interval])))`

// ── overview ──
row('Overview')
stat('Swaps in / s', 'volumer_processor_swaps_in_total, all processors', 'ops', 'sum(rate(volumer_processor_swaps_in_total[$__rate_interval]))')
stat('Stats updates out / s', 'volumer_processor_stats_updates_total: records produced to the stats topic', 'ops', 'sum(rate(volumer_processor_stats_updates_total[$__rate_interval]))')
stat('Consumer lag', 'volumer_processor_consumer_lag summed over partitions (records not yet processed)', 'short', 'sum(max by (partition) (volumer_processor_consumer_lag))', {
  steps: [{ color: 'green', value: null }, { color: 'orange', value: 10000 }, { color: 'red', value: 100000 }]
})
stat('DLQ / s', 'volumer_processor_dlq_total, every reason', 'ops', 'sum(rate(volumer_processor_dlq_total[$__rate_interval])) or vector(0)', {
  steps: [{ color: 'green', value: null }, { color: 'orange', value: 0.1 }]
})
stat('WebSocket clients', 'volumer_edge_ws_clients over every edge', 'short', 'sum(volumer_edge_ws_clients)')
stat('Edges ready', 'edges caught up with the stats topic (volumer_edge_ready)', 'short', 'sum(volumer_edge_ready)', {
  steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }]
})
endRow()

// ── processor ──
row('Processor: input')
timeseries('Swaps in, counted, duplicates, late', 'Per second. in = consumed; counted = accepted into the statistics; duplicates = id already counted within the horizon; late = older than every window', 'ops', [
  ['sum(rate(volumer_processor_swaps_in_total[$__rate_interval]))', 'in'],
  ['sum(rate(volumer_processor_swaps_counted_total[$__rate_interval]))', 'counted'],
  ['sum(rate(volumer_processor_duplicates_total[$__rate_interval]))', 'duplicates'],
  ['sum(rate(volumer_processor_late_total[$__rate_interval]))', 'late']
])
timeseries('Dead-letter records by reason', 'volumer_processor_dlq_total per second, by reason code (docs/errors.md)', 'ops', [
  ['sum by (reason) (rate(volumer_processor_dlq_total[$__rate_interval]))', '{{reason}}']
], { stack: true })
timeseries('Consumer lag by partition', 'volumer_processor_consumer_lag: records of each swaps partition not yet processed (max over processors, as a moved partition keeps its last sample on the old owner until it reports again)', 'short', [
  ['max by (partition) (volumer_processor_consumer_lag)', 'p{{partition}}']
])
endRow()

row('Processor: transactions and output')
timeseries('Transaction commit latency', 'volumer_processor_commit_duration_seconds: sendOffsets + commit of one transaction', 's', [
  [q(0.5, 'volumer_processor_commit_duration_seconds'), 'p50'],
  [q(0.99, 'volumer_processor_commit_duration_seconds'), 'p99'],
  [q(0.99, 'volumer_processor_cycle_duration_seconds'), 'cycle p99']
])
timeseries('Transactions and aborts', 'volumer_processor_transactions_total and volumer_processor_transaction_aborts_total per second, by instance; of the aborts, volumer_processor_rebalance_carries_total were refused by a rebalance and carried into the next transaction (no rebuild)', 'ops', [
  ['sum by (instance) (rate(volumer_processor_transactions_total[$__rate_interval]))', 'commits {{instance}}'],
  ['sum by (instance) (rate(volumer_processor_transaction_aborts_total[$__rate_interval]))', 'aborts {{instance}}'],
  ['sum by (instance) (rate(volumer_processor_rebalance_carries_total[$__rate_interval]))', 'carried {{instance}}']
])
timeseries('Freezes and fences', 'volumer_processor_freezes_total (process found frozen: commit deferred) and volumer_processor_fences_total (producer fenced and replaced) per 5 min, by instance; fences without freezes point at a duplicate --instance-id', 'short', [
  ['sum by (instance) (increase(volumer_processor_freezes_total[5m]))', 'freezes {{instance}}'],
  ['sum by (instance) (increase(volumer_processor_fences_total[5m]))', 'fences {{instance}}']
])
timeseries('Stats updates and changelog out', 'volumer_processor_stats_updates_total (stats topic, updates and tombstones) and volumer_processor_changelog_records_total (volumer-state) per second', 'ops', [
  ['sum(rate(volumer_processor_stats_updates_total[$__rate_interval]))', 'stats updates'],
  ['sum(rate(volumer_processor_changelog_records_total[$__rate_interval]))', 'changelog records']
])
heatmap('Commit latency distribution', 'volumer_processor_commit_duration_seconds buckets', 'sum by (le) (increase(volumer_processor_commit_duration_seconds_bucket[$__rate_interval]))')
timeseries('Assigned partitions and tokens', 'volumer_processor_assigned_partitions, volumer_processor_standby_partitions (copies kept with --standby) and volumer_processor_tokens by instance: a rebalance shows as a step', 'short', [
  ['volumer_processor_assigned_partitions', 'partitions {{instance}}'],
  ['volumer_processor_standby_partitions', 'standby copies {{instance}}'],
  ['volumer_processor_tokens', 'tokens {{instance}}']
])
endRow()

row('Processor: checkpoints and restore')
timeseries('Checkpoint duration', 'volumer_processor_checkpoint_duration_seconds: snapshot + store of one partition', 's', [
  [q(0.5, 'volumer_processor_checkpoint_duration_seconds'), 'p50'],
  [q(0.99, 'volumer_processor_checkpoint_duration_seconds'), 'p99']
])
timeseries('Checkpoint size', 'volumer_processor_checkpoint_size_bytes: the last checkpoint each processor stored', 'bytes', [
  ['volumer_processor_checkpoint_size_bytes', '{{instance}}']
])
timeseries('Restore duration', 'volumer_processor_restore_duration_seconds: from an assignment (failover) until the partition is restored: checkpoint + changelog replay, and any wait for the previous owner\'s open transaction', 's', [
  [q(0.99, 'volumer_processor_restore_duration_seconds'), 'p99'],
  ['max by (instance) (rate(volumer_processor_restore_duration_seconds_sum[$__rate_interval]) / rate(volumer_processor_restore_duration_seconds_count[$__rate_interval]))', 'mean {{instance}}'],
  ['sum(increase(volumer_processor_restore_duration_seconds_count[$__rate_interval]))', 'restores']
])
endRow()

// ── edge ──
row('Edge: HTTP')
timeseries('HTTP requests by route and status', 'volumer_edge_http_requests_total per second', 'reqps', [
  ['sum by (route, status) (rate(volumer_edge_http_requests_total[$__rate_interval]))', '{{route}} {{status}}']
], { stack: true })
timeseries('HTTP latency by route (p99)', 'volumer_edge_http_request_duration_seconds: request to response written', 's', [
  [q(0.99, 'volumer_edge_http_request_duration_seconds', ', route'), '{{route}} p99'],
  [q(0.5, 'volumer_edge_http_request_duration_seconds', ', route'), '{{route}} p50']
])
timeseries('HTTP errors', '4xx and 5xx answers per second by route and status', 'reqps', [
  ['sum by (route, status) (rate(volumer_edge_http_requests_total{status=~"4..|5.."}[$__rate_interval]))', '{{route}} {{status}}']
])
heatmap('HTTP latency distribution', 'volumer_edge_http_request_duration_seconds buckets, every route', 'sum by (le) (increase(volumer_edge_http_request_duration_seconds_bucket[$__rate_interval]))')
endRow()

row('Edge: WebSocket and feed')
timeseries('WebSocket clients and subscriptions', 'volumer_edge_ws_clients and volumer_edge_ws_subscriptions by edge', 'short', [
  ['volumer_edge_ws_clients', 'clients {{instance}}'],
  ['volumer_edge_ws_subscriptions', 'subscriptions {{instance}}']
])
timeseries('WebSocket messages', 'per second: volumer_edge_ws_messages_sent_total (written), volumer_edge_ws_coalesced_total (replaced by a newer update before sending: slow client), volumer_edge_ws_dropped_total (clients closed, by reason)', 'ops', [
  ['sum(rate(volumer_edge_ws_messages_sent_total[$__rate_interval]))', 'sent'],
  ['sum(rate(volumer_edge_ws_coalesced_total[$__rate_interval]))', 'coalesced'],
  ['sum by (reason) (rate(volumer_edge_ws_dropped_total[$__rate_interval]))', 'clients dropped: {{reason}}']
])
timeseries('WebSocket protocol errors by code', 'volumer_edge_ws_errors_total per second', 'ops', [
  ['sum by (code) (rate(volumer_edge_ws_errors_total[$__rate_interval]))', '{{code}}']
])
timeseries('Stats feed', 'volumer_edge_feed_records_total per second and volumer_edge_tokens held, by edge', 'short', [
  ['sum by (instance) (rate(volumer_edge_feed_records_total[$__rate_interval]))', 'records/s {{instance}}'],
  ['volumer_edge_tokens', 'tokens {{instance}}']
])
timeseries('Edge readiness and indexes', 'volumer_edge_ready (1 = caught up) and volumer_edge_rank_indexes by edge', 'short', [
  ['volumer_edge_ready', 'ready {{instance}}'],
  ['volumer_edge_rank_indexes', 'rank indexes {{instance}}']
])
endRow()

// ── runtime (prom-client default metrics: prefixes volumer_processor_, volumer_edge_, and volumer_ for `volumer run`) ──
row('Node.js runtime')
timeseries('Event-loop lag p99', 'nodejs_eventloop_lag_p99_seconds of each process (prom-client default metrics; `volumer run` uses the prefix volumer_)', 's', [
  ['volumer_processor_nodejs_eventloop_lag_p99_seconds', 'processor {{instance}}'],
  ['volumer_edge_nodejs_eventloop_lag_p99_seconds', 'edge {{instance}}'],
  ['volumer_nodejs_eventloop_lag_p99_seconds', 'embedded {{instance}}']
])
timeseries('CPU', 'process_cpu_seconds_total per second (1 = one core)', 'percentunit', [
  ['rate(volumer_processor_process_cpu_seconds_total[$__rate_interval])', 'processor {{instance}}'],
  ['rate(volumer_edge_process_cpu_seconds_total[$__rate_interval])', 'edge {{instance}}'],
  ['rate(volumer_process_cpu_seconds_total[$__rate_interval])', 'embedded {{instance}}']
])
timeseries('Memory', 'resident set size and V8 heap used', 'bytes', [
  ['volumer_processor_process_resident_memory_bytes', 'processor rss {{instance}}'],
  ['volumer_processor_nodejs_heap_size_used_bytes', 'processor heap {{instance}}'],
  ['volumer_edge_process_resident_memory_bytes', 'edge rss {{instance}}'],
  ['volumer_edge_nodejs_heap_size_used_bytes', 'edge heap {{instance}}'],
  ['volumer_process_resident_memory_bytes', 'embedded rss {{instance}}'],
  ['volumer_nodejs_heap_size_used_bytes', 'embedded heap {{instance}}']
])
endRow()

export const dashboard = {
  uid: 'volumer',
  title: 'Volumer',
  description: 'Processors (input, exactly-once transactions, checkpoints), edges (HTTP, WebSocket, stats feed) and their Node.js runtimes. Metrics: docs/observability.md.',
  tags: ['volumer', 'redpanda', 'kafka'],
  timezone: 'browser',
  editable: true,
  graphTooltip: 1,
  refresh: '5s',
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-30m', to: 'now' },
  timepicker: {},
  annotations: { list: [] },
  links: [],
  templating: {
    list: [
      { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: { text: 'Prometheus', value: 'prometheus' }, hide: 0, refresh: 1 }
    ]
  },
  panels
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = fileURLToPath(new URL('dashboards/volumer.json', import.meta.url))
  writeFileSync(out, JSON.stringify(dashboard, null, 2) + '\n')
  console.log(`wrote ${out}: ${panels.length} panels`)
}
