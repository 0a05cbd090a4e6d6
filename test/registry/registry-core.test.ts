import { expect } from 'chai'
import { createRegistryCore, RegistryError } from '../../src/registry/registry-core.js'
import { createMemorySchemaStorage } from '../../src/registry/schema-record.js'

const V1 = JSON.stringify({ type: 'record', name: 'T', namespace: 'io.volumer.test', fields: [{ name: 'a', type: 'string' }] })
// adds a field with a default: BACKWARD compatible (new reader fills b from the default)
const V2 = JSON.stringify({ type: 'record', name: 'T', namespace: 'io.volumer.test', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }] })
// adds a field without a default: a V3 reader cannot read V2 data
const V3 = JSON.stringify({ type: 'record', name: 'T', namespace: 'io.volumer.test', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }, { name: 'c', type: 'long' }] })

async function code (p: Promise<unknown> | (() => unknown)): Promise<number> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    expect(err).to.be.instanceOf(RegistryError)
    return (err as RegistryError).errorCode
  }
  throw new Error('expected a RegistryError')
}

describe('registry core', () => {
  it('assigns ids and versions, and is idempotent per subject', async () => {
    const core = await createRegistryCore(createMemorySchemaStorage())
    const id1 = await core.register('swaps-value', V1)
    expect(await core.register('swaps-value', V1)).to.equal(id1)
    // same schema, whitespace and key order differ: same identity
    const reordered = JSON.stringify({ namespace: 'io.volumer.test', name: 'T', type: 'record', fields: [{ type: 'string', name: 'a' }] }, null, 2)
    expect(await core.register('swaps-value', reordered)).to.equal(id1)
    const id2 = await core.register('swaps-value', V2)
    expect(id2).to.not.equal(id1)
    expect(core.versions('swaps-value')).to.deep.equal([1, 2])
    expect(core.getVersion('swaps-value', 'latest')).to.deep.equal({ subject: 'swaps-value', version: 2, id: id2, schema: V2 })
    expect(core.getVersion('swaps-value', 1).id).to.equal(id1)
    expect(core.getById(id2)).to.equal(V2)
    expect(core.lookup('swaps-value', V2).version).to.equal(2)
    // the same schema under another subject reuses the global id
    expect(await core.register('other-value', V1)).to.equal(id1)
    expect(core.subjects()).to.deep.equal(['other-value', 'swaps-value'])
  })

  it('rejects non-Avro and incompatible schemas with Confluent error codes', async () => {
    const core = await createRegistryCore(createMemorySchemaStorage())
    expect(await code(core.register('s', '{"type":"record"'))).to.equal(42201)
    expect(await code(core.register('s', '{"type":"nosuchtype"}'))).to.equal(42201)
    await core.register('s', V1)
    await core.register('s', V2)
    expect(await code(core.register('s', V3))).to.equal(409)
    expect(await code(() => core.getById(999))).to.equal(40403)
    expect(await code(() => core.versions('missing'))).to.equal(40401)
    expect(await code(() => core.getVersion('s', 7))).to.equal(40402)
    expect(await code(() => core.lookup('s', V3))).to.equal(40403)
    expect(await code(core.setCompatibility('s', 'SOMETIMES'))).to.equal(42203)
  })

  it('applies subject compatibility levels: NONE lets anything through, FORWARD checks the other way', async () => {
    const core = await createRegistryCore(createMemorySchemaStorage())
    expect(core.getCompatibility(null, true)).to.equal('BACKWARD')
    expect(await code(() => core.getCompatibility('s', false))).to.equal(40408)
    await core.register('s', V2)
    await core.setCompatibility('s', 'none')
    expect(core.getCompatibility('s', false)).to.equal('NONE')
    await core.register('s', V3)
    // FORWARD: the old schema must read data written with the new one. V1 data lacks b,
    // which a V2 reader fills from its default; V1 data lacks c, which a V3 reader cannot fill.
    await core.setCompatibility('f', 'FORWARD')
    await core.register('f', V2)
    expect(await core.register('f', V1)).to.be.a('number')
    await core.setCompatibility('g', 'FORWARD')
    await core.register('g', V3)
    expect(await code(core.register('g', V1))).to.equal(409)
  })

  it('rebuilds the same state from its storage records', async () => {
    const storage = createMemorySchemaStorage()
    const a = await createRegistryCore(storage)
    const id1 = await a.register('s', V1)
    const id2 = await a.register('s', V2)
    await a.setCompatibility(null, 'FULL')
    const b = await createRegistryCore(createMemorySchemaStorage([...storage.records()]))
    expect(b.versions('s')).to.deep.equal([1, 2])
    expect(b.getById(id1)).to.equal(V1)
    expect(b.getCompatibility(null, true)).to.equal('FULL')
    // ids continue after the replayed ones
    const id3 = await b.register('t', JSON.stringify({ type: 'enum', name: 'E', symbols: ['X'] }))
    expect(id3).to.be.greaterThan(Math.max(id1, id2))
  })

  it('serialises concurrent registrations: dense versions, one id per schema', async () => {
    const core = await createRegistryCore(createMemorySchemaStorage())
    const ids = await Promise.all([core.register('s', V1), core.register('s', V1), core.register('s', V2)])
    expect(ids[0]).to.equal(ids[1])
    expect(core.versions('s')).to.deep.equal([1, 2])
  })
})
