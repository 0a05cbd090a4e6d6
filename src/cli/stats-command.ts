import { availableParallelism } from 'node:os'
import { openInputFile } from './input-file.js'
import { DEFAULT_WINDOW_LIST } from '../engine/windows.js'
import { runStatsShards, type ShardedStatsResult } from '../batch/sharded-stats.js'
import type { Rejects } from '../batch/stats-shard.js'
import { parseFlags, timeFlag, windowsFlag, durationFlag, candleIntervalsFlag, intFlag } from './flags.js'
import { UsageError, EXIT_OK } from './cli-error.js'

const MAX_THREADS = 64

/** One worker per core the process may use: the default of --threads (1 runs in this thread). */
function defaultThreads (): number {
  return Math.min(MAX_THREADS, Math.max(1, availableParallelism()))
}

export const STATS_HELP = `Usage: volumer stats [--at TIME] [--windows LIST] [--skew DURATION] [--candles LIST] [--threads N] [FILE|-]

Reads swaps (NDJSON, one per line, any order, duplicates allowed) from FILE (FILE.gz is
decompressed) or stdin, evaluates
every window at time T and prints one stats object per line for each token with at least one
counted swap in the longest window, sorted by (chain, token). Bad lines are reported on stderr
with their line number and reason code; a summary goes to stderr.

  --at TIME          evaluation time T, ISO 8601 or epoch ms (default: now)
  --windows LIST     windows, e.g. 5m,1h,24h or 5m:10s (LENGTH:STEP); default ${DEFAULT_WINDOW_LIST}
  --skew DURATION    how far ahead of T a blockTime may be before it is rejected (default 60s)
  --candles LIST     print candles of these intervals instead (e.g. 1m,1h): one per line, as the
                     candles topic carries them, every candle ending after the horizon at T,
                     sorted by (chain, token, interval, start)
  --threads N        worker threads, each computing the tokens that hash to it (default: the
                     cores this process may use; 1: read, parse and compute in one thread);
                     the output is the same whatever N
  -h, --help         this text
`

export async function statsCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    at: { type: 'string' },
    windows: { type: 'string' },
    skew: { type: 'string' },
    candles: { type: 'string' },
    threads: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  })
  if (values.help === true) { process.stdout.write(STATS_HELP); return EXIT_OK }
  if (positionals.length > 1) throw new UsageError(`expected at most one input file, got ${positionals.length}`)
  const at = typeof values.at === 'string' ? timeFlag('at', values.at) : Date.now()
  const windows = windowsFlag('windows', typeof values.windows === 'string' ? values.windows : DEFAULT_WINDOW_LIST)
  const skewMs = typeof values.skew === 'string' ? durationFlag('skew', values.skew) : 60_000
  const input = positionals[0] ?? '-'
  const candles = typeof values.candles === 'string' ? candleIntervalsFlag('candles', values.candles) : undefined
  const threads = typeof values.threads === 'string' ? intFlag('threads', values.threads, 1, MAX_THREADS) : defaultThreads()
  const source = input === '-' ? process.stdin : openInputFile(input)

  const rejected = new Map<string, number>()
  let errText = ''
  const onRejects = (r: Rejects): void => {
    for (let i = 0; i < r.codes.length; i++) {
      rejected.set(r.codes[i], (rejected.get(r.codes[i]) ?? 0) + 1)
      errText += r.texts[i]
    }
    if (errText.length > 1 << 16) { process.stderr.write(errText); errText = '' }
  }
  let result: ShardedStatsResult
  try {
    result = await runStatsShards(source, { windows, skewMs, at, candles }, threads, onRejects)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES') throw new UsageError(`cannot read ${input}: ${e.message}`)
    throw err
  }
  process.stderr.write(errText)

  for (const piece of result.output) await write(piece)
  const c = result.counters
  const reasons = [...rejected].sort(([a], [b]) => a < b ? -1 : 1).map(([code, n]) => `${code} ${n}`).join(', ')
  const total = [...rejected.values()].reduce((a, b) => a + b, 0)
  process.stderr.write(`summary: read ${result.read}, counted ${c.counted}, duplicates ${c.duplicates}, late ${c.late}, rejected ${total}${reasons === '' ? '' : ' (' + reasons + ')'}\n`)
  return EXIT_OK
}

function write (text: string | Uint8Array): Promise<void> {
  if (text.length === 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => err == null ? resolve() : reject(err))
  })
}
