import { expect } from 'chai'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { createLogSchemaStorage } from '../../src/registry/log-schema-storage.js'
import { createRegistryServer } from '../../src/registry/registry-server.js'
import { createHttpSchemaRegistry } from '../../src/codec/http-schema-registry.js'
import { loadSchemaText } from '../../src/codec/schema-files.js'

describe('registry storage on a compacted _schemas topic (in-process log)', () => {
  it('a registry restarted on the same log serves the same ids, versions and configs', async () => {
    const log = createMemoryLog()
    try {
      const first = await createRegistryServer({ port: 0, storage: await createLogSchemaStorage({ log }) })
      const c1 = createHttpSchemaRegistry({ url: first.url })
      const swapId = await c1.register('swaps-value', loadSchemaText('swap'))
      const statsId = await c1.register('stats-value', loadSchemaText('stats'))
      await first.core.setCompatibility('stats-value', 'FULL')
      await first.close()

      const admin = await log.createAdmin()
      const [desc] = await admin.describeTopics(['_schemas'])
      await admin.close()
      expect(desc.partitions).to.equal(1)
      expect(desc.configs['cleanup.policy']).to.equal('compact')

      const second = await createRegistryServer({ port: 0, storage: await createLogSchemaStorage({ log }) })
      try {
        const c2 = createHttpSchemaRegistry({ url: second.url })
        expect(await c2.getById(swapId)).to.equal(loadSchemaText('swap'))
        expect(await c2.getById(statsId)).to.equal(loadSchemaText('stats'))
        expect(await c2.register('swaps-value', loadSchemaText('swap'))).to.equal(swapId)
        expect(second.core.getCompatibility('stats-value', false)).to.equal('FULL')
        const next = await c2.register('state-value', loadSchemaText('state-changelog'))
        expect(next).to.be.greaterThan(Math.max(swapId, statsId))
      } finally {
        await second.close()
      }
    } finally {
      await log.close()
    }
  })
})
