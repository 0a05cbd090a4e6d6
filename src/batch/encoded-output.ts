import type { OutputLine } from './stats-shard.js'

/**
 * A worker's output lines as UTF-8 bytes in ArrayBuffers that are transferred (not copied) to
 * the main thread, which merges the shards by key and writes byte slices. Structured-cloning
 * the lines as strings would copy them (the bench:peers file gives 186 MB of output) and leave
 * the encoding to the one thread that writes.
 *
 *   blocks[0]: [line 0 ………\n][line 1 ……\n]…      blocks[1]: [line 7 …\n]…
 *   ends:               e0          e1    …                     e7        (end in its block)
 *   block:               0           0    …                      1
 *   keys:               k0          k1    …                     k7        (sorted: outputKey order)
 *
 * Blocks of BLOCK_BYTES, a new one when a line does not fit: no copy to grow one buffer
 * (measured: growing by doubling was 2 % of a worker's time).
 */
export interface EncodedOutput {
  keys: string[]
  /** the line's end offset in its block; it starts where the previous line of the block ends */
  ends: number[]
  /** the line's block */
  block: number[]
  blocks: ArrayBuffer[]
}

const BLOCK_BYTES = 4 << 20

export function encodeOutput (lines: Iterable<OutputLine>): EncodedOutput {
  const keys: string[] = []
  const ends: number[] = []
  const block: number[] = []
  const blocks: ArrayBuffer[] = []
  let buf: Buffer | undefined
  let at = 0
  for (const { key, line } of lines) {
    // a UTF-16 unit takes at most 3 UTF-8 bytes
    const need = line.length * 3
    if (buf === undefined || at + need > buf.length) {
      // allocUnsafeSlow: the Buffer owns its whole ArrayBuffer (no pool), so it can be transferred
      buf = Buffer.allocUnsafeSlow(Math.max(BLOCK_BYTES, need))
      blocks.push(buf.buffer as ArrayBuffer)
      at = 0
    }
    at += buf.write(line, at, 'utf8')
    keys.push(key)
    ends.push(at)
    block.push(blocks.length - 1)
  }
  return { keys, ends, block, blocks }
}

/**
 * Shard outputs (each sorted by key) merged into one key order, as pieces of about `pieceBytes`.
 * A token lives in one shard, so equal keys (a token's candles) come from one shard in order.
 */
export function * mergeEncoded (parts: EncodedOutput[], pieceBytes = 1 << 20): Generator<Uint8Array> {
  const at = new Array<number>(parts.length).fill(0)
  const views = parts.map((p) => p.blocks.map((b) => new Uint8Array(b)))
  let piece = Buffer.allocUnsafe(pieceBytes)
  let len = 0
  for (;;) {
    let best = -1
    for (let p = 0; p < parts.length; p++) {
      if (at[p] < parts[p].keys.length && (best === -1 || parts[p].keys[at[p]] < parts[best].keys[at[best]])) best = p
    }
    if (best === -1) break
    const part = parts[best]
    const i = at[best]++
    const b = part.block[i]
    const from = i === 0 || part.block[i - 1] !== b ? 0 : part.ends[i - 1]
    const to = part.ends[i]
    if (len + (to - from) > piece.length && len > 0) {
      yield piece.subarray(0, len)
      piece = Buffer.allocUnsafe(Math.max(pieceBytes, to - from))
      len = 0
    }
    if (to - from > piece.length) piece = Buffer.allocUnsafe(to - from)
    piece.set(views[best][b].subarray(from, to), len)
    len += to - from
  }
  if (len > 0) yield piece.subarray(0, len)
}
