import { openInputFile } from './input-file.js'
import type { Readable } from 'node:stream'
import { VolumerError } from '../errors.js'
import type { Log, Producer } from '../log/log.js'
import { LogError } from '../log/log-errors.js'
import { createSwapEncoder, createTokenMetaEncoder, swapToRecord, tokenMetaToJson, type SchemaRegistry, type SwapRecord } from '../codec/index.js'
import { isTokenReject, tokenKey, type TokenMeta } from '../token/token-meta.js'
import { tokenMetaFromLine } from '../token/token-lines.js'
import { readNdjsonBatches, swapFromLine, type NdjsonLine } from '../swap/ndjson-lines.js'
import { isSwapReject } from '../swap/swap-reject.js'
import { createPacer, createReplayTimeline, createSwapGenerator, DEFAULT_CHAINS, swapRecordToJson } from '../generator/index.js'
import { parseFlags, resolve, durationFlag, intFlag, numberFlag, timeFlag } from './flags.js'
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionsFrom, connectLog, connectRegistry, type Connections } from './connections.js'
import { createLogger } from './logger.js'
import { UsageError, EXIT_OK } from './cli-error.js'

export const PRODUCE_HELP = `Usage: volumer produce [options] [FILE|-]
       volumer produce --generate [--rate N] [--tokens N] [--dup-rate F] [--disorder S] [--duration D | --count N] [--seed N]
       volumer produce --replay FILE [--speed F]
       volumer produce --tokens FILE

Sends swaps to <prefix>swaps, keyed chain:token, as Avro in the Confluent wire format (schema
registered under <prefix>swaps-value). Three sources:
  FILE|-       NDJSON swaps (SPEC section 2; a FILE ending in .gz is decompressed); invalid lines
               are reported on stderr with their line number and code, and skipped
  --generate   the built-in generator (docs/produce.md): Zipf token activity over several chains,
               price random walks, bots, bursts, duplicates and block disorder, paced at --rate
  --replay F   an NDJSON file (or .gz) with blockTimes shifted so its last swap lands at "now"
  --tokens F   not swaps: token metadata (NDJSON {chain,token,symbol,name,decimals,logoUrl?},
               or .gz) to <prefix>tokens, Avro under <prefix>tokens-value; without --generate
               (where --tokens N is the number of generated tokens)
Progress goes to stderr every --report-every and a summary at the end. SIGINT/SIGTERM stop
cleanly: what was sent is flushed first.

Output:
  --json                 send canonical JSON values instead of Avro (no registry needed)
  --raw                  FILE mode: send each line's bytes as they are (invalid ones too: tests
                         the processor's DLQ); key chain:token when the line has both, else none
  --stdout               write canonical NDJSON to stdout instead of Kafka (no broker needed)
  --linger D             producer batching delay (VOLUMER_PRODUCE_LINGER; default 5ms)
  --report-every D       progress interval on stderr (VOLUMER_PRODUCE_REPORT_EVERY; default 5s)
Generator (--generate):
  --rate N               swaps per second, 0 = as fast as possible (VOLUMER_PRODUCE_RATE; default 1000)
  --tokens N             number of tokens (VOLUMER_PRODUCE_TOKENS; default 1000)
  --chains LIST          chains, from ${DEFAULT_CHAINS.join(',')} (VOLUMER_PRODUCE_CHAINS; default all)
  --zipf S               Zipf exponent of token activity (VOLUMER_PRODUCE_ZIPF; default 1.1)
  --dup-rate F           share of records that repeat an earlier one, 0..0.99 (VOLUMER_PRODUCE_DUP_RATE; default 0)
  --disorder S           blocks arrive up to S late: seconds, or a duration like 500ms (VOLUMER_PRODUCE_DISORDER; default 0)
  --bursts N             bursts starting per minute (VOLUMER_PRODUCE_BURSTS; default 1)
  --seed N               random seed (VOLUMER_PRODUCE_SEED; default random, printed in the summary)
  --duration D           stop after D (e.g. 30s, 10m)
  --count N              stop after N swaps
  --start TIME           backfill: event time starts at TIME (ISO 8601 or epoch ms) and advances
                         1/rate per swap, sent as fast as possible; with --seed and --count the
                         output is the same on every run
Replay (--replay FILE):
  --speed F              replay at F× the recorded pace, blockTime = send time (default: all at once)
  --id-suffix S          append S to every id, so a second replay is not deduplicated
${CONNECTION_HELP}  -h, --help
`

