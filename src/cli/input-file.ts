import { createReadStream, readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { createGunzip, gunzipSync } from 'node:zlib'

/*
 * NDJSON input files, plain or gzip-compressed: a name ending in `.gz` is decompressed with
 * Node's built-in zlib (no dependency). The project ships its sample swaps that way
 * (samples/README.md: 0.9 MB instead of 4.5 MB), and a user's exports often are.
 */

export function isGzipPath (path: string): boolean {
  return path.endsWith('.gz')
}

/** A stream of the file's (decompressed) bytes; read errors (ENOENT...) reach its consumer. */
export function openInputFile (path: string, highWaterMark = 1 << 20): Readable {
  const raw = createReadStream(path, { highWaterMark })
  if (!isGzipPath(path)) return raw
  const gunzip = createGunzip({ chunkSize: highWaterMark })
  raw.once('error', (err) => gunzip.destroy(err))
  // destroying the output (a signal) closes the file too
  gunzip.once('close', () => raw.destroy())
  return raw.pipe(gunzip)
}

/** The whole file's bytes (decompressed), for inputs read at once. */
export function readInputBytes (path: string): Buffer {
  const buf = readFileSync(path)
  return isGzipPath(path) ? gunzipSync(buf) : buf
}

/** The whole file as text (decompressed), for inputs read at once (`volumer run --replay`). */
export function readInputText (path: string): string {
  return readInputBytes(path).toString('utf8')
}
