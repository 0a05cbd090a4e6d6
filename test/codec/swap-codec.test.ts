import { expect } from 'chai'
import fc from 'fast-check'
import { createInProcessSchemaRegistry } from '../../src/codec/in-process-schema-registry.js'
import { createSwapDecoder, createSwapEncoder, swapToRecord, type SwapRecord } from '../../src/codec/swap-codec.js'
import { createAvroEncoder } from '../../src/codec/avro-codec.js'
import { loadSchemaText } from '../../src/codec/schema-files.js'
import { readSchemaId } from '../../src/codec/wire-format.js'
import { VolumerError } from '../../src/errors.js'
import { validateSwapObject } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import type { Swap } from '../../src/swap/swap.js'

import { readSampleLines } from '../helpers/sample-data.js'

const SAMPLE: SwapRecord = {
  id: '0xabc:1', chain: 'ethereum', blockNumber: 12634810, logIndex: 2, blockTime: 1623808314000,
  token: '0xdf4e', quoteToken: null, pool: '0x8c4f', trader: '0xe4dc', side: 'SELL',
  amount: '1.6552301435347717', amountUsd: '144.434107',
}

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err) { expect(err).to.be.instanceOf(VolumerError); return (err as VolumerError).code }
  return 'none'
}

describe('swap codec', () => {
  it('round-trips a swap through the Confluent wire format', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createSwapEncoder(registry)
    const buf = enc.encode(SAMPLE)
    expect(buf[0]).to.equal(0)
    expect(readSchemaId(buf)).to.equal(enc.id)
    const dec = createSwapDecoder({ registry })
    expect({ ...(await dec.decodeAsync(buf) as object) }).to.deep.equal(SAMPLE)
    // after the first load, the sync path serves the same id
    expect({ ...(dec.decode(buf) as object) }).to.deep.equal(SAMPLE)
  })

  it('decodes JSON swaps as sent by rpk topic produce', async () => {
    const dec = createSwapDecoder({ registry: await createInProcessSchemaRegistry() })
    const line = '{"id":"x:1","chain":"ethereum","blockNumber":1,"logIndex":0,"blockTime":"2021-06-16T01:51:54.000Z","token":"t","trader":"w","side":"BUY","amount":"1","amountUsd":"2"}'
    const v = dec.decode(Buffer.from(line)) as Record<string, unknown>
    expect(v.blockTime).to.equal('2021-06-16T01:51:54.000Z')
    expect(codeOf(() => dec.decode(Buffer.from('{"id":')))).to.equal('INVALID_JSON')
    expect(codeOf(() => dec.decode(Buffer.from([0x7b, 0xff, 0xfe])))).to.equal('UNDECODABLE')
  })

  it('rejects undecodable values and unknown schema ids with typed errors', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createSwapEncoder(registry)
    const dec = createSwapDecoder({ registry })
    const good = enc.encode(SAMPLE)
    await dec.prepare([good])
    expect(codeOf(() => dec.decode(null))).to.equal('UNDECODABLE')
    expect(codeOf(() => dec.decode(Buffer.alloc(0)))).to.equal('UNDECODABLE')
    expect(codeOf(() => dec.decode(Buffer.from('hello')))).to.equal('UNDECODABLE')
    expect(codeOf(() => dec.decode(Buffer.from([0, 0, 0])))).to.equal('UNDECODABLE')
    expect(codeOf(() => dec.decode(good.subarray(0, good.length - 3)))).to.equal('UNDECODABLE')
    expect(codeOf(() => dec.decode(Buffer.concat([good, Buffer.from([1, 2])])))).to.equal('UNDECODABLE')
    const unknown = Buffer.from(good)
    unknown.writeInt32BE(777, 1)
    await dec.prepare([unknown])
    expect(codeOf(() => dec.decode(unknown))).to.equal('UNKNOWN_SCHEMA')
    // a writer schema our reader cannot resolve: records with it are undecodable, not a crash
    const alien = await createAvroEncoder(registry, 'alien-value', JSON.stringify({ type: 'record', name: 'Swap', namespace: 'io.volumer', fields: [{ name: 'x', type: 'int' }] }))
    const a = alien.encode({ x: 1 })
    await dec.prepare([a])
    expect(codeOf(() => dec.decode(a))).to.equal('UNDECODABLE')
  })

  it('asks the registry again for an unknown id only after unknownRetryMs', async () => {
    const registry = await createInProcessSchemaRegistry()
    let asked = 0
    const counting = { ...registry, getById: async (id: number) => { asked++; return registry.getById(id) } }
    let t = 0
    const dec = createSwapDecoder({ registry: counting, unknownRetryMs: 1000, now: () => t })
    const enc = await createSwapEncoder(registry)
    const buf = enc.encode(SAMPLE)
    const future = Buffer.from(buf)
    future.writeInt32BE(enc.id + 1, 1)
    await dec.prepare([future, future, future])
    expect(asked).to.equal(1)
    await dec.prepare([future])
    expect(asked).to.equal(1)
    expect(codeOf(() => dec.decode(future))).to.equal('UNKNOWN_SCHEMA')
    // the id appears in the registry (another version registered); after the wait it decodes
    const v2 = JSON.parse(loadSchemaText('swap')) as { fields: Array<{ name: string, type: unknown, default?: unknown }> }
    v2.fields.push({ name: 'venue', type: ['null', 'string'], default: null })
    const enc2 = await createAvroEncoder(registry, 'swaps-value', JSON.stringify(v2))
    expect(enc2.id).to.equal(enc.id + 1)
    t = 1000
    await dec.prepare([future])
    expect(asked).to.equal(2)
    expect({ ...(dec.decode(enc2.encode({ ...SAMPLE, venue: 'x' })) as object) }).to.deep.equal(SAMPLE)
  })

  it('resolves an older writer version into the current shape', async () => {
    // v0 of the swap had no pool and no quoteToken; the reader fills them with null
    const v0 = JSON.parse(loadSchemaText('swap')) as { fields: Array<{ name: string }> }
    v0.fields = v0.fields.filter(f => f.name !== 'pool' && f.name !== 'quoteToken')
    const registry = await createInProcessSchemaRegistry()
    const old = await createAvroEncoder(registry, 'swaps-value', JSON.stringify(v0))
    const { quoteToken: _q, pool: _p, ...rest } = SAMPLE
    const dec = createSwapDecoder({ registry })
    const v = await dec.decodeAsync(old.encode(rest)) as SwapRecord
    expect({ ...v }).to.deep.equal({ ...SAMPLE, pool: null, quoteToken: null })
    // and the registry accepts the current schema after v0 under BACKWARD
    const cur = await createSwapEncoder(registry)
    expect(cur.id).to.not.equal(old.id)
  })

  it('keeps every real swap exact: JSON -> Swap -> Avro -> Swap is the identity', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createSwapEncoder(registry)
    const dec = createSwapDecoder({ registry })
    const lines = readSampleLines()
    expect(lines.length).to.equal(9842)
    const bufs = lines.map(l => {
      const s = validateSwapObject(JSON.parse(l))
      if (isSwapReject(s)) throw new Error(s.message)
      return { s, buf: enc.encode(swapToRecord(s)) }
    })
    await dec.prepare(bufs.map(b => b.buf))
    for (const { s, buf } of bufs) {
      const back = validateSwapObject(dec.decode(buf))
      if (isSwapReject(back)) throw new Error(back.message)
      // same constructor, same key order: string equality is deep equality, 50x faster than chai's
      if (JSON.stringify(back) !== JSON.stringify(s)) expect(back).to.deep.equal(s as Swap)
    }
  })

  it('round-trips arbitrary swap records (property)', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createSwapEncoder(registry)
    const dec = createSwapDecoder({ registry })
    await dec.prepare([enc.encode(SAMPLE)])
    const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }), fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }))
      .map(([i, f]) => (i.toString() + '.' + f.toString().padStart(18, '0')).replace(/\.?0+$/, '') || '0')
    const rec = fc.record({
      id: fc.string(), chain: fc.string(), blockNumber: fc.integer({ min: 0, max: 2 ** 52 }), logIndex: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      blockTime: fc.integer({ min: 0, max: 253402300799999 }), token: fc.string({ unit: 'grapheme' }),
      quoteToken: fc.option(fc.string(), { nil: null }), pool: fc.option(fc.string(), { nil: null }), trader: fc.string(),
      side: fc.constantFrom('BUY' as const, 'SELL' as const), amount: decimal, amountUsd: decimal,
    })
    fc.assert(fc.property(rec, r => {
      expect({ ...(dec.decode(enc.encode(r)) as object) }).to.deep.equal(r)
    }), { numRuns: 300 })
  })
})