const FLAGS = {
  ...CONNECTION_FLAGS,
  generate: { type: 'boolean' as const },
  replay: { type: 'string' as const },
  raw: { type: 'boolean' as const },
  json: { type: 'boolean' as const },
  stdout: { type: 'boolean' as const },
  linger: { type: 'string' as const },
  'report-every': { type: 'string' as const },
  rate: { type: 'string' as const },
  tokens: { type: 'string' as const },
  chains: { type: 'string' as const },
  zipf: { type: 'string' as const },
  'dup-rate': { type: 'string' as const },
  disorder: { type: 'string' as const },
  bursts: { type: 'string' as const },
  seed: { type: 'string' as const },
  duration: { type: 'string' as const },
  count: { type: 'string' as const },
  start: { type: 'string' as const },
  speed: { type: 'string' as const },
  'id-suffix': { type: 'string' as const },
  help: { type: 'boolean' as const, short: 'h' },
}

type Values = Record<string, string | boolean | string[] | undefined>

interface ProduceConfig {
  readonly mode: 'file' | 'generate' | 'replay' | 'tokens'
  readonly input: string
  readonly encoding: 'avro' | 'json' | 'raw'
  readonly toStdout: boolean
  readonly lingerMs: number
  readonly reportEveryMs: number
  readonly rate: number
  readonly tokens: number
  readonly chains: readonly string[]
  readonly zipf: number
  readonly dupRate: number
  readonly disorderMs: number
  readonly burstsPerMinute: number
  readonly seed: number
  readonly durationMs: number | undefined
  readonly count: number | undefined
  /** backfill: virtual event time from here */
  readonly startTime: number | undefined
  readonly speed: number | undefined
  readonly idSuffix: string
}

/** flag → VOLUMER_PRODUCE_<FLAG> env var */
function env (values: Values, flag: string): string | undefined {
  return resolve(values, flag, 'VOLUMER_PRODUCE_' + flag.toUpperCase().replace(/-/g, '_'))
}

