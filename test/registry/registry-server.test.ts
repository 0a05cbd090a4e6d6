import { expect } from 'chai'
import { createRegistryServer, type RegistryServer } from '../../src/registry/registry-server.js'
import { createHttpSchemaRegistry } from '../../src/codec/http-schema-registry.js'
import { VolumerError } from '../../src/errors.js'
import { createMemorySchemaStorage } from '../../src/registry/schema-record.js'

const V1 = JSON.stringify({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'string' }] })
const V2 = JSON.stringify({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'long' }] })
const CT = 'application/vnd.schemaregistry.v1+json'

describe('registry server (HTTP, Confluent REST subset)', () => {
  let server: RegistryServer
  beforeEach(async () => { server = await createRegistryServer({ port: 0 }) })
  afterEach(async () => { await server.close() })

  async function call (method: string, path: string, body?: unknown): Promise<{ status: number, json: any }> {
    const res = await fetch(server.url + path, { method, headers: { 'content-type': CT }, body: body === undefined ? undefined : JSON.stringify(body) })
    expect(res.headers.get('content-type')).to.equal(CT)
    return { status: res.status, json: await res.json() }
  }

  it('refuses a busy port with BAD_CONFIG (not a crash) and closes its storage', async () => {
    const inner = createMemorySchemaStorage()
    let closed = false
    const storage = { load: async () => await inner.load(), append: async (r: Parameters<typeof inner.append>[0]) => { await inner.append(r) }, close: async () => { closed = true; await inner.close() } }
    let err: any
    try { await createRegistryServer({ port: server.port, storage }) } catch (e) { err = e }
    expect(err).to.be.instanceOf(VolumerError)
    expect(err.code).to.equal('BAD_CONFIG')
    expect(err.message).to.equal(`cannot listen on 127.0.0.1:${server.port} (EADDRINUSE)`)
    expect(closed).to.equal(true)
  })

  it('registers, lists, fetches by version and id, and looks up', async () => {
    const reg = await call('POST', '/subjects/swaps-value/versions', { schema: V1 })
    expect(reg.status).to.equal(200)
    const id = reg.json.id as number
    expect(id).to.be.a('number')
    expect((await call('GET', '/subjects')).json).to.deep.equal(['swaps-value'])
    expect((await call('GET', '/subjects/swaps-value/versions')).json).to.deep.equal([1])
    expect((await call('GET', '/subjects/swaps-value/versions/latest')).json).to.deep.equal({ subject: 'swaps-value', version: 1, id, schema: V1 })
    expect((await call('GET', '/subjects/swaps-value/versions/1/schema')).json).to.deep.equal(JSON.parse(V1))
    expect((await call('GET', `/schemas/ids/${id}`)).json).to.deep.equal({ schema: V1 })
    expect((await call('POST', '/subjects/swaps-value', { schema: V1 })).json).to.deep.equal({ subject: 'swaps-value', version: 1, id, schema: V1 })
    // subjects with '/' arrive percent-encoded
    expect((await call('POST', '/subjects/a%2Fb/versions', { schema: V1 })).json).to.deep.equal({ id })
    expect((await call('GET', '/subjects')).json).to.deep.equal(['a/b', 'swaps-value'])
  })

  it('answers errors in Confluent JSON form', async () => {
    await call('POST', '/subjects/s/versions', { schema: V1 })
    expect(await call('POST', '/subjects/s/versions', { schema: '{"type": "record", "name": "X"' })).to.deep.include({ status: 422 })
    expect((await call('POST', '/subjects/s/versions', { schema: 'not json' })).json.error_code).to.equal(42201)
    expect((await call('POST', '/subjects/s/versions', { schema: V1, schemaType: 'PROTOBUF' })).json.error_code).to.equal(42201)
    const incompatible = await call('POST', '/subjects/s/versions', { schema: V2 })
    expect(incompatible.status).to.equal(409)
    expect(incompatible.json.error_code).to.equal(409)
    expect(incompatible.json.message).to.be.a('string')
    expect((await call('GET', '/subjects/nope/versions')).json).to.deep.include({ error_code: 40401 })
    expect((await call('GET', '/subjects/s/versions/9')).json).to.deep.include({ error_code: 40402 })
    expect((await call('GET', '/subjects/s/versions/zero')).json).to.deep.include({ error_code: 42202 })
    expect((await call('GET', '/schemas/ids/42')).json).to.deep.include({ error_code: 40403 })
    expect((await call('POST', '/subjects/s', { schema: V2 })).json).to.deep.include({ error_code: 40403 })
    expect((await call('GET', '/nowhere')).status).to.equal(404)
    const bad = await fetch(server.url + '/subjects/s/versions', { method: 'POST', headers: { 'content-type': CT }, body: '{{' })
    expect(bad.status).to.equal(400)
  })

  it('stores compatibility: global BACKWARD by default, per subject settable', async () => {
    expect((await call('GET', '/config')).json).to.deep.equal({ compatibilityLevel: 'BACKWARD' })
    expect((await call('GET', '/config/s')).json.error_code).to.equal(40408)
    expect((await call('GET', '/config/s?defaultToGlobal=true')).json).to.deep.equal({ compatibilityLevel: 'BACKWARD' })
    expect((await call('PUT', '/config/s', { compatibility: 'NONE' })).json).to.deep.equal({ compatibility: 'NONE' })
    expect((await call('GET', '/config/s')).json).to.deep.equal({ compatibilityLevel: 'NONE' })
    expect((await call('PUT', '/config/s', { compatibility: 'MAYBE' })).json.error_code).to.equal(42203)
    await call('POST', '/subjects/s/versions', { schema: V1 })
    expect((await call('POST', '/subjects/s/versions', { schema: V2 })).status).to.equal(200)
    expect((await call('PUT', '/config', { compatibility: 'FULL' })).json).to.deep.equal({ compatibility: 'FULL' })
    expect((await call('GET', '/config')).json).to.deep.equal({ compatibilityLevel: 'FULL' })
  })

  it('the HTTP SchemaRegistry client speaks to it and maps errors to Volumer codes', async () => {
    const client = createHttpSchemaRegistry({ url: server.url })
    const id = await client.register('swaps-value', V1)
    expect(await client.register('swaps-value', V1)).to.equal(id)
    expect(await client.getById(id)).to.equal(V1)
    const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'none', (e: unknown) => (e as VolumerError).code)
    expect(await codeOf(client.getById(4242))).to.equal('UNKNOWN_SCHEMA')
    expect(await codeOf(client.register('swaps-value', '{"type":'))).to.equal('BAD_SCHEMA')
    expect(await codeOf(client.register('swaps-value', V2))).to.equal('INCOMPATIBLE_SCHEMA')
    await server.close()
    const down = await client.register('swaps-value', V1).then(() => null, (e: unknown) => e as VolumerError)
    expect(down).to.be.instanceOf(VolumerError)
    expect(down!.code).to.equal('REGISTRY_UNAVAILABLE')
    expect(down!.retriable).to.equal(true)
    // cached: a known id still resolves while the registry is down
    expect(await client.getById(id)).to.equal(V1)
    server = await createRegistryServer({ port: 0 })
  })
})
