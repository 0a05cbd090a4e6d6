import { VolumerError } from '../errors.js'
import { registryErrorToVolumer } from './in-process-schema-registry.js'
import type { SchemaRegistry } from './schema-registry.js'

/**
 * SchemaRegistry over Confluent's REST API with the global `fetch` (undici in Node 20).
 *
 * Why not @kafkajs/confluent-schema-registry: it bundles its own avsc usage, async per-message
 * decode and a ~30-dependency tree for two HTTP calls we make once per schema id; the codec
 * caches types by id, so the client is off the hot path and plain fetch is enough
 * (bench/codec.bench.ts compares decode throughput against that library).
 */
export interface HttpSchemaRegistryOptions {
  /** base URL, e.g. http://127.0.0.1:18081 (Redpanda: http://127.0.0.1:8081) */
  url: string
  /** per-request timeout, ms; default 5000 */
  timeoutMs?: number
  /** optional basic auth, "user:password" (never logged) */
  basicAuth?: string
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

export function createHttpSchemaRegistry (opts: HttpSchemaRegistryOptions): SchemaRegistry {
  const { timeoutMs = 5000 } = opts
  let base: URL
  try {
    base = new URL(opts.url)
  } catch (err) {
    throw new VolumerError('BAD_CONFIG', `schema registry url is not a URL: ${JSON.stringify(opts.url)} (e.g. http://127.0.0.1:18081)`, { cause: err })
  }
  const root = base.href.endsWith('/') ? base.href : base.href + '/'
  const headers: Record<string, string> = { accept: CONTENT_TYPE + ', application/json', 'content-type': CONTENT_TYPE }
  if (opts.basicAuth !== undefined) headers.authorization = 'Basic ' + Buffer.from(opts.basicAuth).toString('base64')
  // ids never change meaning, so a fetched schema is cached forever
  const byId = new Map<number, Promise<string>>()

  async function call (method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response
    try {
      res = await fetch(root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw new VolumerError('REGISTRY_UNAVAILABLE', `schema registry ${base.origin} unreachable: ${(err as Error).message}`, { cause: err, retriable: true })
    }
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      if (res.status >= 500 || !res.ok) throw registryErrorToVolumer(res.status, res.status, `schema registry answered ${res.status}: ${text.slice(0, 200)}`, err)
      throw new VolumerError('REGISTRY_UNAVAILABLE', `schema registry answered non-JSON: ${text.slice(0, 200)}`, { cause: err, retriable: true })
    }
    if (!res.ok) {
      const e = json as { error_code?: number, message?: string }
      throw registryErrorToVolumer(res.status, e.error_code ?? res.status, e.message ?? `HTTP ${res.status}`)
    }
    return json
  }

  return {
    async register (subject, schema) {
      const r = await call('POST', `subjects/${encodeURIComponent(subject)}/versions`, { schema }) as { id?: unknown }
      if (typeof r.id !== 'number') throw new VolumerError('REGISTRY_UNAVAILABLE', 'schema registry answered without an id', { retriable: true })
      return r.id
    },
    getById (id) {
      let p = byId.get(id)
      if (p === undefined) {
        p = (async () => {
          const r = await call('GET', `schemas/ids/${id}`) as { schema?: unknown }
          if (typeof r.schema !== 'string') throw new VolumerError('REGISTRY_UNAVAILABLE', 'schema registry answered without a schema', { retriable: true })
          return r.schema
        })()
        byId.set(id, p)
        // failures are not cached: the next call asks again
        p.catch(() => byId.delete(id))
      }
      return p
    },
    async close () {},
  }
}
