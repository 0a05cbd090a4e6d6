import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { join, resolve as resolvePath } from 'node:path'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { createMemoryLog } from '../log/memory-log.js'
import { embeddedTopology } from './embedded-topology.js'
import { applyTopology } from '../topology/topology.js'
import { createInProcessSchemaRegistry, createSwapEncoder, swapToRecord, type SwapRecord } from '../codec/index.js'
import { createPgliteWorkerCheckpointStore } from '../store/pglite-worker-checkpoint-store.js'
import { createProcessor } from '../processor/processor.js'
import { createProcessorMetrics } from '../processor/processor-metrics.js'
import { createLogStatsFeed } from '../edge/log-stats-feed.js'
import { createLogTokenFeed } from '../edge/log-token-feed.js'
import { loadTokenFile, tokenFileFor } from './token-file.js'
import { createSwapGenerator, createReplayTimeline, createPacer } from '../generator/index.js'
import { DEFAULT_WINDOW_LIST } from '../engine/windows.js'
import { parseSwapJson } from '../swap/parse-swap.js'
import { isSwapReject } from '../swap/swap-reject.js'
import type { Swap } from '../swap/swap.js'
import { DEFAULT_TOPICS } from '../processor/topics.js'
import { parseFlags, resolve, intFlag, numberFlag, windowsFlag, hostFlag, candleIntervalsFlag } from './flags.js'
import { DEFAULT_CANDLE_INTERVAL_LIST } from '../engine/candle-intervals.js'
import { createLogCandleFeed } from '../edge/candle-feed.js'
import { createLogger } from './logger.js'
import { readInputText } from './input-file.js'
import { EDGE_LIMIT_FLAGS, EDGE_LIMITS_HELP, edgeLimitsFrom } from './edge-limits.js'
import { DASHBOARD_DIR } from '../edge/dashboard-dir.js'
import { UsageError, EXIT_OK } from './cli-error.js'
import { isVolumerError } from '../errors.js'

export const RUN_HELP = `Usage: volumer run [options]

The whole system in one process, no servers needed: the same processor and edge code on an
in-process log and an embedded Postgres (PGlite, under --data), fed by the built-in swap
generator or a replay. Ctrl-C stops it cleanly; running it again restores from its checkpoints.

  --port N               dashboard, HTTP API and WebSocket (VOLUMER_PORT; default 8080)
  --host H               bind address (VOLUMER_HOST; default 127.0.0.1)
  --data DIR             where checkpoints live (VOLUMER_DATA; default ./data)
  --rate N               generated swaps per second (VOLUMER_RATE; default 200)
  --tokens N             tokens the generator trades (VOLUMER_TOKENS; default 2000)
  --tokens FILE          with --replay: token metadata (NDJSON, names and symbols) to load first;
                         default samples/ethereum-mainnet-tokens.ndjson when replaying the shipped sample
  --dup-rate F           share of duplicate swaps (default 0.02)
  --disorder MS          how far blocks may arrive out of order, ms (default 3000)
  --replay FILE          replay NDJSON swaps (.ndjson, or .ndjson.gz, e.g. samples/*.ndjson.gz), times shifted to now
  --replay-speed X       replay speed factor (default 1: real time)
  --windows LIST         windows (VOLUMER_WINDOWS; default ${DEFAULT_WINDOW_LIST})
  --candle-intervals LIST  candle intervals (VOLUMER_CANDLE_INTERVALS; default ${DEFAULT_CANDLE_INTERVAL_LIST})
  --partitions N         partitions of the in-process topics (default 4)
  --log-level L          (VOLUMER_LOG_LEVEL; default info)
${EDGE_LIMITS_HELP}  -h, --help
`

