/**
 * The registry durable on Kafka: its storage is a compacted single-partition topic written and
 * replayed through the Kafka log adapter. Needs Kafka at VOLUMER_BROKERS (default
 * 127.0.0.1:19092): `scripts/kafka.sh start && scripts/kafka.sh wait`. Uses a fresh topic name
 * per run so a real `_schemas` is never touched.
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { createKafkaLog } from '../../src/log/kafka-log.js'
import type { Log } from '../../src/log/log.js'
import { createLogSchemaStorage } from '../../src/registry/log-schema-storage.js'
import { createRegistryServer } from '../../src/registry/registry-server.js'
import { createHttpSchemaRegistry } from '../../src/codec/http-schema-registry.js'
import { createSwapDecoder, createSwapEncoder, type SwapRecord } from '../../src/codec/swap-codec.js'
import { loadSchemaText } from '../../src/codec/schema-files.js'

const brokers = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'

describe(`registry on a Kafka-backed _schemas topic (${brokers})`, function () {
  this.timeout(120_000)
  const topic = `volumer-test-schemas-${randomBytes(4).toString('hex')}`
  let log: Log

  before(async () => { log = await createKafkaLog({ brokers, clientId: 'volumer-registry-test' }) })
  after(async () => { await log?.close() })

  it('survives a registry restart: same ids, versions and compatibility, codec works across both', async () => {
    const first = await createRegistryServer({ port: 0, storage: await createLogSchemaStorage({ log, topic }) })
    let swapId: number
    let encoded: Buffer
    const sample: SwapRecord = {
      id: '0xabc:1', chain: 'ethereum', blockNumber: 12634810, logIndex: 2, blockTime: 1623808314000, token: '0xdf4e',
      quoteToken: null, pool: '0x8c4f', trader: '0xe4dc', side: 'BUY', amount: '0.000000000000000001', amountUsd: '123456789012345678.5',
    }
    try {
      const c1 = createHttpSchemaRegistry({ url: first.url })
      const enc = await createSwapEncoder(c1, topic + '-swaps-value')
      swapId = enc.id
      encoded = enc.encode(sample)
      await first.core.setCompatibility(topic + '-swaps-value', 'FULL_TRANSITIVE')
    } finally {
      await first.close()
    }

    const second = await createRegistryServer({ port: 0, storage: await createLogSchemaStorage({ log, topic }) })
    try {
      const c2 = createHttpSchemaRegistry({ url: second.url })
      expect(await c2.getById(swapId)).to.equal(loadSchemaText('swap'))
      expect(second.core.versions(topic + '-swaps-value')).to.deep.equal([1])
      expect(second.core.getCompatibility(topic + '-swaps-value', false)).to.equal('FULL_TRANSITIVE')
      const dec = createSwapDecoder({ registry: c2 })
      expect({ ...(await dec.decodeAsync(encoded) as object) }).to.deep.equal(sample)
    } finally {
      await second.close()
    }
  })
})
