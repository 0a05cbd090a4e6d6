/** applyTopology / checkTopology against a Log adapter; run on the in-process log and on Kafka. */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { Log } from '../../src/log/log.js'
import { applyTopology, checkTopology, describeDrift } from '../../src/topology/topology.js'
import { loadTopology } from '../../src/topology/topology-spec.js'

export const TOPICS_JSON = fileURLToPath(new URL('../../topology/topics.json', import.meta.url))

export function runTopologySuite (name: string, open: () => Promise<Log>, waitMs: number): void {
  describe(`topology on ${name}`, function () {
    this.timeout(waitMs * 4)
    let log: Log
    let prefix: string

    beforeEach(async () => {
      log = await open()
      prefix = `topo${randomBytes(3).toString('hex')}-`
    })
    afterEach(async () => {
      const admin = await log.createAdmin()
      await admin.deleteTopics((await admin.listTopics()).filter(t => t.startsWith(prefix)))
      await admin.close()
      await log.close()
    })

    it('creates every declared topic, then finds no drift and changes nothing on a second apply', async () => {
      const topology = await loadTopology(TOPICS_JSON, { environment: 'local', prefix })
      const admin = await log.createAdmin()
      const first = await applyTopology(admin, topology)
      expect(first.created.sort()).to.deep.equal(topology.topics.map(t => t.name).sort())
      expect(first.unresolved).to.deep.equal([])
      expect(await checkTopology(admin, topology)).to.deep.equal([])
      const second = await applyTopology(admin, topology)
      expect(second).to.deep.equal({ created: [], altered: [], grown: [], unresolved: [] })
      const [state] = await admin.describeTopics([topology.topics.find(t => t.name.endsWith('volumer-state'))!.name])
      expect(state.partitions).to.equal(12)
      expect(state.configs['cleanup.policy']).to.equal('compact')
      await admin.close()
    })

    it('reports drifted configs and partition counts, fixes configs, grows only when allowed, never shrinks', async () => {
      const topology = await loadTopology(TOPICS_JSON, { environment: 'local', prefix })
      const admin = await log.createAdmin()
      const swaps = topology.topics.find(t => t.name === prefix + 'swaps')!
      const dlq = topology.topics.find(t => t.name === prefix + 'swaps-dlq')!
      await admin.createTopics([
        { ...swaps, partitions: 4, configs: { ...swaps.configs, 'retention.ms': '1000' } },
        { ...dlq, partitions: 5 },
      ])
      const drift = await checkTopology(admin, topology)
      const lines = drift.map(describeDrift)
      expect(lines).to.include(`${prefix}swaps: retention.ms is "1000", want "604800000"`)
      expect(lines).to.include(`${prefix}swaps: 4 partitions, want 12`)
      expect(lines).to.include(`${prefix}swaps-dlq: 5 partitions, more than the 3 declared (cannot shrink)`)
      // every declared topic but the two created above
      const others = topology.topics.length - 2
      expect(drift.filter(d => d.kind === 'missing-topic')).to.have.length(others)

      const applied = await applyTopology(admin, topology)
      expect(applied.created).to.have.length(others)
      expect(applied.altered).to.deep.equal([{ topic: prefix + 'swaps', configs: { 'retention.ms': '604800000' } }])
      expect(applied.unresolved.map(u => u.item.kind).sort()).to.deep.equal(['partitions-high', 'partitions-low'])

      const grown = await applyTopology(admin, topology, { growPartitions: true })
      expect(grown.grown).to.deep.equal([{ topic: prefix + 'swaps', from: 4, to: 12 }])
      const left = await checkTopology(admin, topology)
      expect(left.map(d => d.kind)).to.deep.equal(['partitions-high'])
      await admin.close()
    })
  })
}
