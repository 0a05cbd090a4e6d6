import { hostname } from 'node:os'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { DEFAULT_WINDOW_LIST } from '../engine/windows.js'
import { createProcessor } from '../processor/processor.js'
import { createProcessorMetrics } from '../processor/processor-metrics.js'
import { startOpsServer } from '../ops-server.js'
import { DEFAULT_CANDLE_INTERVAL_LIST } from '../engine/candle-intervals.js'
import { parseFlags, resolve, candleIntervalsFlag, windowsFlag, durationFlag, intFlag, switchFlag, hostFlag } from './flags.js'
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionsFrom, connectLog, connectRegistry, connectStore, prefixedTopics, DEFAULT_PG_URL } from './connections.js'
import { orCloseOpened } from '../close-on-failure.js'
import { createLogger } from './logger.js'
import { sessionWithFailpoint, storeWithFailpoint, testFailpointFrom } from '../store/test-failpoint.js'
import { EXIT_OK, EXIT_FAILURE } from './cli-error.js'
import { exitWhenHeld } from './exit-when-held.js'

export const PROCESSOR_HELP = `Usage: volumer processor [options]

Consumes swaps as a member of a consumer group and turns them into stats, one Kafka transaction
per cycle (stats, state changelog, DLQ records and input offsets together); checkpoints each
partition to Postgres. Run several with the same --group to share the partitions.

${CONNECTION_HELP}  --pg-url URL           Postgres for checkpoints (VOLUMER_PG_URL; default ${DEFAULT_PG_URL}, scripts/postgres.sh)
  --group NAME           consumer group and checkpoint namespace (VOLUMER_GROUP; default volumer)
  --instance-id ID       stable id of this instance; a restart with the same id fences the old one
                         (VOLUMER_INSTANCE_ID; default the host name)
  --windows LIST         windows (VOLUMER_WINDOWS; default ${DEFAULT_WINDOW_LIST})
  --candle-intervals LIST  candle intervals published to the candles topic (VOLUMER_CANDLE_INTERVALS;
                         default ${DEFAULT_CANDLE_INTERVAL_LIST})
  --skew D               accepted blockTime skew ahead of the clock (VOLUMER_SKEW; default 60s)
  --cycle D              longest time between transactions (VOLUMER_CYCLE; default 100ms)
  --max-cycle-records N  ...or this many input records (VOLUMER_MAX_CYCLE_RECORDS; default 20000)
  --checkpoint-interval D  checkpoint each partition this often (VOLUMER_CHECKPOINT_INTERVAL; default 60s)
  --changelog-full-after D  changelog records are DELTAs (the swaps a token counted) while the
                         newest checkpoint is younger than this, FULL token states after; capped at
                         half the state topic's min.compaction.lag.ms; 0s = FULL only
                         (VOLUMER_CHANGELOG_FULL_AFTER; default 1h)
  --standby, --no-standby  keep a standby copy of every partition this processor does not own,
                         following the state changelog: a takeover then replays seconds of changelog
                         instead of restoring checkpoint + changelog; costs the memory of that state
                         and the CPU to follow it (VOLUMER_STANDBY=true|false; default true: without
                         it a takeover misses the 5 s floor; see docs/operations.md)
  --metrics-port N       /metrics, /healthz, /readyz (VOLUMER_METRICS_PORT; default 9464; 0 = any free port)
  --metrics-host H       their bind address (VOLUMER_METRICS_HOST; default 127.0.0.1, this machine only;
                         0.0.0.0 for a Prometheus on another host or container)
  -h, --help
`