export async function runCommand (argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    rate: { type: 'string' },
    tokens: { type: 'string' },
    'dup-rate': { type: 'string' },
    disorder: { type: 'string' },
    replay: { type: 'string' },
    'replay-speed': { type: 'string' },
    windows: { type: 'string' },
    'candle-intervals': { type: 'string' },
    partitions: { type: 'string' },
    'log-level': { type: 'string' },
    ...EDGE_LIMIT_FLAGS,
    help: { type: 'boolean', short: 'h' }
  }, false)
  if (values.help === true) { process.stdout.write(RUN_HELP); return EXIT_OK }
  const config = Object.freeze({
    port: intFlag('port', resolve(values, 'port', 'VOLUMER_PORT') ?? '8080', 0, 65535),
    host: hostFlag('host', resolve(values, 'host', 'VOLUMER_HOST') ?? '127.0.0.1'),
    data: resolvePath(resolve(values, 'data', 'VOLUMER_DATA') ?? 'data'),
    rate: numberFlag('rate', resolve(values, 'rate', 'VOLUMER_RATE') ?? '200', 0, 1_000_000),
    // with --replay, --tokens names a metadata file; the generator's count applies otherwise
    tokens: intFlag('tokens', (typeof values.replay === 'string' ? undefined : resolve(values, 'tokens', 'VOLUMER_TOKENS')) ?? '2000', 1, 10_000_000),
    tokensFile: tokenFileFor(typeof values.replay === 'string' ? values.replay : undefined, typeof values.replay === 'string' && typeof values.tokens === 'string' ? values.tokens : undefined),
    dupRate: numberFlag('dup-rate', typeof values['dup-rate'] === 'string' ? values['dup-rate'] : '0.02', 0, 0.99),
    disorderMs: intFlag('disorder', typeof values.disorder === 'string' ? values.disorder : '3000', 0, 3_600_000),
    replay: typeof values.replay === 'string' ? values.replay : undefined,
    replaySpeed: numberFlag('replay-speed', typeof values['replay-speed'] === 'string' ? values['replay-speed'] : '1', 0.001, 1_000_000),
    windows: windowsFlag('windows', resolve(values, 'windows', 'VOLUMER_WINDOWS') ?? DEFAULT_WINDOW_LIST),
    candleIntervals: candleIntervalsFlag('candle-intervals', resolve(values, 'candle-intervals', 'VOLUMER_CANDLE_INTERVALS') ?? DEFAULT_CANDLE_INTERVAL_LIST),
    partitions: intFlag('partitions', typeof values.partitions === 'string' ? values.partitions : '4', 1, 256),
    edgeLimits: edgeLimitsFrom(values)
  })
  if (config.replay !== undefined && !existsSync(config.replay)) throw new UsageError(`--replay: no such file ${config.replay}`)
  if (config.tokensFile !== undefined && !existsSync(config.tokensFile)) throw new UsageError(`--tokens: no such file ${config.tokensFile}`)
  const logger = createLogger(resolve(values, 'log-level', 'VOLUMER_LOG_LEVEL'), 'volumer')

  // one `volumer run` per data folder: a second would fight over the checkpoints
  mkdirSync(config.data, { recursive: true })
  const pidFile = join(config.data, 'volumer.pid')
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'))
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new UsageError(`another "volumer run" (pid ${pid}) is already using ${config.data}; stop it first (Ctrl-C in its terminal, or kill ${pid}), or pass --data DIR`)
    }
  }
  writeFileSync(pidFile, String(process.pid))

  const metricsRegistry = new Registry()
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'volumer_' })
  const log = createMemoryLog()
  const admin = await log.createAdmin()
  await applyTopology(admin, embeddedTopology(config.partitions))
  await admin.close()
  const registry = await createInProcessSchemaRegistry()
  if (config.tokensFile !== undefined) await loadTokenFile(log, registry, 'tokens', config.tokensFile, logger)
  // on a worker thread: PGlite runs each query synchronously on its caller's thread, and a
  // checkpoint save there stalled HTTP and WebSocket answers for as long as it took
  const store = createPgliteWorkerCheckpointStore({ dataDir: join(config.data, 'pglite'), logger: logger.child({ component: 'store' }) })
  // wait for PGlite here (as when it opened on this thread): the URL printed below then means
  // the checkpoints can be read, not that the store is still starting (seconds on a busy box)
  await store.migrate()

  const processor = createProcessor({
    log, store, registry, logger: logger.child({ component: 'processor' }),
    metrics: createProcessorMetrics(metricsRegistry),
    transactionalId: 'volumer-embedded',
    windows: config.windows,
    candleIntervals: config.candleIntervals,
    cycleMs: 100,
    checkpointIntervalMs: 10_000,
    // half the embedded changelog's compaction lag (embedded-topology.ts): DELTA records
    // never outlive it, and the processor has no reason to warn that it capped them
    fullAfterMs: 60_000,
    reportAllOnRestore: true,
    // No freeze check: it guards against a processor that lost its partitions to another
    // member while stopped, and a Kafka broker that may still accept the zombie's transaction.
    // Here the processor is the group's only member and the in-process log refuses offsets from
    // a member it evicted (memory-producer.ts, at sendOffsets and at commit). On the shared
    // machine the check fired on CPU starvation alone (2-5 s without CPU at load 40-70): each
    // time the cycle was aborted and all four partitions rebuilt on the main thread, stalls of
    // 8-26 s (bench/stall-profile.ts over a soak run, 12-08).
    frozenAfterMs: Infinity
  })
  const running = processor.run()

  let edge
  try {
    // loaded here, not at the top: a failure before this point (bad flags, an unusable --data)
    // then reports without the banner uWebSockets.js prints on a Node it has no build for
    const { createEdgeServer } = await import('../edge/edge-server.js')
    edge = await createEdgeServer({
      ...config.edgeLimits,
      port: config.port,
      host: config.host,
      feed: createLogStatsFeed({ log, registry, topic: DEFAULT_TOPICS.stats, logger }),
      tokens: createLogTokenFeed({ log, registry, topic: 'tokens', logger }),
      candles: createLogCandleFeed({ log, topic: DEFAULT_TOPICS.candles!, historyTopic: DEFAULT_TOPICS.candlesHistory, logger }),
      candleIntervals: config.candleIntervals,
      logger: logger.child({ component: 'edge' }),
      metricsRegistry,
      windows: config.windows.map((w) => w.name),
      staticDir: existsSync(DASHBOARD_DIR) ? DASHBOARD_DIR : undefined
    })
  } catch (err) {
    await processor.stop()
    // PGlite keeps a timer: an unclosed store would hold the process open after the message
    await store.close()
    await log.close()
    rmSync(pidFile, { force: true })
    // only a listen failure (BAD_CONFIG) means a busy port; anything else says what it is
    if (isVolumerError(err) && err.code !== 'BAD_CONFIG') throw err
    throw new UsageError(`${(err as Error).message}: is another server using it? pass --port N`)
  }

  const encoder = await createSwapEncoder(registry, DEFAULT_TOPICS.swaps + '-value')
  const producer = await log.createProducer()
  const send = (r: SwapRecord): void => {
    producer.send({ topic: DEFAULT_TOPICS.swaps, key: Buffer.from(r.chain + ':' + r.token), value: encoder.encode(r) })
  }
  const stopFeeding = config.replay !== undefined
    ? startReplay(config.replay, config.replaySpeed, send, logger)
    : startGenerator(config, send)

  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${edge.port}`
  process.stdout.write(`
