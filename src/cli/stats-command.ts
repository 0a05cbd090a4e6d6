import { openInputFile } from './input-file.js'
import { statsJson } from '../codec/stats-json.js'
import { createEngine, COUNTED, DUPLICATE, LATE } from '../engine/index.js'
import { DEFAULT_WINDOW_LIST } from '../engine/windows.js'
import { readNdjsonBatches, swapFromLine } from '../swap/ndjson-lines.js'
import { isSwapReject } from '../swap/swap-reject.js'
import { parseFlags, timeFlag, windowsFlag, durationFlag, candleIntervalsFlag } from './flags.js'
import { UsageError, EXIT_OK } from './cli-error.js'
import { CandleBook } from '../engine/candles.js'

export const STATS_HELP = `Usage: volumer stats [--at TIME] [--windows LIST] [--skew DURATION] [--candles LIST] [FILE|-]

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
  -h, --help         this text
`

export async function statsCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    at: { type: 'string' },
    windows: { type: 'string' },
    skew: { type: 'string' },
    candles: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  })
  if (values.help === true) { process.stdout.write(STATS_HELP); return EXIT_OK }
  if (positionals.length > 1) throw new UsageError(`expected at most one input file, got ${positionals.length}`)
  const at = typeof values.at === 'string' ? timeFlag('at', values.at) : Date.now()
  const windows = windowsFlag('windows', typeof values.windows === 'string' ? values.windows : DEFAULT_WINDOW_LIST)
  const skewMs = typeof values.skew === 'string' ? durationFlag('skew', values.skew) : 60_000
  const input = positionals[0] ?? '-'
  const source = input === '-' ? process.stdin : openInputFile(input)

  const engine = createEngine({ windows, skewMs, now: at })
  const book = typeof values.candles === 'string' ? new CandleBook(candleIntervalsFlag('candles', values.candles)) : undefined
  const rejected = new Map<string, number>()
  let read = 0
  let errText = ''
  const reject = (lineNo: number, code: string, message: string): void => {
    rejected.set(code, (rejected.get(code) ?? 0) + 1)
    errText += `line ${lineNo}: ${code} - ${message}\n`
    if (errText.length > 1 << 16) { process.stderr.write(errText); errText = '' }
  }
  try {
    for await (const batch of readNdjsonBatches(source)) {
      for (const line of batch) {
        read++
        const swap = swapFromLine(line)
        if (isSwapReject(swap)) { reject(line.lineNo, swap.code, swap.message); continue }
        const outcome = engine.ingest(swap)
        if (outcome === COUNTED) book?.add(swap)
        else if (outcome !== DUPLICATE && outcome !== LATE) {
          reject(line.lineNo, 'FUTURE_TIME', `blockTime ${new Date(swap.blockTime).toISOString()} is more than ${skewMs} ms after --at`)
        }
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES') throw new UsageError(`cannot read ${input}: ${e.message}`)
    throw err
  }
  process.stderr.write(errText)

  let out = ''
  if (book !== undefined) {
    book.evict(engine.horizonStart)
    const order = new Map(book.intervals.map((iv, i) => [iv.name, i]))
    const candles = book.all().filter((c) => Date.parse(c.end) > engine.horizonStart)
    candles.sort((a, b) => a.chain !== b.chain ? (a.chain < b.chain ? -1 : 1) : a.token !== b.token ? (a.token < b.token ? -1 : 1) : (order.get(a.interval)! - order.get(b.interval)!) || (Date.parse(a.start) - Date.parse(b.start)))
    for (const c of candles) {
      out += JSON.stringify(c) + '\n'
      if (out.length > 1 << 16) { await write(out); out = '' }
    }
  }
  for (const stats of book === undefined ? engine.allStats() : []) {
    if (!engine.hasSwapsInLongestWindow(stats)) continue
    out += statsJson(stats) + '\n'
    if (out.length > 1 << 16) { await write(out); out = '' }
  }
  await write(out)
  const c = engine.counters
  const reasons = [...rejected].sort(([a], [b]) => a < b ? -1 : 1).map(([code, n]) => `${code} ${n}`).join(', ')
  const total = [...rejected.values()].reduce((a, b) => a + b, 0)
  process.stderr.write(`summary: read ${read}, counted ${c.counted}, duplicates ${c.duplicates}, late ${c.late}, rejected ${total}${reasons === '' ? '' : ' (' + reasons + ')'}\n`)
  return EXIT_OK
}

function write (text: string): Promise<void> {
  if (text === '') return Promise.resolve()
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => err == null ? resolve() : reject(err))
  })
}
