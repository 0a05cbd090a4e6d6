import { expect } from 'chai'
import type { Agent } from 'undici'
import { createMemoryStatsFeed } from '../../src/edge/stats-feed.js'
import type { CandleFeed, CandleRecordHandler } from '../../src/edge/candle-feed.js'
import { CandleBook } from '../../src/engine/candles.js'
import { parseCandleIntervals } from '../../src/engine/candle-intervals.js'
import { makeSwap } from '../helpers/swap-factory.js'
import { makeStats, newAgent, rng } from './fixtures.js'
import { get, startServer } from './helpers.js'
import { TestClient } from './ws-client.js'

const T0 = Date.UTC(2026, 11, 8, 0, 0, 0)
const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'

/**
 * SPEC: a node is ready once caught up with `stats`. The candle topics hold far more records
 * (bench:steady 0.2 h, 12-08: 855,782 against 144,465; the candle feed caught up 19 s after the
 * stats feed), so readiness does not wait for them: candles answer NOT_READY until their feed
 * caught up, everything else is served.
 */
describe('edge readiness and the candle feed', function () {
  this.timeout(20_000)

  it('is ready once stats caught up; candles are NOT_READY until their own feed caught up, then served', async () => {
    const intervals = parseCandleIntervals('1m,1h')
    const stats = createMemoryStatsFeed()
    stats.publish('ethereum:' + WETH, makeStats('ethereum', WETH, rng(5)))
    // a candle feed that has delivered its records but not caught up yet, until release()
    const book = new CandleBook(intervals)
    for (let m = 0; m < 5; m++) book.add(makeSwap({ id: 's' + m, chain: 'ethereum', token: WETH, trader: 't', side: 'BUY', amount: '1', amountUsd: '10', blockTime: T0 + m * 60_000, blockNumber: 1 + m, logIndex: 0 }))
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    const candles: CandleFeed = {
      async start (onRecord: CandleRecordHandler, onCaughtUp) {
        book.drain((key, c) => onRecord(key, c))
        void released.then(onCaughtUp)
      },
      async close () {}
    }
    const server = await startServer(stats, { candles, candleIntervals: intervals, now: () => T0 + 10 * 60_000 })
    const agent: Agent = newAgent()
    try {
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('not ready after 5 s'), 5000))
      expect(await Promise.race([server.caughtUp.then(() => 'ready'), timeout]), 'readiness with the candle feed still catching up').to.equal('ready')
      expect((await get(agent, server.port, '/readyz')).status).to.equal(200)
      expect((await get(agent, server.port, `/v1/tokens/ethereum/${WETH}`)).status).to.equal(200)
      const early = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1m`)
      expect(early.status).to.equal(503)
      expect(early.text).to.contain('NOT_READY').and.to.contain('candles')
      expect((await get(agent, server.port, `/udf/history?symbol=ethereum:${WETH}&resolution=1&from=0&to=${Math.ceil(T0 / 1000) + 3600}`)).status).to.equal(503)
      const ws = await TestClient.open(server.port)
      try {
        ws.send({ op: 'subscribe', candles: { token: 'ethereum:' + WETH, interval: '1m' }, id: 1 })
        expect((await ws.next((m) => m.type === 'error')).code, 'a candle subscription while catching up').to.equal('NOT_READY')
        release()
        await server.candlesCaughtUp
        ws.send({ op: 'subscribe', candles: { token: 'ethereum:' + WETH, interval: '1m' }, id: 2 })
        expect((await ws.next((m) => m.type === 'subscribed')).id).to.equal(2)
      } finally {
        await ws.close()
      }
      const later = await get(agent, server.port, `/v1/tokens/ethereum/${WETH}/candles?interval=1m`)
      expect(later.status).to.equal(200)
      expect(later.json.candles).to.have.length(5)
    } finally {
      release()
      await server.close()
      await agent.close()
    }
  })
})