function configFrom (values: Values, positionals: string[]): ProduceConfig {
  const generate = values.generate === true
  const replay = typeof values.replay === 'string' ? values.replay : undefined
  if (generate && replay !== undefined) throw new UsageError('--generate and --replay exclude each other')
  if (positionals.length > 1) throw new UsageError(`expected at most one input file, got ${positionals.length}`)
  if ((generate || replay !== undefined) && positionals.length > 0) {
    throw new UsageError(`an input file ("${positionals[0]}") cannot be combined with ${generate ? '--generate' : '--replay'}`)
  }
  // --tokens is a count with --generate and a metadata file otherwise (only as a flag: the
  // env var VOLUMER_PRODUCE_TOKENS stays the generator's count)
  const tokensFile = !generate && typeof values.tokens === 'string' ? values.tokens : undefined
  if (tokensFile !== undefined && (replay !== undefined || positionals.length > 0)) throw new UsageError('--tokens FILE sends token metadata; it cannot be combined with swap input (--tokens N, the number of generated tokens, only applies with --generate)')
  if (tokensFile === '' || tokensFile === '-') throw new UsageError('--tokens needs a file of token metadata')
  const mode = generate ? 'generate' : replay !== undefined ? 'replay' : tokensFile !== undefined ? 'tokens' : 'file'
  if (replay === '-' || replay === '') throw new UsageError('--replay needs a file (it is read twice: once for its time range, once to send)')
  if (values.raw === true && mode !== 'file') throw new UsageError('--raw only applies to FILE input')
  if (values.raw === true && values.json === true) throw new UsageError('--raw and --json exclude each other')
  const toStdout = values.stdout === true
  if (toStdout && values.raw === true) throw new UsageError('--stdout writes canonical JSON; --raw does not apply')
  const genOnly = ['rate', 'chains', 'zipf', 'dup-rate', 'disorder', 'bursts', 'seed', 'duration', 'count', 'start']
  if (mode !== 'generate') for (const f of genOnly) if (typeof values[f] === 'string') throw new UsageError(`--${f} only applies with --generate`)
  for (const f of ['speed', 'id-suffix']) if (mode !== 'replay' && typeof values[f] === 'string') throw new UsageError(`--${f} only applies with --replay`)
  if (typeof values.duration === 'string' && typeof values.count === 'string') throw new UsageError('--duration and --count exclude each other')
  if (typeof values.start === 'string' && typeof values.count !== 'string') throw new UsageError('--start needs --count (a backfill is sent as fast as possible)')

  const chainsText = env(values, 'chains')
  const chains = chainsText === undefined ? DEFAULT_CHAINS : chainsText.split(',').map((c) => c.trim()).filter((c) => c !== '')
  for (const c of chains) if (!DEFAULT_CHAINS.includes(c)) throw new UsageError(`--chains: unknown chain "${c}"; known: ${DEFAULT_CHAINS.join(', ')}`)
  if (chains.length === 0) throw new UsageError('--chains: name at least one chain')
  if (new Set(chains).size !== chains.length) throw new UsageError(`--chains: "${chainsText ?? ''}" names a chain twice`)
  const seedText = env(values, 'seed')
  const speedText = typeof values.speed === 'string' ? values.speed : undefined
  const speed = speedText === undefined ? undefined : numberFlag('speed', speedText, Number.MIN_VALUE, 1e9)
  if (speed === 0) throw new UsageError('--speed: must be > 0')
  const config: ProduceConfig = Object.freeze({
    mode,
    input: replay ?? tokensFile ?? positionals[0] ?? '-',
    encoding: values.raw === true ? 'raw' : values.json === true || toStdout ? 'json' : 'avro',
    toStdout,
    lingerMs: durationFlag('linger', env(values, 'linger') ?? '5ms'),
    reportEveryMs: durationFlag('report-every', env(values, 'report-every') ?? '5s'),
    rate: numberFlag('rate', env(values, 'rate') ?? '1000', 0, 10_000_000),
    tokens: intFlag('tokens', (mode === 'tokens' ? undefined : env(values, 'tokens')) ?? '1000', 1, 10_000_000),
    chains,
    zipf: numberFlag('zipf', env(values, 'zipf') ?? '1.1', 0.01, 5),
    dupRate: numberFlag('dup-rate', env(values, 'dup-rate') ?? '0', 0, 0.99),
    disorderMs: secondsOrDuration('disorder', env(values, 'disorder') ?? '0'),
    burstsPerMinute: numberFlag('bursts', env(values, 'bursts') ?? '1', 0, 10_000),
    seed: seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : intFlag('seed', seedText, 0, Number.MAX_SAFE_INTEGER),
    durationMs: typeof values.duration === 'string' ? durationFlag('duration', values.duration) : undefined,
    count: typeof values.count === 'string' ? intFlag('count', values.count, 0, Number.MAX_SAFE_INTEGER) : undefined,
    startTime: typeof values.start === 'string' ? timeFlag('start', values.start) : undefined,
    speed,
    idSuffix: typeof values['id-suffix'] === 'string' ? values['id-suffix'] : '',
  })
  if (config.startTime !== undefined && config.rate === 0) throw new UsageError('--start needs a --rate > 0: event time advances 1/rate per swap')
  return config
}

/** "5" = 5 s, "1.5" = 1.5 s, or a duration with a unit ("500ms", "2m") */
function secondsOrDuration (name: string, text: string): number {
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(numberFlag(name, text, 0, 86_400) * 1000)
  return durationFlag(name, text)
}

// ---------------------------------------------------------------------------------------------
// Sinks: where encoded records go. Both batch: Kafka through librdkafka's queue (linger.ms), stdout
// through a string buffer written in 64 KiB pieces.

interface Sink {
  /** queues one record; false when the queue is full (await flush(), then send it again) */
  send (key: string | null, value: Buffer | string): boolean
  flush (): Promise<void>
  close (): Promise<void>
}

