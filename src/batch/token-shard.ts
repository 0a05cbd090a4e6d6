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

// Horspool skip table for KEY: how far the window may move when its last byte is b.
// measured: the key search was 600 ms of a worker's 13.7 s on the bench:peers file with
// Buffer#indexOf (a native call and a search set-up per line); this loop skips ~6 bytes a step.
const SKIP = new Uint8Array(256).fill(KEY.length)
for (let i = 0; i < KEY.length - 1; i++) SKIP[KEY[i]] = KEY.length - 1 - i
const KEY_LAST = KEY[KEY.length - 1]

/** First `"token"` in buf[from, to), or -1. */
function findKey (buf: Buffer, from: number, to: number): number {
  const m = KEY.length
  let i = from + m - 1
  while (i < to) {
    const b = buf[i]
    if (b === KEY_LAST && buf[i - 3] === 107 /* k */ && buf[i - 6] === QUOTE && buf[i - 5] === 116 /* t */ &&
      buf[i - 4] === 111 /* o */ && buf[i - 2] === 101 /* e */ && buf[i - 1] === 110 /* n */) return i - m + 1
    i += SKIP[b]
  }
  return -1
}

/**
 * Reads the shard of lines. The backslash search result is kept until the lines pass it: one
 * native search usually covers a whole chunk, where a search per line would run on to the end of
 * the chunk every time (quadratic on a file whose lines hold none).
 */
export class TokenShardScanner {
  readonly #shards: number
  #buf: Buffer | undefined = undefined
  /** next backslash at or after the last line asked about (buf.length: none) */
  #backslash = -1
  /** end of the last line asked about: a line before it means the buffer was refilled */
  #end = 0

  constructor (shards: number) {
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`)
    this.#shards = shards
  }

  /**
   * The shard of the line buf[start, end), or UNCERTAIN. Lines of a buffer come in order
   * (one that starts before the last one ended restarts the search).
   */
  shardOf (buf: Buffer, start: number, end: number): number {
    if (buf !== this.#buf || start < this.#end) { this.#buf = buf; this.#backslash = -1 }
    this.#end = end
    if (this.#backslash < start) {
      const at = buf.indexOf(BACKSLASH, start)
      this.#backslash = at === -1 ? buf.length : at
    }
    if (this.#backslash < end) return UNCERTAIN
    const k = findKey(buf, start, end)
    if (k === -1 || findKey(buf, k + 1, end) !== -1) return UNCERTAIN
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
