import { compress, etagOf, type Encoding } from './http-body.js'
import { parseTopParams, topBody, topRows, type ApiContext, type TopParams } from './http-api.js'
import { compareRankValue, rankValueOf, type RankValue } from './rank-value.js'
import type { TokenEntry } from './stats-store.js'

/**
 * Encoded /v1/top answers, kept until the store next changes. A ranked answer of 500 rows costs
 * ~5 ms of CPU to render (2,000 tokens; issue #20), so the same query asked again before any
 * record arrived is served from here: the body as a Buffer (uWS writes it without a copy), its
 * ETag, and its compressed forms, each made once.
 *
 *   answer(q) ──► key = stat|window|order|limit|chain ──► hit ──► cached bytes
 *                                                   └ miss ──► render, keep (oldest dropped past maxBytes)
 *   record for token k ──► drop each answer k can change:
 *                            k is a row of it (its numbers are in the body), or
 *                            the list is not full, or k's new value ranks at or past its last row
 *
 * The same test the WebSocket ranked lists use (ws-hub.ts onStoreChange): a record for a token
 * that ranks nowhere near a list leaves that list's bytes valid, so the answer is never stale and
 * a busy feed does not empty the whole cache. Ties with the last row drop it (the key order
 * decides, and it is not worth reading). Bytes held are capped (`maxBytes`): a client rotating
 * distinct queries evicts, it does not grow.
 */
export interface CachedAnswer {
  readonly key: string
  readonly params: TopParams
  /** the keys of its rows */
  readonly members: ReadonlySet<string>
  /** the value of its last row; undefined while the list is shorter than its limit */
  readonly edge: RankValue | null | undefined
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
  /** a record for `key` was applied (entry null = removed): drops the answers it can change */
  invalidate (key: string, entry: TokenEntry | null): void
  readonly size: number
  readonly bytes: number
}

function keyOf (p: TopParams): string {
  return p.stat + '|' + (p.window ?? '') + '|' + (p.descending ? 'd' : 'a') + '|' + p.limit + '|' + (p.chain ?? '')
}

function sizeOf (a: CachedAnswer): number {
  return a.body.length + (a.gzip?.length ?? 0) + (a.br?.length ?? 0)
}

/** whether a token that is not a row of `a` may now rank within it */
function mayEnter (a: CachedAnswer, entry: TokenEntry): boolean {
  const p = a.params
  if (p.chain !== null && entry.chain !== p.chain) return false
  if (a.edge === undefined || a.edge === null) return true // not full, or null rows at the end
  const v = rankValueOf(entry.current(), p.stat, p.window ?? '')
  if (v === null) return false // nulls rank after every value, and the last row has one
  const c = compareRankValue(v, a.edge)
  return p.descending ? c >= 0 : c <= 0
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
      const rows = topRows(ctx, p)
      const body = Buffer.from(topBody(p, rows, '', ctx.names))
      const members = new Set<string>()
      for (const r of rows) members.add(r.entry.key)
      const edge = rows.length < p.limit ? undefined : rows[rows.length - 1].value
      const a: CachedAnswer = { key, params: p, members, edge, body, etag: etagOf(body), gzip: null, br: null }
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
    invalidate (key, entry) {
      if (answers.size === 0) return
      for (const [k, a] of answers) {
        if (a.members.has(key) || (entry !== null && mayEnter(a, entry))) {
          answers.delete(k)
          bytes -= sizeOf(a)
        }
      }
    }
  }
}
