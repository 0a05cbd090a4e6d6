import { createEngine, COUNTED, DUPLICATE, LATE, type Engine, type EngineCounters, type WindowSpec } from '../engine/index.js'
import { CandleBook } from '../engine/candles.js'
import type { CandleInterval } from '../engine/candle-intervals.js'
import { createLineSplitter, swapFromLine, type LineSplitter, type NdjsonLine } from '../swap/ndjson-lines.js'
import { isSwapReject } from '../swap/swap-reject.js'
import { VolumerError } from '../errors.js'
import { statsJson } from '../codec/stats-json.js'
import { TokenShardScanner, UNCERTAIN, shardOfToken } from './token-shard.js'

/**
 * `volumer stats`' work on the lines of one shard of the tokens: bytes in (pushed chunk by
 * chunk), rejects out as they are found, and at the end the shard's output lines. No I/O of its
 * own: `volumer stats` runs one in its own thread (`--threads 1`) or one per worker thread
 * (stats-worker.ts), each seeing every chunk of the input in the same order.
 *
 * Sharding by token keeps SPEC 3 exact: the engine keys dedup, windows and traders per
 * (chain, token), and T is fixed, so a token's swaps give the same outcomes whether the other
 * tokens' swaps are beside them or not. A duplicate with an altered token field is a swap of
 * another token for the engine, in one thread as in many. Each line is counted by exactly one
 * shard (token-shard.ts): the one its token hashes to; a rejected line is reported by the shard
 * its bytes pointed to, or for a line the bytes cannot place, by shard lineNo mod shards.
 */

export interface StatsShardOptions {
  windows: readonly WindowSpec[]
  skewMs: number
  /** evaluation time T, epoch ms */
  at: number
  /** print candles of these intervals instead of stats */
  candles?: readonly CandleInterval[]
  /** this shard's number, 0 ≤ shard < shards; default 0 of 1 (every line) */
  shard?: number
  shards?: number
}

/** Rejected lines in line order: numbers, reason codes and the stderr text of each. */
export interface Rejects {
  lineNos: number[]
  codes: string[]
  texts: string[]
}

/** One output line (newline included) and its sort key (outputKey). */
export interface OutputLine {
  key: string
  line: string
}

export const newRejects = (): Rejects => ({ lineNos: [], codes: [], texts: [] })

/** `line 12: BAD_SIDE - side "HOLD" is not …`, as stderr shows every rejected line. */
export function rejectText (lineNo: number, code: string, message: string): string {
  return `line ${lineNo}: ${code} - ${message}\n`
}

export class StatsShard {
  readonly engine: Engine
  readonly #book: CandleBook | undefined
  readonly #skewMs: number
  readonly #shard: number
  readonly #shards: number
  readonly #splitter: LineSplitter
  /** numbers of the lines `select` let through without knowing their shard, in order */
  #uncertain: number[] = []
  #lines: NdjsonLine[] = []
  #read = 0
  #rejects: Rejects = newRejects()

  constructor (options: StatsShardOptions) {
    this.#shard = options.shard ?? 0
    this.#shards = options.shards ?? 1
    if (!Number.isInteger(this.#shards) || this.#shards < 1 || !Number.isInteger(this.#shard) || this.#shard < 0 || this.#shard >= this.#shards) {
      throw new VolumerError('BAD_CONFIG', `shard ${this.#shard} of ${this.#shards}: expected 0 ≤ shard < shards`)
    }
    this.#skewMs = options.skewMs
    this.engine = createEngine({ windows: [...options.windows], skewMs: options.skewMs, now: options.at })
    this.#book = options.candles === undefined ? undefined : new CandleBook([...options.candles])
    if (this.#shards === 1) {
      this.#splitter = createLineSplitter()
    } else {
      const scanner = new TokenShardScanner(this.#shards)
      const shard = this.#shard
      const uncertain = this.#uncertain
      this.#splitter = createLineSplitter({
        select: (buf, start, end, lineNo) => {
          const s = scanner.shardOf(buf, start, end)
          if (s === UNCERTAIN) { uncertain.push(lineNo); return true }
          return s === shard
        }
      })
    }
  }

