/**
 * NDJSON parse + validate throughput: the shared sample data, framed by the line splitter and
 * run through parseSwapJson, cycled for a fixed time. In memory (no disk reads inside the timed
 * loop), in chunks of 64 KiB like a file stream delivers them.
 *
 *   node --import tsx bench/parse.bench.ts      prints the figures, writes bench/results/parse.json
 *   PARSE_BENCH_MS=1000 …                       shorter run
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { readInputBytes, readInputText } from '../src/cli/input-file.js'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { createLineSplitter, type NdjsonLine } from '../src/swap/ndjson-lines.js'
import { parseSwapJson } from '../src/swap/parse-swap.js'
import { isSwapReject } from '../src/swap/swap-reject.js'

const here = dirname(fileURLToPath(import.meta.url))
// npm scripts run at the repository root; the sample ships gzip-compressed (samples/README.md)
// and is decompressed once, before anything is timed
export const SAMPLE_PATH = process.env.VOLUMER_SAMPLE_DATA ?? join(process.cwd(), 'samples', 'ethereum-mainnet-swaps-2021-06.ndjson.gz')
const CHUNK = 64 * 1024

export interface ParseBenchResult {
  linesPerSec: number
  mbPerSec: number
}

export interface ParseBenchOptions {
  /** how long to keep cycling the data, ms (default 3000) */
  durationMs?: number
  path?: string
}

export async function benchParse (options: ParseBenchOptions = {}): Promise<ParseBenchResult> {
  const durationMs = options.durationMs ?? Number(process.env.PARSE_BENCH_MS ?? 3000)
  const data = readInputBytes(options.path ?? SAMPLE_PATH)
  const chunks: Buffer[] = []
  for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.subarray(i, Math.min(i + CHUNK, data.length)))

  // warm-up pass so the timed loop measures optimised code
  runOnce(chunks)

  let lines = 0
  let bytes = 0
  let rejects = 0
  const start = process.hrtime.bigint()
  let elapsedNs = 0
  while (elapsedNs < durationMs * 1e6) {
    const r = runOnce(chunks)
    lines += r.lines
    rejects += r.rejects
    bytes += data.length
    elapsedNs = Number(process.hrtime.bigint() - start)
  }
  if (rejects > 0) throw new Error(`benchmark data produced ${rejects} rejects; the sample should be clean`)
  const seconds = elapsedNs / 1e9
  return { linesPerSec: Math.round(lines / seconds), mbPerSec: Math.round(bytes / 1e6 / seconds * 10) / 10 }
}

function runOnce (chunks: Buffer[]): { lines: number, rejects: number } {
  const splitter = createLineSplitter()
  const out: NdjsonLine[] = []
  let lines = 0
  let rejects = 0
  for (const chunk of chunks) {
    out.length = 0
    splitter.push(chunk, out)
    for (let i = 0; i < out.length; i++) {
      const line = out[i]
      lines++
      if (line.kind !== 'line' || isSwapReject(parseSwapJson(line.text))) rejects++
    }
  }
  out.length = 0
  splitter.end(out)
  for (const line of out) {
    lines++
    if (line.kind !== 'line' || isSwapReject(parseSwapJson(line.text))) rejects++
  }
  return { lines, rejects }
}

/**
 * Reference point on the same machine at the same moment: JSON.parse alone over the same lines.
 * The ratio to linesPerSec is what validation costs, and it holds up when other work on a shared
 * machine moves the absolute numbers.
 */
export function benchJsonParseOnly (durationMs = 1000, path = SAMPLE_PATH): number {
  const lines = readInputText(path).split('\n').filter(l => l.length > 0)
  for (const l of lines) JSON.parse(l)
  let n = 0
  const start = process.hrtime.bigint()
  let elapsedNs = 0
  while (elapsedNs < durationMs * 1e6) {
    for (let i = 0; i < lines.length; i++) JSON.parse(lines[i])
    n += lines.length
    elapsedNs = Number(process.hrtime.bigint() - start)
  }
  return Math.round(n / (elapsedNs / 1e9))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const load = loadavg()[0]
  const result = await benchParse()
  const jsonParseOnlyLinesPerSec = benchJsonParseOnly()
  const record = {
    bench: 'parse',
    what: 'NDJSON split + JSON.parse + validate, shared sample cycled in memory, one core',
    ...result,
    jsonParseOnlyLinesPerSec,
    loadAverage1m: Math.round(load * 100) / 100,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    at: new Date().toISOString(),
  }
  console.log(JSON.stringify(record))
  const file = join(process.cwd(), 'bench', 'results', 'parse.json')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n')
}