Volumer is running (embedded: in-process log, PGlite in ${config.data}, ${config.replay !== undefined ? 'replaying ' + config.replay : `generator at ${config.rate} swaps/s`}).

  Dashboard:  ${base}/
  API:        ${base}/v1/top?stat=volumeUsd&window=5m&limit=20
  WebSocket:  ${base.replace('http', 'ws')}/v1/ws
  Metrics:    ${base}/metrics

Ctrl-C to stop.
`)

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
    void running.catch((err: unknown) => { logger.fatal({ err }, 'processor failed'); resolve() })
  })
  process.stdout.write('stopping: committing and checkpointing…\n')
  stopFeeding()
  await producer.flush().catch(() => {})
  await processor.stop()
  await edge.close()
  await store.close()
  await log.close()
  rmSync(pidFile, { force: true })
  process.stdout.write('stopped.\n')
  return EXIT_OK
}

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

const GENERATOR_TICK_MS = 20

function startGenerator (config: { rate: number, tokens: number, dupRate: number, disorderMs: number }, send: (r: SwapRecord) => void): () => void {
  if (config.rate === 0) return () => {}
  const gen = createSwapGenerator({ seed: Date.now() % 1_000_000, tokens: config.tokens, dupRate: config.dupRate, disorderMs: config.disorderMs, now: Date.now() })
  // at most four ticks' worth a tick: after a stall the backlog (up to 1 s of swaps, 13 µs each
  // to generate, encode and append) is caught up over a few ticks, not in one synchronous burst
  const pacer = createPacer({ rate: config.rate, startAt: Date.now(), maxBatch: Math.max(1, Math.ceil(config.rate * 4 * GENERATOR_TICK_MS / 1000)) })
  const out: SwapRecord[] = []
  const timer = setInterval(() => {
    const now = Date.now()
    const n = pacer.due(now)
    if (n === 0) return
    out.length = 0
    gen.batch(now, n, out)
    for (const r of out) send(r)
    pacer.record(n)
  }, GENERATOR_TICK_MS)
  return () => clearInterval(timer)
}

function startReplay (file: string, speed: number, send: (r: SwapRecord) => void, logger: { warn: (o: object, m: string) => void }): () => void {
  const swaps: Swap[] = []
  for (const line of readInputText(file).split('\n')) {
    if (line.trim() === '') continue
    const s = parseSwapJson(line)
    if (isSwapReject(s)) { logger.warn({ code: s.code }, 'replay: skipping a bad line'); continue }
    swaps.push(s)
  }
  swaps.sort((a, b) => a.blockTime - b.blockTime)
  if (swaps.length === 0) return () => {}
  const startAt = Date.now()
  const timeline = createReplayTimeline({ firstTime: swaps[0].blockTime, lastTime: swaps[swaps.length - 1].blockTime, startAt, speed })
  // the first swap happens now and the file plays forward at `speed` (timeline.shift)
  let i = 0
  const timer = setInterval(() => {
    const now = Date.now()
    while (i < swaps.length && timeline.dueAt(swaps[i].blockTime) <= now) {
      const s = swaps[i++]
      send(swapToRecord({ ...s, blockTime: Math.min(now, timeline.shift(s.blockTime)) }))
    }
    if (i >= swaps.length) clearInterval(timer)
  }, 20)
  return () => clearInterval(timer)
}
