/**
 * src/codec/stats-decoder.ts, the edge's `stats` decoder: its hand-written reader of
 * schemas/stats.avsc must give exactly what avsc gives (record-codecs.ts createStatsDecoder, the
 * generic decoder), fall back to avsc for anything else, and read single fields in place.
 */
import avro from 'avsc'
import { expect } from 'chai'
import fc from 'fast-check'
import {
  EncodedStats, STATS_CANONICAL_SCHEMA, checkStatsBody, readStatsBody, createInProcessSchemaRegistry, createStatsDecoder, createStatsEncoder,
  createStatsRecordDecoder, loadSchemaText, writeHeader, type SchemaRegistry,
} from '../../src/codec/index.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { VolumerError } from '../../src/errors.js'
import { statsEntries, windowName, type StatsEntries } from '../helpers/stats-arbitraries.js'

/** own enumerable properties only, as plain objects (avsc's records are instances of generated classes) */
function plain (v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v)) out[k] = plain((v as Record<string, unknown>)[k])
  return out
}

/** same values (NaN, ±0 and all), same keys in the same order, same JSON */
function expectSame (got: unknown, want: unknown): void {
  expect(plain(got)).to.deep.equal(plain(want))
  const keys = (v: unknown): unknown => v === null || typeof v !== 'object' ? null : Object.keys(v).map(k => [k, keys((v as Record<string, unknown>)[k])])
  expect(keys(got)).to.deep.equal(keys(want))
  expect(JSON.stringify(got)).to.equal(JSON.stringify(want))
}

const WINDOW_FIELDS = ['from', 'to', 'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume',
  'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers', 'open', 'close', 'high', 'low', 'priceChangePct', 'vwap'] as const


const type = avro.Type.forSchema(JSON.parse(loadSchemaText('stats')) as avro.Schema)
const windowType = avro.Type.forSchema((JSON.parse(loadSchemaText('stats')) as { fields: Array<{ name: string, type: { values: avro.Schema } }> }).fields[6].type.values)
const longType = avro.Type.forSchema('long')
const stringType = avro.Type.forSchema('string')

/**
 * Avro body written by hand from the pieces (avsc's encoder takes an object, which cannot hold a
 * duplicate or `__proto__` key; the wire can): the token fields through avsc, then one map block.
 */
function encodeEntries (e: StatsEntries, id: number, blocks: 1 | 2 = 1): Buffer {
  const head = type.toBuffer({ ...e, windows: {} })
  // head ends with the empty map's terminating 0: replace it with our blocks
  const parts: Buffer[] = [Buffer.alloc(5), head.subarray(0, head.length - 1)]
  writeHeader(parts[0], id)
  const split = blocks === 2 ? Math.floor(e.windows.length / 2) : e.windows.length
  for (const chunk of [e.windows.slice(0, split), e.windows.slice(split)]) {
    if (chunk.length === 0) continue
    parts.push(longType.toBuffer(chunk.length))
    for (const [name, w] of chunk) parts.push(stringType.toBuffer(name), windowType.toBuffer(w))
  }
  parts.push(Buffer.from([0]))
  return Buffer.concat(parts)
}

async function decoders (): Promise<{ registry: SchemaRegistry, id: number, fast: ReturnType<typeof createStatsRecordDecoder>, generic: ReturnType<typeof createStatsDecoder> }> {
  const registry = await createInProcessSchemaRegistry()
  const id = (await createStatsEncoder(registry)).id
  const fast = createStatsRecordDecoder(registry)
  const generic = createStatsDecoder(registry)
  await fast.prepare([framed(id)])
  await generic.prepare([framed(id)])
  return { registry, id, fast, generic }
}

function framed (id: number): Buffer {
  const b = Buffer.alloc(5)
  writeHeader(b, id)
  return b
}

type Outcome = { ok: true, value: unknown } | { ok: false, code: string }
function outcome (f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() }
  } catch (err) {
    return { ok: false, code: err instanceof VolumerError ? err.code : 'not a VolumerError: ' + String(err) }
  }
}

