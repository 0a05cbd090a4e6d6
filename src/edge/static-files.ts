import { readFileSync, statSync } from 'node:fs'
import { extname, join, resolve, sep } from 'node:path'
import { COMPRESS_MIN_BYTES, compress, etagOf, type Encoding } from './http-body.js'

/**
 * Static files for the dashboard, from one directory. `/` serves index.html. Paths are decoded,
 * then refused if they could leave the directory (`..`, NUL, backslash). Files up to 1 MiB are
 * cached in memory with their ETag and compressed forms, keyed by path and checked against
 * mtime+size on every request (one stat), so a rebuilt dashboard is served at once.
 *
 * Synchronous on purpose: uWebSockets.js 20.30 closes a connection whose next pipelined request
 * arrives while a response is still owed, so `GET /` then `GET /healthz` in one packet got no
 * answer at all (issue #20 §2). A stat of a local file costs a few µs and a read happens once per
 * change; the dashboard's handful of files is no load worth a thread-pool round trip.
 */

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8'
}
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt'])
const MAX_CACHED_BYTES = 1024 * 1024
const MAX_CACHED_FILES = 256

export interface StaticFile {
  body: Buffer
  contentType: string
  etag: string
  /** HTML revalidates every time (it names the other assets); the rest may be reused for 5 min */
  cacheControl: string
  encoding: Encoding | null
}

interface Cached {
  mtimeMs: number
  size: number
  body: Buffer
  etag: string
  br: Buffer | null
  gzip: Buffer | null
}

export interface StaticFiles {
  /** null = no such file (or a path that is refused) */
  get (rawPath: string, encoding: Encoding | null): StaticFile | null
}

/**
 * `extra` serves single files from elsewhere at fixed paths: URL path without the leading `/`
 * (`vendor/lightweight-charts.js`) → absolute file path. Only those exact paths are mapped, so
 * they open no way out of `dir` (the dashboard's browser libraries live in node_modules).
 */
export function createStaticFiles (dir: string, extra: Readonly<Record<string, string>> = {}): StaticFiles {
  const root = resolve(dir)
  const cache = new Map<string, Cached>()
  const mapped = new Map(Object.entries(extra).map(([url, file]) => ['/' + url.replace(/^\/+/, ''), resolve(file)]))

  function safePath (rawPath: string): string | null {
    let p: string
    try { p = decodeURIComponent(rawPath) } catch { return null }
    if (p.includes('\0') || p.includes('\\')) return null
    const fixed = mapped.get(p)
    if (fixed !== undefined) return fixed
    if (p.endsWith('/')) p += 'index.html'
    const segments = p.split('/')
    if (segments.some(s => s === '..' || s === '.')) return null
    const full = join(root, ...segments)
    return full.startsWith(root + sep) ? full : null
  }

  return {
    get (rawPath, encoding) {
      const file = safePath(rawPath)
      if (file === null) return null
      let st
      try { st = statSync(file) } catch { return null }
      if (!st.isFile()) return null
      const ext = extname(file).toLowerCase()
      let c = cache.get(file)
      if (c === undefined || c.mtimeMs !== st.mtimeMs || c.size !== st.size) {
        const body = readFileSync(file)
        c = { mtimeMs: st.mtimeMs, size: st.size, body, etag: etagOf(body), br: null, gzip: null }
        if (body.length <= MAX_CACHED_BYTES) {
          if (cache.size >= MAX_CACHED_FILES) cache.delete(cache.keys().next().value as string)
          cache.set(file, c)
        }
      }
      let body = c.body
      let enc: Encoding | null = null
      if (encoding !== null && COMPRESSIBLE.has(ext) && body.length >= COMPRESS_MIN_BYTES) {
        if (encoding === 'br') { c.br ??= compress(c.body, 'br', true); body = c.br } else { c.gzip ??= compress(c.body, 'gzip', true); body = c.gzip }
        enc = encoding
      }
      return {
        body,
        contentType: TYPES[ext] ?? 'application/octet-stream',
        etag: c.etag,
        // names do not change between releases: revalidate every time (cheap: ETag → 304), so a
        // new index.html never runs with an old module
        cacheControl: ext === '.html' || ext === '.js' || ext === '.css' ? 'no-cache' : 'public, max-age=300',
        encoding: enc
      }
    }
  }
}
