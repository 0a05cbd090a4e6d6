import { expect } from 'chai'
import { Registry } from 'prom-client'
import { DLQ_REASONS } from '../../src/errors.js'
import { createProcessorMetrics } from '../../src/processor/processor-metrics.js'

describe('processor metrics', () => {
  // rate() sees only increases between two scrapes of a series that exists: a reason whose first
  // records all land in one scrape would chart (and alert) as zero unless its series starts at 0.
  it('has a volumer_processor_dlq_total series at 0 for every reject reason from the start', async () => {
    const registry = new Registry()
    createProcessorMetrics(registry)
    const metric = await registry.getSingleMetric('volumer_processor_dlq_total')?.get()
    const byReason = new Map(metric?.values.map((v) => [v.labels.reason, v.value]))
    expect([...byReason.keys()].sort()).to.deep.equal([...DLQ_REASONS].sort())
    for (const reason of DLQ_REASONS) expect(byReason.get(reason), reason).to.equal(0)
  })

  it('names every code the processor sends to the DLQ as a reason', () => {
    for (const code of ['INVALID_JSON', 'MISSING_FIELD', 'BAD_AMOUNT', 'OVERSIZE_RECORD', 'FUTURE_TIME', 'UNDECODABLE', 'UNKNOWN_SCHEMA']) {
      expect(DLQ_REASONS).to.include(code)
    }
  })
})
