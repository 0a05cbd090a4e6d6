import { existsSync } from 'node:fs'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { createEdgeServer } from '../edge/edge-server.js'
import { createLogStatsFeed } from '../edge/log-stats-feed.js'
import { createLogTokenFeed } from '../edge/log-token-feed.js'
import type { Log } from '../log/log.js'
import type { SchemaRegistry } from '../codec/index.js'
import { DEFAULT_WINDOW_LIST } from '../engine/windows.js'
import { parseFlags, resolve, intFlag, windowsFlag, hostFlag, candleIntervalsFlag } from './flags.js'
import { DEFAULT_CANDLE_INTERVAL_LIST } from '../engine/candle-intervals.js'
import { createLogCandleFeed } from '../edge/candle-feed.js'
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionsFrom, connectLog, connectRegistry, prefixedTopics } from './connections.js'
import { orCloseOpened } from '../close-on-failure.js'
import { DASHBOARD_DIR } from '../edge/dashboard-dir.js'
import { createLogger } from './logger.js'
import { EDGE_LIMIT_FLAGS, EDGE_LIMITS_HELP, edgeLimitsFrom } from './edge-limits.js'
import { EXIT_OK } from './cli-error.js'


export const EDGE_HELP = `Usage: volumer edge [options]

Tails the compacted stats and tokens topics from the beginning and serves every token, with its
name and symbol when the tokens topic has them, over HTTP (/v1/...)
and a WebSocket push feed (/v1/ws), plus the dashboard at /. Ready (/readyz) once caught up.
Run as many as you like: each holds every token.

${CONNECTION_HELP}  --port N               HTTP/WebSocket port (VOLUMER_EDGE_PORT; default 8080)
  --host H               bind address (VOLUMER_EDGE_HOST; default 127.0.0.1, this machine only;
                         0.0.0.0 to serve every interface, e.g. behind a load balancer or in a container)
  --windows LIST         the processors' windows (VOLUMER_WINDOWS; default ${DEFAULT_WINDOW_LIST})
  --candle-intervals LIST  the processors' candle intervals (VOLUMER_CANDLE_INTERVALS;
                         default ${DEFAULT_CANDLE_INTERVAL_LIST})
${EDGE_LIMITS_HELP}  -h, --help
`

export async function edgeCommand (argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONNECTION_FLAGS,
    port: { type: 'string' },
    host: { type: 'string' },
    windows: { type: 'string' },
    'candle-intervals': { type: 'string' },
    ...EDGE_LIMIT_FLAGS,
    help: { type: 'boolean', short: 'h' }
  }, false)
  if (values.help === true) { process.stdout.write(EDGE_HELP); return EXIT_OK }
  const conn = connectionsFrom(values)
  const port = intFlag('port', resolve(values, 'port', 'VOLUMER_EDGE_PORT') ?? '8080', 0, 65535)
  // loopback unless asked: exposing a server is the operator's decision (redpanda/ sets 0.0.0.0)
  const host = hostFlag('host', resolve(values, 'host', 'VOLUMER_EDGE_HOST') ?? '127.0.0.1')
  const windows = windowsFlag('windows', resolve(values, 'windows', 'VOLUMER_WINDOWS') ?? DEFAULT_WINDOW_LIST)
  const candleIntervals = candleIntervalsFlag('candle-intervals', resolve(values, 'candle-intervals', 'VOLUMER_CANDLE_INTERVALS') ?? DEFAULT_CANDLE_INTERVAL_LIST)
  const limits = edgeLimitsFrom(values)
  const logger = createLogger(conn.logLevel, 'edge')
  const abort = new AbortController()
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => { abort.abort(); resolve() }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })

  const metricsRegistry = new Registry()
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'volumer_edge_' })
  let log: Log
  let registry: SchemaRegistry
  try {
    log = await connectLog(conn, logger, abort.signal)
    registry = await orCloseOpened(connectRegistry(conn, logger, abort.signal), [log])
  } catch (err) {
    // a signal while still connecting ends the retries: a clean stop, not a failure
    if (abort.signal.aborted) return EXIT_OK
    throw err
  }
  const feed = createLogStatsFeed({ log, registry, topic: prefixedTopics(conn.topicPrefix).stats, logger })
  const server = await orCloseOpened(createEdgeServer({
    ...limits,
    port, host, feed, logger, metricsRegistry,
    tokens: createLogTokenFeed({ log, registry, topic: conn.topicPrefix + 'tokens', logger }),
    windows: windows.map((w) => w.name),
    candles: createLogCandleFeed({ log, topic: prefixedTopics(conn.topicPrefix).candles, historyTopic: prefixedTopics(conn.topicPrefix).candlesHistory, logger }),
    candleIntervals,
    staticDir: existsSync(DASHBOARD_DIR) ? DASHBOARD_DIR : undefined
  }), [log, registry])
  logger.info({ port: server.port, host }, `edge listening on http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${server.port}/`)
  void server.caughtUp.then(() => logger.info({ tokens: server.store.size }, 'edge caught up with stats: ready'))
  await stopped
  await server.close()
  await registry.close().catch(() => {})
  await log.close().catch(() => {})
  return EXIT_OK
}
