import { compress, etagOf, type Encoding } from './http-body.js'
import { parseTopParams, topBody, topRows, type ApiContext, type TopParams } from './http-api.js'

/**
 * Encoded /v1/top answers, kept until the store next changes. A ranked answer of 500 rows costs
 * ~5 ms of CPU to render (2,000 tokens; issue #20), so the same query asked again before any
 * record arrived is served from here: the body as a Buffer (uWS writes it without a copy), its
 * ETag, and its compressed forms, each made once.
 *
 *   store change ──► generation++            answer(q) ──► key = stat|window|order|limit|chain
 *                                                     │ hit, same generation ──► cached bytes
 *                                                     └ miss ──► render, keep (oldest dropped past maxBytes)
 *
 * Any record empties it (not only one that moves this list): the test is one integer compare and
 * updates come in batches (the processor's cycle), so between batches every repeated query is a
 * hit. Bytes held are capped (`maxBytes`): a client rotating distinct queries evicts, it does not grow.
 */
export interface CachedAnswer {
  readonly key: string
  readonly body: Buffer
  readonly etag: string
  gzip: Buffer | null
  br: Buffer | null
}

export interface TopCache {
  /** the answer to a /v1/top query (parameters validated like parseTopParams) */
  answer (get: (name: string) => string | undefined): CachedAnswer
  /** compressed form of an answer, made once */
  compressed (a: CachedAnswer, enc: Encoding): Buffer
  /** the store changed: every answer is stale */
  invalidate (): void
  readonly size: number
  readonly bytes: number
}

function keyOf (p: TopParams): string {
  return p.stat + '|' + (p.window ?? '') + '|' + (p.descending ? 'd' : 'a') + '|' + p.limit + '|' + (p.chain ?? '')
}

function sizeOf (a: CachedAnswer): number {
  return a.body.length + (a.gzip?.length ?? 0) + (a.br?.length ?? 0)
}

export function createTopCache (ctx: ApiContext, maxBytes: number): TopCache {
  const answers = new Map<string, CachedAnswer>()
  let bytes = 0

  function trim (): void {
    // Map iteration is insertion order: the oldest answer goes first
    for (const [k, a] of answers) {
      if (bytes <= maxBytes) return
      answers.delete(k)
      bytes -= sizeOf(a)
    }
  }

  return {
    get size () { return answers.size },
    get bytes () { return bytes },
    answer (get) {
      const p = parseTopParams(ctx, get)
      const key = keyOf(p)
      const hit = answers.get(key)
      if (hit !== undefined) return hit
      const body = Buffer.from(topBody(p, topRows(ctx, p)))
      const a: CachedAnswer = { key, body, etag: etagOf(body), gzip: null, br: null }
      answers.set(key, a)
      bytes += body.length
      trim()
      return a
    },
    compressed (a, enc) {
      let out = enc === 'br' ? a.br : a.gzip
      if (out !== null) return out
      out = compress(a.body, enc)
      if (enc === 'br') a.br = out
      else a.gzip = out
      // counted only while it is still held (it may have been trimmed meanwhile)
      if (answers.get(a.key) === a) { bytes += out.length; trim() }
      return out
    },
    invalidate () {
      if (answers.size === 0) return
      answers.clear()
      bytes = 0
    }
  }
}
