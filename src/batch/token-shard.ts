/**
 * Which worker of `volumer stats --threads N` owns a line: the one its token hashes to, decided
 * from the line's bytes before any of them is decoded, so each worker decodes, parses and
 * ingests only its own share and skips the rest at the cost of a byte search.
 *
 *   {"id":"0x…:3","chain":"arbitrum",…,"token":"0x0794…1684","quoteToken":…}
 *                                       └─────┘ └──────────┘
 *                                        the key  the value's bytes → FNV-1a → shard
 *
 * The bytes are trusted only when JSON.parse must agree with them, i.e. when the line
 *   - holds no backslash (so no string has an escape: the top-level key `token` is spelled
 *     `"token"`, and a value ends at the next quote),
 *   - holds the 7 bytes `"token"` exactly once (a duplicate key, whose last value JSON.parse
 *     keeps, shows twice; a nested `token` key leaves the top level without one: MISSING_FIELD),
 *   - has `:"` right after it and a closing quote before the line ends.
 * In valid JSON without backslashes a `"` followed by `token"` can only open a string whose
 * content is `token` (after a closing quote only `,:]}` or white space may come), so the one
 * occurrence is that key and the bytes up to the next quote are its value, exactly. Any other
 * line is UNCERTAIN: every worker parses it and keeps it only if the parsed token is its own
 * (`shardOfToken`), and its reject, if it is one, is reported by one worker chosen by line number.
 * `shardOfToken` hashes the UTF-8 bytes of the parsed string, so both routes agree.
 */

export const UNCERTAIN = -1

const QUOTE = 34
const COLON = 58
const BACKSLASH = 92
const KEY = Buffer.from('"token"', 'latin1')

/** FNV-1a over bytes, finished with murmur3's fmix32 so that `% shards` takes mixed bits. */
function finish (h: number, shards: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16
  return (h >>> 0) % shards
}

/** The shard of a token string: the same as `TokenShardScanner.shardOf` on its UTF-8 bytes. */
export function shardOfToken (token: string, shards: number): number {
  let h = 0x811c9dc5 | 0
  const n = token.length
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i)
    if (c >= 0x80) return shardOfBytes(Buffer.from(token, 'utf8'), shards)
    h = Math.imul(h ^ c, 0x01000193)
  }
  return finish(h, shards)
}

function shardOfBytes (bytes: Uint8Array, shards: number): number {
  let h = 0x811c9dc5 | 0
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return finish(h, shards)
}

/**
 * Reads the shard of consecutive lines of one buffer after another. Each search result is kept
 * until the lines pass it: a search that finds nothing inside a line would otherwise run on to
 * the end of the chunk for every line (quadratic on a file whose lines all lack the key).
 */
export class TokenShardScanner {
  readonly #shards: number
  #buf: Buffer | undefined = undefined
  /** next `"token"` at or after the last line asked about (buf.length: none) */
  #key = -1
  /** next backslash, likewise */
  #backslash = -1
  /** end of the last line asked about: a line before it means the buffer was refilled */
  #end = 0

  constructor (shards: number) {
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`)
    this.#shards = shards
  }

  /** The shard of the line buf[start, end), or UNCERTAIN. Lines of a buffer come in order
   * (one that starts before the last one ended restarts the searches). */
  shardOf (buf: Buffer, start: number, end: number): number {
    if (buf !== this.#buf || start < this.#end) { this.#buf = buf; this.#key = -1; this.#backslash = -1 }
    this.#end = end
    if (this.#backslash < start) this.#backslash = found(buf.indexOf(BACKSLASH, start), buf)
    if (this.#backslash < end) return UNCERTAIN
    if (this.#key < start) this.#key = found(buf.indexOf(KEY, start), buf)
    const k = this.#key
    if (k >= end) return UNCERTAIN
    this.#key = found(buf.indexOf(KEY, k + 1), buf)
    if (this.#key < end) return UNCERTAIN
    let i = k + KEY.length
    if (i + 1 >= end || buf[i] !== COLON || buf[i + 1] !== QUOTE) return UNCERTAIN
    i += 2
    let h = 0x811c9dc5 | 0
    for (; i < end; i++) {
      const b = buf[i]
      if (b === QUOTE) return finish(h, this.#shards)
      h = Math.imul(h ^ b, 0x01000193)
    }
    return UNCERTAIN
  }
}

function found (at: number, buf: Buffer): number {
  return at === -1 ? buf.length : at
}