function expectSameOutcome (got: Outcome, want: Outcome): void {
  expect(got.ok, JSON.stringify(got.ok ? 'decoded' : got.code) + ' vs ' + JSON.stringify(want.ok ? 'decoded' : want.code)).to.equal(want.ok)
  if (got.ok && want.ok) expectSame(got.value, want.value)
  if (!got.ok && !want.ok) expect(got.code).to.equal(want.code)
}

describe('codec/stats-decoder (the edge\'s stats decoder)', () => {
  it('reads the canonical form of schemas/stats.avsc (update the hand-written reader when the schema changes)', () => {
    expect(JSON.stringify(type.schema())).to.equal(STATS_CANONICAL_SCHEMA)
  })

  it('decodes exactly like avsc, eagerly and deferred, for any record avsc\'s encoder can write', async () => {
    const { registry, id, fast, generic } = await decoders()
    const enc = await createStatsEncoder(registry)
    expect(enc.id).to.equal(id)
    fc.assert(fc.property(statsEntries, (e) => {
      const obj: StatsObject = { ...e, windows: {} }
      for (const [name, w] of e.windows) if (name !== '__proto__') obj.windows[name] = w
      const buf = enc.encode(obj)
      const want = generic.decode(buf)
      expectSame(fast.decode(buf), want)
      const d = fast.decodeDeferred(buf)
      expect(d).to.be.instanceOf(EncodedStats)
      expectSame((d as EncodedStats).decode(), want)
    }), { numRuns: 400 })
  })

  it('decodes exactly like avsc on hand-framed bodies: duplicate, numeric and __proto__ keys, several map blocks', async () => {
    const { id, fast, generic } = await decoders()
    fc.assert(fc.property(statsEntries, fc.constantFrom(1 as const, 2 as const), (e, blocks) => {
      const buf = encodeEntries(e, id, blocks)
      const want = outcome(() => generic.decode(buf))
      expectSameOutcome(outcome(() => fast.decode(buf)), want)
      expectSameOutcome(outcome(() => { const d = fast.decodeDeferred(buf); return d instanceof EncodedStats ? d.decode() : d }), want)
    }), { numRuns: 300 })
  })

  it('on damaged records (truncated, bytes changed, bytes appended) reads in place only what avsc decodes the same', async () => {
    // a body the specialised reader does not accept goes to avsc itself (decode() and
    // decodeDeferred() call the generic decoder), so only accepted bodies need comparing; running
    // avsc on every damaged body would not do: a damaged map count can keep it busy for minutes
    const { id, fast, generic } = await decoders()
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
    )
    let accepted = 0
    fc.assert(fc.property(statsEntries, fc.array(damage, { minLength: 1, maxLength: 3 }), (e, damages) => {
      let buf = encodeEntries(e, id)
      for (const d of damages) {
        if (d.kind === 'truncate') buf = buf.subarray(0, 5 + d.at % Math.max(1, buf.length - 5))
        else if (d.kind === 'set') { buf = Buffer.from(buf); buf[5 + d.at % Math.max(1, buf.length - 5)] = d.byte } else buf = Buffer.concat([buf, d.bytes])
      }
      const ok = checkStatsBody(buf, 5, buf.length)
      if (!ok) return
      accepted++
      expect(fast.decodeDeferred(buf)).to.be.instanceOf(EncodedStats)
      const want = outcome(() => generic.decode(buf))
      expectSameOutcome(outcome(() => fast.decode(buf)), want)
      expectSameOutcome(outcome(() => (fast.decodeDeferred(buf) as EncodedStats).decode()), want)
    }), { numRuns: 1500 })
    // the damage often leaves a valid body (a changed string byte, a changed number)
    expect(accepted).to.be.greaterThan(100)
  })

  it('accepts in place exactly what avsc decodes, on random bytes after a valid head', async () => {
    const { id, generic } = await decoders()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
      const buf = Buffer.concat([framed(id), Buffer.from([2, 0x63, 2, 0x74, 2, 0x61]), bytes])
      if (!checkStatsBody(buf, 5, buf.length)) return
      expectSameOutcome(outcome(() => readStatsBody(buf, 5, buf.length)), outcome(() => generic.decode(buf)))
    }), { numRuns: 3000 })
  })

  it('reads single fields and the window names in place, as decode() has them', async () => {
    const { id, fast } = await decoders()
    const names = fc.oneof(fc.constantFrom(...WINDOW_FIELDS, 'nope', 'chain', 'lastPrice'))
    const tokenNames = fc.constantFrom('chain', 'token', 'asOf', 'lastPrice', 'lastTradeAt', 'firstSeenAt', 'windows', 'nope')
    fc.assert(fc.property(statsEntries, windowName, names, tokenNames, (e, w, name, tokenName) => {
      const d = fast.decodeDeferred(encodeEntries(e, id))
      if (!(d instanceof EncodedStats)) return // bodies avsc must decide (e.g. a __proto__ key) are never deferred
      const s = d.decode()
      const own = Object.prototype.hasOwnProperty.call(s.windows, w)
      const want = own && (WINDOW_FIELDS as readonly string[]).includes(name) ? (s.windows[w] as unknown as Record<string, unknown>)[name] : undefined
      expect(Object.is(d.field(w, name), want), `${w}.${name}`).to.equal(true)
      for (const first of e.windows) {
        const v = d.field(first[0], name)
        const ref = (WINDOW_FIELDS as readonly string[]).includes(name) ? (s.windows[first[0]] as unknown as Record<string, unknown>)[name] : undefined
        expect(Object.is(v, ref)).to.equal(true)
      }
      const tokenWant = tokenName === 'windows' || tokenName === 'nope' ? undefined : (s as unknown as Record<string, unknown>)[tokenName]
      expect(Object.is(d.field(null, tokenName), tokenWant)).to.equal(true)
      expect(d.windowNames()).to.deep.equal(Object.keys(s.windows))
    }), { numRuns: 400 })
  })

  it('leaves records of any other writer schema to avsc (schema evolution) and decodes them now', async () => {
    const { registry, fast, generic } = await decoders()
    // v2 of the schema as a producer might register it: a new token field with a default, fields reordered
    const v2 = JSON.parse(loadSchemaText('stats')) as { fields: Array<{ name: string }> }
    v2.fields.splice(3, 0, { name: 'dex', type: ['null', 'string'], default: null } as { name: string })
    const id2 = await registry.register('stats-v2-value', JSON.stringify(v2))
    const body = avro.Type.forSchema(v2 as avro.Schema).toBuffer({ chain: 'c', token: 't', asOf: 'a', dex: 'uni', lastPrice: 1.5, lastTradeAt: null, firstSeenAt: 'f', windows: {} })
    const buf = Buffer.concat([framed(id2), body])
    await fast.prepare([buf])
    await generic.prepare([buf])
    const d = fast.decodeDeferred(buf)
    expect(d).not.to.be.instanceOf(EncodedStats)
    expectSame(d, generic.decode(buf))
    expectSame(fast.decode(buf), { chain: 'c', token: 't', asOf: 'a', lastPrice: 1.5, lastTradeAt: null, firstSeenAt: 'f', windows: {} })
  })

  it('refuses like avsc: unknown schema id, not the wire format', async () => {
    const { fast } = await decoders()
    expect(() => fast.decode(Buffer.from([1, 2, 3]))).to.throw(VolumerError).with.property('code', 'UNDECODABLE')
    expect(() => fast.decodeDeferred(framed(999))).to.throw(VolumerError).with.property('code', 'UNKNOWN_SCHEMA')
    await fast.decodeAsync(framed(999)).then(() => expect.fail('decoded'), (err: unknown) => expect((err as VolumerError).code).to.equal('UNKNOWN_SCHEMA'))
  })

  it('with fast: false is the generic decoder', async () => {
    const { registry, id, generic } = await decoders()
    const slow = createStatsRecordDecoder(registry, { fast: false })
    const buf = Buffer.concat([framed(id), type.toBuffer({ chain: 'c', token: 't', asOf: 'a', lastPrice: null, lastTradeAt: null, firstSeenAt: null, windows: {} })])
    await slow.prepare([buf])
    const d = slow.decodeDeferred(buf)
    expect(d).not.to.be.instanceOf(EncodedStats)
    expectSame(d, generic.decode(buf))
  })
})