export async function processorCommand (argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONNECTION_FLAGS,
    'pg-url': { type: 'string' },
    group: { type: 'string' },
    'instance-id': { type: 'string' },
    windows: { type: 'string' },
    'candle-intervals': { type: 'string' },
    skew: { type: 'string' },
    cycle: { type: 'string' },
    'max-cycle-records': { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    'changelog-full-after': { type: 'string' },
    'metrics-port': { type: 'string' },
    'metrics-host': { type: 'string' },
    standby: { type: 'boolean' },
    'no-standby': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, false)
  if (values.help === true) { process.stdout.write(PROCESSOR_HELP); return EXIT_OK }
  const conn = connectionsFrom(values)
  const config = Object.freeze({
    pgUrl: resolve(values, 'pg-url', 'VOLUMER_PG_URL') ?? DEFAULT_PG_URL,
    group: resolve(values, 'group', 'VOLUMER_GROUP') ?? 'volumer',
    instanceId: resolve(values, 'instance-id', 'VOLUMER_INSTANCE_ID') ?? hostname(),
    windows: windowsFlag('windows', resolve(values, 'windows', 'VOLUMER_WINDOWS') ?? DEFAULT_WINDOW_LIST),
    candleIntervals: candleIntervalsFlag('candle-intervals', resolve(values, 'candle-intervals', 'VOLUMER_CANDLE_INTERVALS') ?? DEFAULT_CANDLE_INTERVAL_LIST),
    skewMs: durationFlag('skew', resolve(values, 'skew', 'VOLUMER_SKEW') ?? '60s'),
    cycleMs: durationFlag('cycle', resolve(values, 'cycle', 'VOLUMER_CYCLE') ?? '100ms'),
    maxCycleRecords: intFlag('max-cycle-records', resolve(values, 'max-cycle-records', 'VOLUMER_MAX_CYCLE_RECORDS') ?? '20000', 1, 10_000_000),
    checkpointIntervalMs: durationFlag('checkpoint-interval', resolve(values, 'checkpoint-interval', 'VOLUMER_CHECKPOINT_INTERVAL') ?? '60s'),
    fullAfterMs: durationFlag('changelog-full-after', resolve(values, 'changelog-full-after', 'VOLUMER_CHANGELOG_FULL_AFTER') ?? '1h'),
    // on by default since 12-07: the restore of checkpoint + changelog alone made takeovers miss
    // SPEC's 5 s floor (bench:steady, docs/operations.md#standby-copies---standby)
    standby: switchFlag(values, 'standby', 'VOLUMER_STANDBY', true),
    metricsPort: intFlag('metrics-port', resolve(values, 'metrics-port', 'VOLUMER_METRICS_PORT') ?? '9464', 0, 65535),
    // loopback by default: metrics name tokens, groups and hosts, not for every network to read
    metricsHost: hostFlag('metrics-host', resolve(values, 'metrics-host', 'VOLUMER_METRICS_HOST') ?? '127.0.0.1')
  })
  // test-only (test/chaos): documented in src/store/test-failpoint.ts and docs/operations.md
  const failpoint = testFailpointFrom(process.env)
  const logger = createLogger(conn.logLevel, 'processor')
  const abort = new AbortController()
  let stopping: (() => Promise<void>) | undefined
  const onSignal = (sig: string): void => {
    logger.info({ signal: sig }, 'stopping')
    abort.abort()
    if (stopping !== undefined) void stopping()
    else process.exit(0)
  }
  process.once('SIGTERM', () => onSignal('SIGTERM'))
  process.once('SIGINT', () => onSignal('SIGINT'))

  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'volumer_processor_' })
  const metrics = createProcessorMetrics(registry)
  let ready = false
  const ops = await startOpsServer({ port: config.metricsPort, host: config.metricsHost, registry, ready: () => ready && !processor.stalled() })
  logger.info({ metricsPort: ops.port, metricsHost: config.metricsHost, group: config.group, instanceId: config.instanceId, brokers: conn.brokers, registry: conn.registryUrl }, 'processor starting')

  const log = await orCloseOpened(connectLog(conn, logger, abort.signal), [ops])
  const schemaRegistry = await orCloseOpened(connectRegistry(conn, logger, abort.signal), [ops, log])
  if (failpoint !== undefined) logger.warn({ failpoint }, 'test-only failpoint armed: this process will SIGKILL itself')
  const store = storeWithFailpoint(await orCloseOpened(connectStore(config.pgUrl, logger, abort.signal, (s) => sessionWithFailpoint(s, failpoint)), [ops, log, schemaRegistry]), failpoint)
  const processor = createProcessor({
    log, store, registry: schemaRegistry, logger, metrics,
    groupId: config.group,
    transactionalId: `${config.group}-${config.instanceId}`,
    topics: prefixedTopics(conn.topicPrefix),
    windows: config.windows,
    candleIntervals: config.candleIntervals,
    skewMs: config.skewMs,
    cycleMs: config.cycleMs,
    maxRecordsPerCycle: config.maxCycleRecords,
    checkpointIntervalMs: config.checkpointIntervalMs,
    fullAfterMs: config.fullAfterMs,
    standby: config.standby,
    // a freeze shorter than session − heartbeat (librdkafka: session/4) cannot cost the membership
    frozenAfterMs: conn.sessionTimeoutMs * 3 / 4
  })
  stopping = async () => { await processor.stop() }
  void processor.ready.then(() => { ready = true; logger.info({ partitions: processor.assigned() }, 'processor ready') })
  let code = EXIT_OK
  try {
    await processor.run()
  } catch (err) {
    logger.fatal({ err }, 'processor failed')
    code = EXIT_FAILURE
  } finally {
    await store.close().catch(() => {})
    await schemaRegistry.close().catch(() => {})
    await log.close().catch(() => {})
    await ops.close()
    exitWhenHeld(code, logger)
  }
  return code
}
