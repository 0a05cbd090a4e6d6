import type { OutputLine } from './stats-shard.js'

/**
 * A worker's output lines as UTF-8 bytes in one ArrayBuffer that is transferred (not copied) to
 * the main thread, which merges the shards by key and writes byte slices. Structured-cloning
 * the lines as strings would copy them (the bench:peers file gives 186 MB of output) and leave
 * the encoding to the one thread that writes.
 *
 *   bytes: [line 0 ………\n][line 1 ……\n][line 2 …………\n]…
 *   ends:             e0          e1             e2      (line i = bytes[e(i-1), e(i)))
 *   keys:            k0          k1             k2       (sorted: outputKey order)
 */
export interface EncodedOutput {
  keys: string[]
  ends: number[]
  bytes: ArrayBuffer
}

export function encodeOutput (lines: Iterable<OutputLine>): EncodedOutput {
  const keys: string[] = []
  const ends: number[] = []
  let buf = Buffer.allocUnsafeSlow(1 << 20)
  let at = 0
  for (const { key, line } of lines) {
    // a UTF-16 unit takes at most 3 UTF-8 bytes
    const need = at + line.length * 3
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, buf.length * 2))
      buf.copy(bigger, 0, 0, at)
      buf = bigger
    }
    at += buf.write(line, at, 'utf8')
    keys.push(key)
    ends.push(at)
  }
  // allocUnsafeSlow: the Buffer owns its whole ArrayBuffer (no pool), so it can be transferred;
  // the bytes past the last end are unused
  return { keys, ends, bytes: buf.buffer as ArrayBuffer }
}

/**
 * Shard outputs (each sorted by key) merged into one key order, as pieces of about `pieceBytes`.
 * A token lives in one shard, so equal keys (a token's candles) come from one shard in order.
 */
export function * mergeEncoded (parts: EncodedOutput[], pieceBytes = 1 << 20): Generator<Uint8Array> {
  const at = new Array<number>(parts.length).fill(0)
  const views = parts.map((p) => new Uint8Array(p.bytes))
  let piece = Buffer.allocUnsafe(pieceBytes)
  let len = 0
  for (;;) {
    let best = -1
    for (let p = 0; p < parts.length; p++) {
      if (at[p] < parts[p].keys.length && (best === -1 || parts[p].keys[at[p]] < parts[best].keys[at[best]])) best = p
    }
    if (best === -1) break
    const i = at[best]++
    const from = i === 0 ? 0 : parts[best].ends[i - 1]
    const to = parts[best].ends[i]
    if (len + (to - from) > piece.length && len > 0) {
      yield piece.subarray(0, len)
      piece = Buffer.allocUnsafe(Math.max(pieceBytes, to - from))
      len = 0
    }
    if (to - from > piece.length) piece = Buffer.allocUnsafe(to - from)
    piece.set(views[best].subarray(from, to), len)
    len += to - from
  }
  if (len > 0) yield piece.subarray(0, len)
}
