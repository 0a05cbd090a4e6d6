/**
 * Token names end to end on the real broker: `volumer produce --tokens` (Avro) and kcat (JSON, the
 * docs/produce.md line) write the compacted `<prefix>tokens` topic; an edge node reading it and
 * `<prefix>stats` through the Kafka adapter serves the names on token objects, ranked rows and
 * /v1/search. Needs the broker of `scripts/services.sh start` (127.0.0.1:19092).
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { createStatsEncoder } from '../../src/codec/index.js'
import { createEdgeServer, type EdgeServer } from '../../src/edge/edge-server.js'
import { createLogStatsFeed } from '../../src/edge/log-stats-feed.js'
import { createLogTokenFeed } from '../../src/edge/log-token-feed.js'
import { makeStats, rng } from '../edge/fixtures.js'
import { get } from '../edge/helpers.js'
import { ETHEREUM_TOKENS } from '../helpers/sample-data.js'
import { BROKERS, createProduceFixture, type ProduceFixture } from './produce-helpers.js'

const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'
const VIA_KCAT = '0x00000000000000000000000000000000000000aa'

describe('token names on Kafka: produce --tokens → tokens topic → edge', function () {
  this.timeout(180_000)
  let fx: ProduceFixture
  let edge: EdgeServer | undefined
  let agent: Agent

  before(async () => {
    fx = await createProduceFixture('tokens')
    agent = new Agent({ keepAliveTimeout: 1000 })
  })
  after(async () => {
    await edge?.close()
    await agent?.close()
    await fx?.close()
  })

  it('serves the names produced by volumer produce --tokens and by kcat', async () => {
    const res = await fx.produce(['--tokens', ETHEREUM_TOKENS])
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/summary: read 125, sent 125 .*skipped 0, tokens 125/)
    const line = `ethereum:${VIA_KCAT}|` + JSON.stringify({ chain: 'ethereum', token: VIA_KCAT, symbol: 'KCAT', name: 'Sent With Kcat', decimals: 9 })
    const kcat = spawnSync('kcat', ['-P', '-b', BROKERS, '-t', fx.prefix + 'tokens', '-K', '|', '-X', 'topic.partitioner=murmur2_random'], { input: line + '\n', encoding: 'utf8' })
    expect(kcat.status, kcat.stderr).to.equal(0)

    // stats for three tokens, as a processor writes them (Avro, stats-value)
    const enc = await createStatsEncoder(fx.registry, fx.prefix + 'stats-value', { fast: false })
    const producer = await fx.log.createProducer()
    const volumes: Record<string, string> = { [WETH]: '5000000', [USDC]: '7000000', [VIA_KCAT]: '10' }
    for (const [token, v] of Object.entries(volumes)) {
      const s = makeStats('ethereum', token, rng(token.length))
      s.windows['24h'] = { ...s.windows['24h'], volumeUsd: v }
      producer.send({ topic: fx.prefix + 'stats', key: Buffer.from('ethereum:' + token), value: enc.encode(s) })
    }
    await producer.flush()
    await producer.close()

    const logger = pino({ level: 'silent' })
    edge = await createEdgeServer({
      port: 0,
      logger,
      metricsRegistry: new Registry(),
      windows: ['1m', '5m', '1h', '24h'],
      feed: createLogStatsFeed({ log: fx.log, registry: fx.registry, topic: fx.prefix + 'stats', logger }),
      tokens: createLogTokenFeed({ log: fx.log, registry: fx.registry, topic: fx.prefix + 'tokens', logger }),
    })
    await edge.caughtUp

    const weth = await get(agent, edge.port, `/v1/tokens/ethereum/${WETH}`)
    expect(weth.status).to.equal(200)
    expect(weth.json).to.deep.include({ symbol: 'WETH', name: 'Wrapped Ether', token: WETH })
    const viaKcat = await get(agent, edge.port, `/v1/tokens/ethereum/${VIA_KCAT}`)
    expect(viaKcat.json).to.deep.include({ symbol: 'KCAT', name: 'Sent With Kcat' })

    const top = await get(agent, edge.port, '/v1/top?window=24h&limit=3')
    expect(top.json.items.map((i: any) => i.symbol)).to.deep.equal(['USDC', 'WETH', 'KCAT'])

    const search = await get(agent, edge.port, '/v1/search?q=w')
    expect(search.json.items[0]).to.deep.include({ symbol: 'WETH', decimals: 18, volumeUsd: '5000000' })
    // a token known only from the tokens topic is found too, after those with a volume
    const skl = await get(agent, edge.port, '/v1/search?q=skale')
    expect(skl.json.items.map((i: any) => i.symbol)).to.deep.equal(['SKL'])
    expect(skl.json.items[0].volumeUsd).to.equal(null)
  })
})
