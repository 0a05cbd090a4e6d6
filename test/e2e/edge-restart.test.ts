/**
 * An edge SIGKILLed while swaps flow (`volumer produce --generate` → `volumer processor` →
 * `stats`) and started again: it rehydrates from the compacted topic and at its first /readyz 200
 * already serves every token the topic held before the restart, at least as new as it was then;
 * once the input stops and the processor is stopped (the topic is then fixed), every answer
 * equals the compacted topic, ranked lists included. A WebSocket client of the killed edge sees
 * its connection drop, resubscribes on the new one, gets snapshots, and its newest value per
 * token converges on the topic too.
 * Needs `scripts/services.sh start`.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { expect } from 'chai'
import type { StatsObject } from '../../src/engine/stats.js'
import { BROKERS, createTestCluster, waitUntil, type TestCluster } from '../helpers/cluster.js'
import { EdgeFleet } from '../helpers/edge-process.js'
import { expectedTop, mapLimit, readStatsTopic, tokenPath, topPath, waitTokensEqual } from '../helpers/edge-checks.js'
import { ProcessorFleet } from '../helpers/processor-process.js'
import { REPO_ROOT } from '../helpers/sample-data.js'
import { TestClient } from '../edge/ws-client.js'

const WINDOWS = '1m,5m,1h,24h'

describe('edge process SIGKILLed mid-stream and restarted', function () {
  this.timeout(240_000)
  let cluster: TestCluster
  let processors: ProcessorFleet
  let edges: EdgeFleet
  let generator: ReturnType<typeof spawn> | undefined
  const clients: TestClient[] = []

  before(async () => {
    cluster = await createTestCluster({ name: 'edge-restart', partitions: 6 })
    processors = new ProcessorFleet(cluster, { windows: WINDOWS, cycle: '100ms' })
    edges = new EdgeFleet(cluster, { windows: WINDOWS })
  })
  after(async () => {
    for (const c of clients) await c.close().catch(() => {})
    if (generator !== undefined && generator.exitCode === null && generator.signalCode === null) generator.kill('SIGKILL')
    await edges?.stopAll()
    await processors?.stopAll()
    await cluster?.close()
  })

  it('rehydrates, is complete when ready, and then answers equal the compacted topic', async () => {
    const p = processors.start('p1')
    const first = edges.start('first')
    await Promise.all([p.waitReady(), first.waitReady()])

    // swaps flow for the rest of the test until stopped: 400/s over 300 tokens, three chains
    const gen = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'volumer.js'), 'produce', '--generate',
      '--brokers', BROKERS, '--registry', cluster.registryUrl, '--topic-prefix', cluster.prefix,
      '--rate', '400', '--tokens', '300', '--chains', 'ethereum,solana,base', '--seed', '7', '--duration', '10m', '--linger', '5ms'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    generator = gen
    let genErr = ''
    gen.stderr!.setEncoding('utf8')
    gen.stderr!.on('data', (c: string) => { genErr = (genErr + c).slice(-4000) })
    const genExit = new Promise<number | null>((resolve) => gen.once('exit', (c) => resolve(c)))

    await waitUntil(async () => (await first.get('/healthz')).json?.tokens >= 150, 'the first edge holding 150 tokens', 90_000, 200)
    const before = await readStatsTopic(cluster)
    expect(await first.metric('volumer_edge_feed_records_total'), 'first edge read records').to.be.greaterThan(0)
    // a client of the first edge, subscribed to 30 tokens that exist
    const watched = [...before.keys()].filter((k) => before.get(k) !== null).slice(0, 30)
    const old = await TestClient.open(await first.port())
    clients.push(old)
    old.send({ op: 'subscribe', id: 1, tokens: watched })
    await old.next((m) => m.type === 'subscribed', 20_000)
    await first.kill()
    expect(first.child.signalCode).to.equal('SIGKILL')
    await waitUntil(() => old.closed !== null, 'the killed edge\'s client to see its connection drop', 20_000)
    const recordsAtKill = [...before.values()].filter((v) => v !== null).length

    const second = edges.start('second')
    const readyAt = await second.waitReady()
    // ready = caught up with the topic as it was when it started, which is after `before` was read
    const stale = (await mapLimit([...before.entries()], 16, async ([key, want]) => {
      if (want === null) return null
      const got = await second.get(tokenPath(key))
      if (got.status !== 200) return `${key}: ${got.status} at ready`
      const s = got.json as StatsObject
      return Date.parse(s.asOf) >= Date.parse(want.asOf) ? null : `${key}: asOf ${s.asOf} older than ${want.asOf} before the restart`
    })).filter((x) => x !== null)
    expect(stale, stale.slice(0, 5).join('\n')).to.deep.equal([])
    // the client reconnects to the new edge and resubscribes: a snapshot with data per token
    const client = await TestClient.open(await second.port())
    clients.push(client)
    client.send({ op: 'subscribe', id: 2, tokens: watched })
    const snapshotOf = (key: string): any => client.msgs.find((m) => m.type === 'snapshot' && m.sub === 'token:' + key)
    await waitUntil(() => watched.every((key) => snapshotOf(key) !== undefined), 'a snapshot per resubscribed token', 20_000)
    for (const key of watched) {
      expect(snapshotOf(key).seq).to.equal(1)
      expect(snapshotOf(key).data?.chain + ':' + snapshotOf(key).data?.token, `snapshot of ${key}`).to.equal(key)
    }
    expect(gen.exitCode, `generator still running: ${genErr}`).to.equal(null)
    // swaps keep flowing into the restarted edge (and its new client) for a while
    const recordsAtReady = await second.metric('volumer_edge_feed_records_total')
    await waitUntil(async () => await second.metric('volumer_edge_feed_records_total') >= recordsAtReady + 500, 'the restarted edge tailing 500 more records', 60_000, 200)

    // stop the input, let the processor finish it, stop the processor: the topic is then fixed
    gen.kill('SIGTERM')
    expect(await genExit, `generator exit: ${genErr}`).to.equal(0)
    await cluster.waitCaughtUp(120_000)
    expect(await p.stop(), 'processor exit code').to.equal(0)
    const topic = await readStatsTopic(cluster)
    const live = [...topic.values()].filter((v) => v !== null).length
    expect(live).to.be.at.least(recordsAtKill)

    const mismatches = await waitTokensEqual(second, topic, 30_000)
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([])
    expect((await second.get('/healthz')).json.tokens).to.equal(live)
    // the WebSocket's newest value of every watched token is the topic's, and its seqs had no gap
    await waitUntil(async () => {
      await client.sync()
      return watched.every((key) => JSON.stringify(client.msgs.filter((m) => m.sub === 'token:' + key).at(-1)?.data) === JSON.stringify(topic.get(key)))
    }, 'the WebSocket values equal to the topic', 30_000, 200)
    for (const key of watched) {
      const seqs = client.msgs.filter((m) => m.sub === 'token:' + key).map((m) => m.seq)
      expect(seqs, `seq of ${key}`).to.deep.equal(seqs.map((_, i) => i + 1))
    }
    const wsUpdates = client.msgs.filter((m) => m.type === 'update').length
    for (const q of [
      { stat: 'volumeUsd', window: '5m', order: 'desc' as const, chain: null, limit: 100 },
      { stat: 'traders', window: '1h', order: 'asc' as const, chain: 'solana', limit: 50 },
      { stat: 'priceChangePct', window: '24h', order: 'desc' as const, chain: 'base', limit: 500 }
    ]) {
      const r = await second.get(topPath(q))
      expect(r.status, r.text.slice(0, 200)).to.equal(200)
      expect(r.json.items.map((i: { chain: string, token: string }) => i.chain + ':' + i.token), topPath(q)).to.deep.equal(expectedTop(topic, q))
    }
    expect(second.problems(), 'warnings of the restarted edge').to.deep.equal([])
    console.log(`      ${recordsAtKill} tokens on stats at the kill, ${live} at the end; ${wsUpdates} WebSocket updates after the restart; restarted edge ready ${(readyAt - second.spawnedAt).toFixed(0)} ms after spawn (process start included)`)
  })
})
