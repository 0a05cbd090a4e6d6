import { expect } from 'chai'
import { createInProcessSchemaRegistry } from '../../src/codec/in-process-schema-registry.js'
import { createStatsEncoder, createStatsDecoder, createStateChangeEncoder, createStateChangeDecoder } from '../../src/codec/record-codecs.js'
import type { StatsObject, WindowStats } from '../../src/engine/stats.js'
import { VolumerError } from '../../src/errors.js'

const W: WindowStats = {
  from: '2021-06-16T02:42:09.000Z', to: '2021-06-16T02:47:09.000Z', volumeUsd: '1234.567891', buyVolumeUsd: '1000',
  sellVolumeUsd: '234.567891', volume: '0.4938271564', buyVolume: '0.4', sellVolume: '0.0938271564', txns: 12, buys: 7,
  sells: 5, traders: 9, buyers: 6, sellers: 4, open: 2499.1, close: 2500, high: 2503.2, low: 2498.7, priceChangePct: 0.036, vwap: 2500.01,
}
const EMPTY: WindowStats = {
  ...W, volumeUsd: '0', buyVolumeUsd: '0', sellVolumeUsd: '0', volume: '0', buyVolume: '0', sellVolume: '0',
  txns: 0, buys: 0, sells: 0, traders: 0, buyers: 0, sellers: 0, open: null, close: null, high: null, low: null, priceChangePct: null, vwap: null,
}
const STATS: StatsObject = {
  chain: 'ethereum', token: '0xc02a', asOf: '2021-06-16T02:47:08.000Z', lastPrice: 2500, lastTradeAt: '2021-06-16T02:47:07.200Z',
  firstSeenAt: '2021-06-16T01:51:54.000Z', windows: { '1m': EMPTY, '5m': W },
}

describe('stats and state-changelog codecs', () => {
  it('round-trips the stats object field for field, nulls included', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createStatsEncoder(registry)
    const dec = createStatsDecoder(registry)
    const back = await dec.decodeAsync(enc.encode(STATS))
    // JSON equality: the Avro rendering must be the same JSON the HTTP API serves
    expect(JSON.parse(JSON.stringify(back))).to.deep.equal(STATS)
    const none: StatsObject = { ...STATS, lastPrice: null, lastTradeAt: null, firstSeenAt: null, windows: {} }
    expect(JSON.parse(JSON.stringify(dec.decode(enc.encode(none))))).to.deep.equal(none)
  })

  it('refuses a stats object that does not fit the schema', async () => {
    const enc = await createStatsEncoder(await createInProcessSchemaRegistry())
    const bad = { ...STATS, windows: { '5m': { ...W, txns: 'many' } } }
    expect(() => enc.encode(bad as unknown as StatsObject)).to.throw(VolumerError).with.property('code', 'BAD_TYPE')
  })

  it('round-trips state changes with opaque bytes (Uint8Array views included)', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createStateChangeEncoder(registry)
    const dec = createStateChangeDecoder(registry)
    const backing = new Uint8Array(64).map((_, i) => i)
    const view = backing.subarray(10, 50)
    const back = await dec.decodeAsync(enc.encode({ version: 3, partition: 7, tokenState: view }))
    expect(back.version).to.equal(3)
    expect(back.partition).to.equal(7)
    expect([...back.tokenState]).to.deep.equal([...view])
  })
})
