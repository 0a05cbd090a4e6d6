import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { isVolumerError } from '../../src/errors.js'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { resolveTopology, loadTopology } from '../../src/topology/topology-spec.js'
import { runTopologySuite, TOPICS_JSON } from './topology-suite.js'

runTopologySuite('the in-process log', async () => createMemoryLog(), 2000)

describe('topology spec', () => {
  it('resolves topology/topics.json per environment', async () => {
    const local = await loadTopology(TOPICS_JSON, { environment: 'local' })
    const prod = await loadTopology(TOPICS_JSON, { environment: 'production' })
    expect(local.topics.map(t => t.name)).to.deep.equal(['swaps', 'swaps-dlq', 'volumer-state', 'stats', 'candles', 'candles-history', 'tokens', '_schemas'])
    expect(local.topics.every(t => t.replicationFactor === 1)).to.equal(true)
    expect(prod.topics.every(t => t.replicationFactor === 3 && t.configs['min.insync.replicas'] === '2')).to.equal(true)
    const byName = new Map(local.topics.map(t => [t.name, t]))
    expect(byName.get('volumer-state')!.partitions).to.equal(byName.get('swaps')!.partitions)
    expect(byName.get('stats')!.configs['cleanup.policy']).to.equal('compact')
    expect(byName.get('_schemas')!.partitions).to.equal(1)
    expect(byName.get('tokens')!.configs['cleanup.policy']).to.equal('compact')
    expect(byName.get('swaps')!.configs['retention.ms']).to.equal(String(7 * 86_400_000))
    expect(byName.get('swaps-dlq')!.configs['retention.ms']).to.equal(String(14 * 86_400_000))
    expect(local.copartitioned.get('volumer-state')).to.equal('swaps')
    // candles are read back by the processor that owns the swap partition (candle-publisher.ts)
    expect(local.copartitioned.get('candles')).to.equal('swaps')
    expect(local.copartitioned.get('candles-history')).to.equal('swaps')
    expect(byName.get('candles')!.configs['cleanup.policy']).to.equal('compact,delete')
    expect(Object.isFrozen(local.topics[0].configs)).to.equal(true)
  })

  it('rejects bad topologies with BAD_TOPOLOGY and a message naming the field', async () => {
    const doc = JSON.parse(await readFile(TOPICS_JSON, 'utf8'))
    const cases: Array<[string, (d: any) => void, RegExp]> = [
      ['unknown environment', () => {}, /unknown environment "staging" \(known: local, production\)/],
      ['non-string config', d => { d.topics.swaps.configs['retention.ms'] = 604800000 }, /topics\.swaps\.configs\["retention\.ms"\] must be a string/],
      ['copartitioning', d => { d.topics['volumer-state'].partitions = 6 }, /"volumer-state" has 6 partitions but must match "swaps" \(12\)/],
      ['partitions', d => { d.topics.stats.partitions = 0 }, /topics\.stats\.partitions must be a positive integer/],
      ['topic name', d => { d.topics['bad name'] = { partitions: 1 } }, /not a legal Kafka topic name/],
    ]
    for (const [label, mutate, message] of cases) {
      const copy = structuredClone(doc)
      mutate(copy)
      let error: unknown
      try {
        resolveTopology(copy, { environment: label === 'unknown environment' ? 'staging' : 'local' })
      } catch (err) { error = err }
      expect(isVolumerError(error) && error.code, label).to.equal('BAD_TOPOLOGY')
      expect((error as Error).message, label).to.match(message)
    }
  })
})
