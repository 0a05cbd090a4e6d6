/**
 * A real edge node in its own process, for the hostile-client tests: the test measures this
 * process's RSS (/proc/<pid>/status) without its own clients' memory mixed in, and times /healthz
 * from outside its event loop. Holds EDGE_CHILD_TOKENS fixture tokens (default 2,000, windows 1m…24h);
 * with EDGE_CHILD_UPDATES_PER_S > 0 it republishes tokens round-robin at that rate (live updates).
 * Prints one JSON line {"type":"ready","port":…} once caught up; exits when stdin closes.
 */
import pino from 'pino'
import { Registry } from 'prom-client'
import { createEdgeServer } from '../../../src/edge/edge-server.js'
import { createMemoryStatsFeed } from '../../../src/edge/stats-feed.js'
import { makeStats, rng } from '../fixtures.js'

const tokens = Number(process.env.EDGE_CHILD_TOKENS ?? 2000)
const updatesPerS = Number(process.env.EDGE_CHILD_UPDATES_PER_S ?? 0)
const options = JSON.parse(process.env.EDGE_CHILD_OPTIONS ?? '{}')
const feed = createMemoryStatsFeed()
const r = rng(7)
for (let i = 0; i < tokens; i++) feed.publish('ethereum:t' + i, makeStats('ethereum', 't' + i, r))
const logger = pino({ level: process.env.EDGE_CHILD_LOG ?? 'silent' }, pino.destination(2))
const server = await createEdgeServer({ port: 0, feed, logger, metricsRegistry: new Registry(), windows: ['1m', '5m', '1h', '24h'], ...options })
await server.caughtUp
let timer: NodeJS.Timeout | undefined
if (updatesPerS > 0) {
  // in 10 ms slices, so updates arrive the way a feed delivers them: small batches, often
  let next = 0
  const perSlice = Math.max(1, Math.round(updatesPerS / 100))
  timer = setInterval(() => {
    for (let k = 0; k < perSlice; k++) {
      const i = next++ % tokens
      feed.publish('ethereum:t' + i, makeStats('ethereum', 't' + i, r, Date.now()))
    }
  }, 10)
}
process.stdout.write(JSON.stringify({ type: 'ready', port: server.port, pid: process.pid }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  if (timer !== undefined) clearInterval(timer)
  void server.close().then(() => process.exit(0))
})