  /** Lines read (non-blank), whichever shard counted them: the same in every shard. */
  get read (): number { return this.#read + this.#splitter.unselected }
  get counters (): EngineCounters { return this.engine.counters }

  push (chunk: Uint8Array): void {
    this.#splitter.push(chunk, this.#lines)
    this.#drain()
  }

  end (): void {
    this.#splitter.end(this.#lines)
    this.#drain()
  }

  /** The rejects found since the last call. */
  takeRejects (): Rejects {
    const r = this.#rejects
    this.#rejects = newRejects()
    return r
  }

  #drain (): void {
    const lines = this.#lines
    const uncertain = this.#uncertain
    const many = this.#shards > 1
    let u = 0
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      let certain = true
      if (many) {
        if (line.kind === 'oversize') certain = false
        else if (u < uncertain.length && uncertain[u] === line.lineNo) { certain = false; u++ }
      }
      this.#line(line, certain)
    }
    this.#read += lines.length
    lines.length = 0
    uncertain.length = 0
  }

  #line (line: NdjsonLine, certain: boolean): void {
    const swap = swapFromLine(line)
    if (isSwapReject(swap)) {
      if (certain || line.lineNo % this.#shards === this.#shard) this.#reject(line.lineNo, swap.code, swap.message)
      return
    }
    if (this.#shards > 1) {
      const owner = shardOfToken(swap.token, this.#shards)
      if (owner !== this.#shard) {
        if (!certain) return
        // token-shard.ts argues this cannot happen; a silent miscount would be worse than a stop
        throw new VolumerError('INTERNAL', `line ${line.lineNo}: its bytes placed token ${JSON.stringify(swap.token)} in shard ${this.#shard}, its parsed value in ${owner}`)
      }
    }
    const outcome = this.engine.ingest(swap)
    if (outcome === COUNTED) this.#book?.add(swap)
    else if (outcome !== DUPLICATE && outcome !== LATE) {
      this.#reject(line.lineNo, 'FUTURE_TIME', `blockTime ${new Date(swap.blockTime).toISOString()} is more than ${this.#skewMs} ms after --at`)
    }
  }

  #reject (lineNo: number, code: string, message: string): void {
    const r = this.#rejects
    r.lineNos.push(lineNo)
    r.codes.push(code)
    r.texts.push(rejectText(lineNo, code, message))
  }

  /**
   * What the shard prints, sorted by (chain, token): stats objects, or candles with --candles;
   * each line (with its newline) beside its key. Lazy, so that one thread can write as it renders.
   */
  * output (): Generator<OutputLine> {
    const engine = this.engine
    const book = this.#book
    if (book !== undefined) {
      book.evict(engine.horizonStart)
      const order = new Map(book.intervals.map((iv, i) => [iv.name, i]))
      const candles = book.all().filter((c) => Date.parse(c.end) > engine.horizonStart)
      candles.sort((a, b) => a.chain !== b.chain ? (a.chain < b.chain ? -1 : 1) : a.token !== b.token ? (a.token < b.token ? -1 : 1) : (order.get(a.interval)! - order.get(b.interval)!) || (Date.parse(a.start) - Date.parse(b.start)))
      for (const c of candles) yield { key: outputKey(c.chain, c.token), line: JSON.stringify(c) + '\n' }
      return
    }
    for (const stats of engine.allStats()) {
      if (!engine.hasSwapsInLongestWindow(stats)) continue
      yield { key: outputKey(stats.chain, stats.token), line: statsJson(stats) + '\n' }
    }
  }
}

/**
 * Sorts as (chain, token) does: chain and token hold no control characters (parse-swap.ts), so
 * U+0000 sorts below any character that may follow a chain that is a prefix of another.
 */
export function outputKey (chain: string, token: string): string {
  return chain + '\u0000' + token
}
