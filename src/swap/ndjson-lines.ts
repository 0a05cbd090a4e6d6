import { isUtf8 } from 'node:buffer'
import type { Swap } from './swap.js'
import { MAX_RECORD_BYTES, oversizeRecord, parseSwapJson } from './parse-swap.js'
import { SwapReject } from './swap-reject.js'

/**
 * NDJSON framing: bytes in, numbered lines out. No I/O of its own — it reads whatever async
 * iterable of chunks it is given (a file stream, process.stdin, a test's array).
 *
 *   chunk k                         chunk k+1
 *   ┌──────────────────────────────┬────────────────────────┐
 *   │ …line 7\n line 8\r\n line 9… │ …rest of 9\n\n line 11 │
 *   └──────────────────────────────┴────────────────────────┘
 *             complete lines are decoded straight from the chunk;
 *             the tail "line 9…" is copied into `pending` until its newline arrives.
 *
 * - Line numbers are 1-based and count every line, including skipped ones, so they match what
 *   an editor shows.
 * - "\r\n" and "\n" both end a line; a last line without a newline still counts.
 * - Empty lines and lines of only spaces/tabs are skipped (not reported).
 * - A UTF-8 byte order mark at the start of line 1 is dropped.
 * - A line longer than `maxLineBytes` is never held in memory: once its pending part passes the
 *   limit the bytes are dropped and only counted until its newline, then it is reported as
 *   `oversize`. Memory stays at one chunk plus `maxLineBytes`, whatever the input.
 * - Bytes that are not valid UTF-8 are reported as `bad-utf8` instead of being silently turned
 *   into U+FFFD (which would make two different byte strings the same id).
 */

export type NdjsonLine =
  | { readonly kind: 'line', readonly lineNo: number, readonly text: string }
  | { readonly kind: 'oversize', readonly lineNo: number, readonly bytes: number }
  | { readonly kind: 'bad-utf8', readonly lineNo: number, readonly bytes: number }

export interface LineSplitterOptions {
  /** longest line kept, in bytes without its line ending; default MAX_RECORD_BYTES (64 KiB) */
  maxLineBytes?: number
  /**
   * Asked about every non-blank line that fits, with its bytes (line ending and a first line's
   * BOM already removed) before they are decoded: false leaves the line out (it is only counted,
   * in `unselected`). `volumer stats --threads` uses it so that each worker decodes only the
   * lines of its own tokens (src/batch/token-shard.ts). Oversize lines are never asked about.
   */
  select?: (buf: Buffer, start: number, end: number, lineNo: number) => boolean
}

export interface LineSplitter {
  /** Split `chunk`, appending every line it completes to `out`. */
  push (chunk: Uint8Array, out: NdjsonLine[]): void
  /** End of input: flush a last line that had no newline. */
  end (out: NdjsonLine[]): void
  /** lines seen so far (the number of the last line started) */
  readonly lineNo: number
  /** non-blank lines that `select` left out */
  readonly unselected: number
}

const NL = 10
const CR = 13
const SPACE = 32
const TAB = 9

class NdjsonLineSplitter implements LineSplitter {
  readonly #max: number
  readonly #select: LineSplitterOptions['select']
  #lineNo = 0
  #unselected = 0
  // the unfinished last line of earlier chunks (copies, so no chunk is retained)
  #pending: Buffer[] = []
  #pendingBytes = 0
  // inside an oversize line: its bytes are counted and dropped until the next newline
  #skipping = false
  #skippedBytes = 0

  constructor (maxLineBytes: number, select: LineSplitterOptions['select']) {
    this.#max = maxLineBytes
    this.#select = select
  }

