/**
 * src/codec/stats-encoder.ts, the processor's `stats` writer: byte-for-byte what avsc writes for
 * schemas/stats.avsc, the same refusals, and records that stay intact when the writer moves on to
 * a new slab.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { createAvroEncoder, createInProcessSchemaRegistry, createStatsDecoder, createStatsEncoder, loadSchemaText } from '../../src/codec/index.js'
import { StatsWriter } from '../../src/codec/stats-encoder.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { VolumerError } from '../../src/errors.js'
import { statsEntries, toStatsObject } from '../helpers/stats-arbitraries.js'

async function encoders (): Promise<{ avsc: (v: StatsObject) => Buffer, fast: (v: StatsObject) => Buffer, id: number }> {
  const registry = await createInProcessSchemaRegistry()
  const generic = await createAvroEncoder(registry, 'stats-value', loadSchemaText('stats'))
  const writer = new StatsWriter(generic.id)
  return { avsc: v => generic.encode(v), fast: v => writer.encode(v), id: generic.id }
}

function sample (i: number, pad = ''): StatsObject {
  return {
    ...toStatsObject(fc.sample(statsEntries, { seed: i, numRuns: 1 })[0]),
    token: 'tok' + String(i) + pad,
  }
}

describe('StatsWriter (hand-written Avro writer of stats.avsc)', () => {
  it('writes exactly the bytes avsc writes, for any stats object the schema can carry', async () => {
    const { avsc, fast } = await encoders()
    fc.assert(fc.property(statsEntries, (e) => {
      const v = toStatsObject(e)
      expect(Buffer.compare(fast(v), avsc(v))).to.equal(0)
    }), { numRuns: 3000 })
  })

  it('keeps every record it returned intact across slabs (records bigger than a slab too)', async () => {
    const { avsc, fast } = await encoders()
    const out: Array<[Buffer, Buffer]> = []
    // ~3 MiB in all: several slab changes, one record alone larger than a slab, non-ASCII padding
    for (let i = 0; i < 300; i++) {
      const pad = i === 150 ? 'é'.repeat(700_000) : i % 7 === 0 ? 'x'.repeat(9000) + '€' : ''
      const v = sample(i, pad)
      out.push([fast(v), avsc(v)])
    }
    for (const [got, want] of out) expect(Buffer.compare(got, want)).to.equal(0)
  })

  it('refuses a value avsc refuses, as BAD_TYPE, and writes the next record correctly', async () => {
    const { avsc, fast } = await encoders()
    const good = sample(1)
    const w = Object.values(good.windows)[0]
    const bads: unknown[] = [
      { ...good, chain: 5 },
      { ...good, lastPrice: '1' },
      { ...good, windows: null },
      ...(w === undefined ? [] : [
        { ...good, windows: { '5m': { ...w, txns: 1.5 } } },
        { ...good, windows: { '5m': { ...w, buys: 2 ** 53 } } },
        { ...good, windows: { '5m': { ...w, volume: null } } },
        { ...good, windows: { '5m': null } },
      ]),
    ]
    for (const b of bads) {
      expect(() => avsc(b as StatsObject), JSON.stringify(b)).to.throw()
      expect(() => fast(b as StatsObject), JSON.stringify(b)).to.throw(VolumerError).with.property('code', 'BAD_TYPE')
      expect(Buffer.compare(fast(good), avsc(good))).to.equal(0)
    }
  })

  it('is what createStatsEncoder uses, and what it writes decodes to the same object', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createStatsEncoder(registry)
    const slow = await createStatsEncoder(registry, 'stats-value', { fast: false })
    const dec = createStatsDecoder(registry)
    const v = sample(3)
    const buf = enc.encode(v)
    expect(Buffer.compare(buf, slow.encode(v))).to.equal(0)
    // the fast path hands out views of a shared slab, not buffers of their own
    expect(buf.buffer.byteLength).to.be.greaterThan(buf.length)
    expect(JSON.stringify(await dec.decodeAsync(buf))).to.equal(JSON.stringify(v))
  })
})
