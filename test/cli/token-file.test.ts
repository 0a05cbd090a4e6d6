import { expect } from 'chai'
import pino from 'pino'
import { createInProcessSchemaRegistry, createTokenMetaDecoder } from '../../src/codec/index.js'
import { loadTokenFile, tokenFileFor } from '../../src/cli/token-file.js'
import { createMemoryLog } from '../../src/log/memory-log.js'
import { validateTokenMeta } from '../../src/token/token-meta.js'
import { readAll } from '../helpers/log-fixture.js'
import { ETHEREUM_SAMPLE, ETHEREUM_TOKENS } from '../helpers/sample-data.js'

describe('volumer run: token metadata file', () => {
  it('defaults to the shipped metadata when replaying the shipped sample, and only then', () => {
    expect(tokenFileFor(ETHEREUM_SAMPLE, undefined)).to.equal(ETHEREUM_TOKENS)
    expect(tokenFileFor(ETHEREUM_SAMPLE, '/x/mine.ndjson')).to.equal('/x/mine.ndjson')
    expect(tokenFileFor('/elsewhere/other.ndjson', undefined)).to.equal(undefined)
    expect(tokenFileFor(undefined, undefined)).to.equal(undefined)
  })

  it('loads the shipped file onto the in-process log\'s tokens topic as Avro, keyed chain:token', async () => {
    const log = createMemoryLog()
    const admin = await log.createAdmin()
    await admin.createTopics([{ name: 'tokens', partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }])
    await admin.close()
    const registry = await createInProcessSchemaRegistry()
    const r = await loadTokenFile(log, registry, 'tokens', ETHEREUM_TOKENS, pino({ level: 'silent' }))
    expect(r).to.deep.equal({ sent: 125, skipped: 0 })
    const recs = await readAll(log, 'tokens')
    expect(recs).to.have.length(125)
    const dec = createTokenMetaDecoder({ registry })
    for (const rec of recs) {
      const key = rec.key!.toString()
      const m = validateTokenMeta(await dec.decodeAsync(rec.value), key)
      expect(m).to.have.property('symbol')
    }
    await log.close()
  })
})