  get lineNo (): number { return this.#lineNo }
  get unselected (): number { return this.#unselected }

  push (input: Uint8Array, out: NdjsonLine[]): void {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    const len = chunk.length
    let pos = 0
    while (pos < len) {
      const nl = chunk.indexOf(NL, pos)
      if (nl === -1) {
        this.#hold(chunk, pos, len)
        return
      }
      if (this.#skipping) {
        this.#skipping = false
        out.push({ kind: 'oversize', lineNo: ++this.#lineNo, bytes: this.#skippedBytes + (nl - pos) })
        this.#skippedBytes = 0
      } else if (this.#pendingBytes > 0) {
        const total = this.#pendingBytes + (nl - pos)
        if (total > this.#max) {
          out.push({ kind: 'oversize', lineNo: ++this.#lineNo, bytes: total })
        } else {
          this.#pending.push(chunk.subarray(pos, nl))
          const whole = Buffer.concat(this.#pending, total)
          this.#emit(whole, 0, total, out)
        }
        this.#pending = []
        this.#pendingBytes = 0
      } else if (nl - pos > this.#max) {
        out.push({ kind: 'oversize', lineNo: ++this.#lineNo, bytes: nl - pos })
      } else {
        this.#emit(chunk, pos, nl, out)
      }
      pos = nl + 1
    }
  }

  end (out: NdjsonLine[]): void {
    if (this.#skipping) {
      this.#skipping = false
      out.push({ kind: 'oversize', lineNo: ++this.#lineNo, bytes: this.#skippedBytes })
      this.#skippedBytes = 0
    } else if (this.#pendingBytes > 0) {
      const whole = Buffer.concat(this.#pending, this.#pendingBytes)
      this.#pending = []
      this.#pendingBytes = 0
      this.#emit(whole, 0, whole.length, out)
    }
  }

  /** Keep the tail of a chunk that has no newline yet, or start skipping once it is too long. */
  #hold (chunk: Buffer, from: number, to: number): void {
    const n = to - from
    if (this.#skipping) {
      this.#skippedBytes += n
    } else if (this.#pendingBytes + n > this.#max) {
      this.#skipping = true
      this.#skippedBytes = this.#pendingBytes + n
      this.#pending = []
      this.#pendingBytes = 0
    } else {
      this.#pending.push(Buffer.from(chunk.subarray(from, to))) // copy: do not pin the whole chunk
      this.#pendingBytes += n
    }
  }

  #emit (buf: Buffer, start: number, end: number, out: NdjsonLine[]): void {
    const lineNo = ++this.#lineNo
    if (end > start && buf[end - 1] === CR) end--
    if (lineNo === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3
    if (end === start) return
    const first = buf[start]
    if (first === SPACE || first === TAB) {
      let i = start
      while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++
      if (i === end) return
    }
    if (this.#select !== undefined && !this.#select(buf, start, end, lineNo)) { this.#unselected++; return }
    const text = buf.toString('utf8', start, end)
    // The decoder maps invalid bytes to U+FFFD. Only when one appears is it worth asking whether
    // the input held a real U+FFFD (valid) or broken bytes (not JSON: RFC 8259 requires UTF-8).
    if (text.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(start, end))) {
      out.push({ kind: 'bad-utf8', lineNo, bytes: end - start })
      return
    }
    out.push({ kind: 'line', lineNo, text })
  }
}

export function createLineSplitter (options: LineSplitterOptions = {}): LineSplitter {
  const max = options.maxLineBytes ?? MAX_RECORD_BYTES
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(`maxLineBytes must be a positive integer, got ${String(max)}`)
  }
  return new NdjsonLineSplitter(max, options.select)
}

/**
 * The lines of `source` in batches, one batch per input chunk that completes any line.
 * Batches rather than single lines: an async generator step costs about as much as validating a
 * short swap, so per-line yields would be a large share of `volumer stats` over a big file.
 */
export async function * readNdjsonBatches (
  source: AsyncIterable<Uint8Array | string>,
  options: LineSplitterOptions = {},
): AsyncGenerator<NdjsonLine[]> {
  const splitter = createLineSplitter(options)
  let out: NdjsonLine[] = []
  for await (const chunk of source) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk, out)
    if (out.length > 0) {
      yield out
      out = []
    }
  }
  splitter.end(out)
  if (out.length > 0) yield out
}

/** The lines of `source` one at a time: the convenient form for small inputs and tests. */
export async function * readNdjsonLines (
  source: AsyncIterable<Uint8Array | string>,
  options: LineSplitterOptions = {},
): AsyncGenerator<NdjsonLine> {
  for await (const batch of readNdjsonBatches(source, options)) yield * batch
}

/** A framed line to a Swap, or the reason it is not one (oversize and bad UTF-8 included). */
export function swapFromLine (line: NdjsonLine): Swap | SwapReject {
  switch (line.kind) {
    case 'line': return parseSwapJson(line.text)
    case 'oversize': return oversizeRecord(line.bytes)
    case 'bad-utf8': return new SwapReject('INVALID_JSON', `record is not valid UTF-8 (${line.bytes} bytes)`)
  }
}