function kafkaSink (producer: Producer, topic: string): Sink {
  return {
    send (key, value) {
      try {
        producer.send({ topic, key: key === null ? null : Buffer.from(key), value: typeof value === 'string' ? Buffer.from(value) : value })
        return true
      } catch (err) {
        // librdkafka's local queue is full: the caller flushes and sends again
        if (err instanceof LogError && err.retriable) return false
        throw err
      }
    },
    flush: async () => { await producer.flush() },
    close: async () => { await producer.close() },
  }
}

function stdoutSink (): Sink {
  let buf = ''
  const write = (text: string): Promise<void> => new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => err == null ? resolve() : reject(err))
  })
  return {
    send (_key, value) {
      // a full buffer asks the caller to flush: stdout's backpressure reaches the loop
      if (buf.length > 1 << 16) return false
      buf += (typeof value === 'string' ? value : value.toString('utf8')) + '\n'
      return true
    },
    async flush () { const text = buf; buf = ''; if (text !== '') await write(text) },
    async close () { await this.flush() },
  }
}

/**
 * The slow path after a full queue. The hot path calls sink.send directly and awaits only here,
 * so a record costs no promise (measured: no difference above the noise of the shared machine,
 * 46–62k/s unpaced either way; kept because it is no more code).
 */
async function resend (sink: Sink, key: string | null, value: Buffer | string): Promise<void> {
  await sink.flush()
  if (!sink.send(key, value)) throw new VolumerError('BROKER_UNAVAILABLE', 'producer queue still full after a flush', { retriable: true })
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr

class Progress {
  readonly #startAt: number
  readonly #everyMs: number
  readonly #tokens = new Set<string>()
  readonly #skipped = new Map<string, number>()
  #sent = 0
  #read = 0
  #lastAt: number
  #lastSent = 0
  #errText = ''

  constructor (startAt: number, everyMs: number) {
    this.#startAt = startAt
    this.#everyMs = everyMs
    this.#lastAt = startAt
  }

  get sent (): number { return this.#sent }

  read (): void { this.#read++ }

  sentOne (key: string | null): void {
    this.#sent++
    if (key !== null) this.#tokens.add(key)
  }

  skip (lineNo: number, code: string, message: string): void {
    this.#skipped.set(code, (this.#skipped.get(code) ?? 0) + 1)
    this.#errText += `line ${lineNo}: ${code} - ${message}\n`
    if (this.#errText.length > 1 << 16) this.flushErrors()
  }

  flushErrors (): void {
    if (this.#errText !== '') process.stderr.write(this.#errText)
    this.#errText = ''
  }

  /** a progress line when the interval has passed */
  tick (now: number, extra: string): void {
    if (now - this.#lastAt < this.#everyMs) return
    this.flushErrors()
    const dt = (now - this.#lastAt) / 1000
    const delta = this.#sent - this.#lastSent
    process.stderr.write(`produce: sent ${this.#sent} (+${delta} in ${dt.toFixed(1)}s = ${(delta / dt).toFixed(1)}/s), tokens ${this.#tokens.size}${extra}\n`)
    this.#lastAt = now
    this.#lastSent = this.#sent
  }

  summary (now: number, mode: ProduceConfig['mode'], extra: string): string {
    this.flushErrors()
    const secs = Math.max(1e-3, (now - this.#startAt) / 1000)
    const skippedTotal = [...this.#skipped.values()].reduce((a, b) => a + b, 0)
    const reasons = [...this.#skipped].sort(([a], [b]) => a < b ? -1 : 1).map(([c, n]) => `${c} ${n}`).join(', ')
    const readPart = mode === 'generate' ? '' : `read ${this.#read}, `
    const skipPart = mode === 'generate' ? '' : `, skipped ${skippedTotal}${reasons === '' ? '' : ' (' + reasons + ')'}`
    return `summary: ${readPart}sent ${this.#sent} in ${secs.toFixed(1)}s (${(this.#sent / secs).toFixed(1)}/s)${skipPart}, tokens ${this.#tokens.size}${extra}\n`
  }
}

// ---------------------------------------------------------------------------------------------

/** Stops the loops on SIGINT/SIGTERM; `sleep` wakes early when stopping. */
class Stopper {
  stopped = false
  #wake: (() => void) | undefined
  readonly abort = new AbortController()
  readonly #onSignal = (): void => this.stop()

  install (): void {
    process.once('SIGINT', this.#onSignal)
    process.once('SIGTERM', this.#onSignal)
  }

  uninstall (): void {
    process.off('SIGINT', this.#onSignal)
    process.off('SIGTERM', this.#onSignal)
  }

  stop (): void {
    if (this.stopped) return
    this.stopped = true
    this.abort.abort()
    this.#wake?.()
  }

  sleep (ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done (): void { clearTimeout(t); resolve() }
      this.#wake = done
    })
  }
}

const now = (): number => Date.now()

export async function produceCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS)
  if (values.help === true) { process.stdout.write(PRODUCE_HELP); return EXIT_OK }
  const config = configFrom(values, positionals)
  const conn = connectionsFrom(values)
  const logger = createLogger(conn.logLevel ?? 'warn', 'produce')
  const stopper = new Stopper()
  stopper.install()
  let log: Log | undefined
  let registry: SchemaRegistry | undefined
  let sink: Sink | undefined
  try {
    if (config.toStdout) {
      sink = stdoutSink()
    } else {
      log = await connectLog(conn, logger, stopper.abort.signal)
      const topic = conn.topicPrefix + (config.mode === 'tokens' ? 'tokens' : 'swaps')
      await checkTopic(log, topic)
      if (config.encoding === 'avro') registry = await connectRegistry(conn, logger, stopper.abort.signal)
      sink = kafkaSink(await log.createProducer({ lingerMs: config.lingerMs }), topic)
    }
    if (config.mode === 'tokens') {
      await runTokens(config, sink, await tokenEncoderFor(config, registry, conn), stopper)
      return EXIT_OK
    }
    const encode = await encoderFor(config, registry, conn)
    if (config.mode === 'generate') await runGenerate(config, sink, encode, stopper)
    else if (config.mode === 'replay') await runReplay(config, sink, encode, stopper)
    else await runFile(config, sink, encode, stopper)
    return EXIT_OK
  } catch (err) {
    // a signal while still connecting ends the retries: that is a clean stop, not a failure
    if (stopper.stopped && sink === undefined) return EXIT_OK
    throw err
  } finally {
    stopper.uninstall()
    await sink?.close().catch((err: unknown) => logger.error({ err }, 'closing the producer failed'))
    await registry?.close().catch(() => {})
    await log?.close().catch(() => {})
  }
}

async function checkTopic (log: Log, topic: string): Promise<void> {
  const admin = await log.createAdmin()
  try {
    // without this, a broker with auto.create.topics.enable would make a 1-partition topic and
    // every key would land on partition 0
    const found = await admin.describeTopics([topic])
    if (found.length === 0) throw new VolumerError('UNKNOWN_TOPIC', `topic "${topic}" does not exist: create the topics first with "volumer topology apply"`)
  } finally {
    await admin.close()
  }
}

type Encode = (record: SwapRecord) => Buffer | string

async function encoderFor (config: ProduceConfig, registry: SchemaRegistry | undefined, conn: Connections): Promise<Encode> {
  if (config.encoding === 'avro' && registry !== undefined) {
    const encoder = await createSwapEncoder(registry, conn.topicPrefix + 'swaps-value')
    return (r) => encoder.encode(r)
  }
  return swapRecordToJson
}

function keyOf (r: { chain: string, token: string }): string {
  return r.chain + ':' + r.token
}

// ---------------------------------------------------------------------------------------------
// --generate

async function runGenerate (config: ProduceConfig, sink: Sink, encode: Encode, stopper: Stopper): Promise<void> {
  const startAt = now()
  const backfill = config.startTime !== undefined
  const gen = createSwapGenerator({
    seed: config.seed, tokens: config.tokens, chains: config.chains, zipfExponent: config.zipf,
    dupRate: config.dupRate, disorderMs: config.disorderMs, burstsPerMinute: config.burstsPerMinute, now: config.startTime ?? startAt,
  })
  const progress = new Progress(startAt, config.reportEveryMs)
  const limit = config.count ?? Infinity
  const endAt = config.durationMs === undefined ? Infinity : startAt + config.durationMs
  // a backfill runs on virtual event time: swap i happens at start + i/rate, sent unpaced
  const eventTime = backfill ? (i: number): number => (config.startTime as number) + Math.floor(i * 1000 / config.rate) : undefined
  const pacer = config.rate > 0 && !backfill ? createPacer({ rate: config.rate, startAt }) : undefined
  // unpaced: batches of this many, yielding between them so delivery reports and signals run
  const UNPACED_BATCH = 5000
  process.stderr.write(`produce: generating ${backfill ? `a backfill from ${new Date(config.startTime as number).toISOString()} at ${config.rate}/s of event time` : config.rate > 0 ? config.rate + '/s' : 'as fast as possible'}, ${config.tokens} tokens on ${config.chains.join(',')}, dup-rate ${config.dupRate}, disorder ${config.disorderMs}ms, seed ${config.seed}\n`)
  const extra = (): string => `, duplicates ${gen.counters.duplicates}, bursts ${gen.counters.burstsStarted}${pacer !== undefined && pacer.skipped > 0 ? `, behind by ${pacer.skipped} (not sent)` : ''}`
  while (!stopper.stopped && progress.sent < limit) {
    const t = now()
    if (t >= endAt) break
    let n = pacer === undefined ? UNPACED_BATCH : pacer.due(t)
    if (n > limit - progress.sent) n = limit - progress.sent
    for (let i = 0; i < n; i++) {
      const r = gen.next(eventTime === undefined ? t : eventTime(progress.sent))
      const key = keyOf(r)
      const value = encode(r)
      if (!sink.send(key, value)) await resend(sink, key, value)
      progress.sentOne(key)
    }
    pacer?.record(n)
    progress.tick(t, extra())
    if (progress.sent >= limit) break
    // ticks of at least 2 ms: per-record timers would cost more than the records at high rates
    if (pacer === undefined) await new Promise((resolve) => setImmediate(resolve))
    else await stopper.sleep(Math.max(2, Math.min(pacer.waitMs(now()), endAt - now(), 100)))
  }
  await sink.flush()
  process.stderr.write(progress.summary(now(), 'generate', `${extra()}, seed ${config.seed}`))
}

// ---------------------------------------------------------------------------------------------
// FILE | -

function openInput (input: string, stopper: Stopper): Readable | NodeJS.ReadStream {
  const source = input === '-' ? process.stdin : openInputFile(input)
  // a signal ends the read loop at once, even while waiting on stdin
  stopper.abort.signal.addEventListener('abort', () => source.destroy())
  return source
}

async function * lines (input: string, stopper: Stopper): AsyncGenerator<NdjsonLine[]> {
  const source = openInput(input, stopper)
  try {
    for await (const batch of readNdjsonBatches(source)) {
      if (stopper.stopped) return
      yield batch
    }
  } catch (err) {
    if (stopper.stopped) return
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES') throw new UsageError(`cannot read ${input}: ${e.message}`)
    throw err
  }
}

/** the key of a raw line: chain:token when the line is an object with both as strings */
function rawKey (text: string): string | null {
  try {
    const o = JSON.parse(text) as unknown
    if (typeof o === 'object' && o !== null) {
      const { chain, token } = o as { chain?: unknown, token?: unknown }
      if (typeof chain === 'string' && typeof token === 'string') return chain + ':' + token
    }
  } catch { /* not JSON: sent without a key, the processor rejects it to the DLQ */ }
  return null
}

/** what one input line becomes: a record to send, or the reason it is skipped */
type LineOutcome = { key: string | null, value: Buffer | string } | { code: string, message: string }

/** reads the input's lines, sends what `toSend` makes of each, counts skips; `what` names the summary */
async function sendLines (config: ProduceConfig, sink: Sink, stopper: Stopper, what: 'file' | 'tokens', toSend: (line: NdjsonLine) => LineOutcome): Promise<void> {
  const progress = new Progress(now(), config.reportEveryMs)
  for await (const batch of lines(config.input, stopper)) {
    for (const line of batch) {
      progress.read()
      const out = toSend(line)
      if ('code' in out) { progress.skip(line.lineNo, out.code, out.message); continue }
      if (!sink.send(out.key, out.value)) await resend(sink, out.key, out.value)
      progress.sentOne(out.key)
    }
    progress.tick(now(), '')
  }
  await sink.flush()
  process.stderr.write(progress.summary(now(), what, ''))
}

async function runFile (config: ProduceConfig, sink: Sink, encode: Encode, stopper: Stopper): Promise<void> {
  await sendLines(config, sink, stopper, 'file', (line) => {
    if (config.encoding === 'raw') {
      // the line reader kept no bytes of it (oversize) or they are not UTF-8 text
      if (line.kind !== 'line') return { code: line.kind === 'oversize' ? 'OVERSIZE_RECORD' : 'INVALID_JSON', message: `${line.bytes} bytes cannot be sent as a raw line` }
      return { key: rawKey(line.text), value: line.text }
    }
    const swap = swapFromLine(line)
    if (isSwapReject(swap)) return swap
    const record = swapToRecord(swap)
    return { key: keyOf(record), value: encode(record) }
  })
}

// ---------------------------------------------------------------------------------------------
// --tokens FILE: token metadata to the compacted `tokens` topic, keyed chain:token

async function tokenEncoderFor (config: ProduceConfig, registry: SchemaRegistry | undefined, conn: Connections): Promise<(m: TokenMeta) => Buffer | string> {
  if (config.encoding === 'avro' && registry !== undefined) {
    const encoder = await createTokenMetaEncoder(registry, conn.topicPrefix + 'tokens-value')
    return (m) => encoder.encode(m)
  }
  return tokenMetaToJson
}

async function runTokens (config: ProduceConfig, sink: Sink, encode: (m: TokenMeta) => Buffer | string, stopper: Stopper): Promise<void> {
  await sendLines(config, sink, stopper, 'tokens', (line) => {
    const meta = tokenMetaFromLine(line)
    return isTokenReject(meta) ? meta : { key: tokenKey(meta), value: encode(meta) }
  })
}

// ---------------------------------------------------------------------------------------------
// --replay FILE

async function runReplay (config: ProduceConfig, sink: Sink, encode: Encode, stopper: Stopper): Promise<void> {
  // pass 1: the file's time range (lines are validated again, and reported, in pass 2)
  let first = Infinity
  let last = -Infinity
  for await (const batch of lines(config.input, stopper)) {
    for (const line of batch) {
      const swap = swapFromLine(line)
      if (isSwapReject(swap)) continue
      if (swap.blockTime < first) first = swap.blockTime
      if (swap.blockTime > last) last = swap.blockTime
    }
  }
  if (stopper.stopped) return
  const startAt = now()
  const progress = new Progress(startAt, config.reportEveryMs)
  if (first === Infinity) {
    first = last = startAt // no valid swap: pass 2 only reports the lines
  }
  const timeline = createReplayTimeline({ firstTime: first, lastTime: last, startAt, speed: config.speed })
  process.stderr.write(`produce: replaying ${config.input} (${new Date(first).toISOString()} .. ${new Date(last).toISOString()})${config.speed === undefined ? ' at once, ending now' : ` at ${config.speed}x, ${((timeline.endsAt - startAt) / 1000).toFixed(1)}s`}\n`)
  for await (const batch of lines(config.input, stopper)) {
    for (const line of batch) {
      progress.read()
      const swap = swapFromLine(line)
      if (isSwapReject(swap)) { progress.skip(line.lineNo, swap.code, swap.message); continue }
      const wait = timeline.dueAt(swap.blockTime) - now()
      if (wait >= 2) {
        await stopper.sleep(wait)
        if (stopper.stopped) break
        progress.tick(now(), '')
      }
      const record = swapToRecord(swap)
      record.blockTime = timeline.shift(swap.blockTime)
      if (config.idSuffix !== '') record.id += config.idSuffix
      const key = keyOf(record)
      const value = encode(record)
      if (!sink.send(key, value)) await resend(sink, key, value)
      progress.sentOne(key)
    }
    if (stopper.stopped) break
    progress.tick(now(), '')
  }
  await sink.flush()
  process.stderr.write(progress.summary(now(), 'replay', ''))
}
