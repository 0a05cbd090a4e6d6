import http from 'node:http'
import { pino, type Logger } from 'pino'
import { createRegistryCore, RegistryError, type RegistryCore } from './registry-core.js'
import { listenHttp } from '../http-listen.js'
import { orCloseOpened } from '../close-on-failure.js'
import { createMemorySchemaStorage, type SchemaStorage } from './schema-record.js'

/**
 * A small Confluent-compatible schema registry over node:http (not a hot path: clients cache
 * schemas by id). The subset Volumer, rpk and the Confluent serdes use:
 *
 *   GET  /subjects                              -> ["swaps-value", ...]
 *   GET  /subjects/{s}/versions                 -> [1, 2]
 *   POST /subjects/{s}/versions  {"schema"}     -> {"id": 1}
 *   GET  /subjects/{s}/versions/{v|latest}      -> {"subject","version","id","schema"}
 *   GET  /subjects/{s}/versions/{v}/schema      -> the schema itself
 *   POST /subjects/{s}           {"schema"}     -> {"subject","version","id","schema"} (lookup)
 *   GET  /schemas/ids/{id}                      -> {"schema"}
 *   GET  /config, PUT /config                   -> {"compatibilityLevel"} / {"compatibility"}
 *   GET  /config/{s}, PUT /config/{s}
 *
 * Errors are Confluent's JSON: {"error_code": 40401, "message": "..."}. docs/registry.md.
 */
export interface RegistryServerOptions {
  /** TCP port; 0 picks an ephemeral one (tests). CLI default 18081. */
  port?: number
  /** default 127.0.0.1: a registry accepts writes from anyone who reaches it */
  host?: string
  /** default: in-memory (lost at exit); pass the log-backed storage for a durable registry */
  storage?: SchemaStorage
  logger?: Logger
  /** largest request body accepted, bytes; default 1 MiB (Avro schemas are a few KiB) */
  maxBodyBytes?: number
}

export interface RegistryServer {
  readonly port: number
  readonly url: string
  readonly core: RegistryCore
  close (): Promise<void>
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

export async function createRegistryServer (opts: RegistryServerOptions = {}): Promise<RegistryServer> {
  const { port = 18081, host = '127.0.0.1', maxBodyBytes = 1 << 20 } = opts
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`registry: port must be an integer 0..65535, got ${port}`)
  const log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'registry' })
  const core = await createRegistryCore(opts.storage ?? createMemorySchemaStorage())

  const server = http.createServer((req, res) => {
    handle(core, req, maxBodyBytes).then(
      ({ status, body }) => send(res, status, body),
      (err: unknown) => {
        if (err instanceof RegistryError) return send(res, err.status, { error_code: err.errorCode, message: err.message })
        log.error({ err }, 'registry request failed')
        send(res, 500, { error_code: 50001, message: 'Error in the backend data store' })
      },
    )
  })
  // when listening fails the core is closed: its storage (a reader on _schemas) would keep the
  // caller's process alive
  const bound = await orCloseOpened(listenHttp(server, port, host), [core])
  log.info({ port: bound, host }, 'schema registry listening')
  return {
    port: bound,
    url: `http://${host}:${bound}`,
    core,
    async close () {
      await new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await core.close()
    },
  }
}

function send (res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

interface Reply { status: number, body: unknown }

async function handle (core: RegistryCore, req: http.IncomingMessage, maxBody: number): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://registry')
  // path segments, percent-decoded: subjects may contain '/' encoded as %2F
  const parts = url.pathname.split('/').filter(p => p.length > 0).map(decodeURIComponent)
  const method = req.method ?? 'GET'
  const [a, b, c, d, e] = parts

  if (a === 'subjects') {
    if (parts.length === 1 && method === 'GET') return ok(core.subjects())
    if (b === undefined) return notFound()
    if (parts.length === 2 && method === 'POST') {
      const { schema } = await schemaBody(req, maxBody)
      return ok(core.lookup(b, schema))
    }
    if (c === 'versions') {
      if (parts.length === 3 && method === 'GET') return ok(core.versions(b))
      if (parts.length === 3 && method === 'POST') {
        const { schema } = await schemaBody(req, maxBody)
        return ok({ id: await core.register(b, schema) })
      }
      if (d !== undefined && method === 'GET' && (parts.length === 4 || (parts.length === 5 && e === 'schema'))) {
        const v = core.getVersion(b, parseVersion(d))
        return ok(parts.length === 5 ? JSON.parse(v.schema) : v)
      }
    }
    return notFound()
  }

  if (a === 'schemas' && b === 'ids' && c !== undefined && method === 'GET') {
    const id = Number(c)
    if (!Number.isSafeInteger(id) || id < 1) throw new RegistryError(404, 40403, 'Schema ' + c + ' not found')
    if (parts.length === 4 && d === 'schema') return ok(JSON.parse(core.getById(id)))
    if (parts.length === 3) return ok({ schema: core.getById(id) })
    return notFound()
  }

  if (a === 'config' && parts.length <= 2) {
    const subject = b ?? null
    if (method === 'GET') {
      const defaultToGlobal = subject === null || url.searchParams.get('defaultToGlobal') === 'true'
      return ok({ compatibilityLevel: core.getCompatibility(subject, defaultToGlobal) })
    }
    if (method === 'PUT') {
      const body = await readJson(req, maxBody)
      const level = (body as { compatibility?: unknown }).compatibility
      if (typeof level !== 'string') throw new RegistryError(422, 42203, 'Invalid compatibility level: body must be {"compatibility": "BACKWARD"}')
      return ok({ compatibility: await core.setCompatibility(subject, level) })
    }
  }

  if (parts.length === 0 && method === 'GET') return ok({})
  return notFound()
}

function ok (body: unknown): Reply { return { status: 200, body } }
function notFound (): Reply { return { status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } } }

function parseVersion (v: string): number | 'latest' {
  if (v === 'latest' || v === '-1') return 'latest'
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) throw new RegistryError(422, 42202, 'The specified version \'' + v + '\' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"')
  return n
}

async function schemaBody (req: http.IncomingMessage, maxBody: number): Promise<{ schema: string }> {
  const body = await readJson(req, maxBody) as { schema?: unknown, schemaType?: unknown, references?: unknown }
  if (typeof body.schema !== 'string') throw new RegistryError(422, 42201, 'Invalid schema: body must be {"schema": "<schema json as a string>"}')
  if (body.schemaType !== undefined && body.schemaType !== 'AVRO') throw new RegistryError(422, 42201, 'Invalid schema: only AVRO is supported, got schemaType ' + String(body.schemaType))
  if (Array.isArray(body.references) && body.references.length > 0) throw new RegistryError(422, 42201, 'Invalid schema: schema references are not supported')
  return { schema: body.schema }
}

async function readJson (req: http.IncomingMessage, maxBody: number): Promise<object> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBody) throw new RegistryError(413, 41301, `Request body larger than ${maxBody} bytes`)
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new RegistryError(400, 400, 'Unrecognized request body: not JSON')
  }
  if (body === null || typeof body !== 'object') throw new RegistryError(400, 400, 'Unrecognized request body: expected a JSON object')
  return body
}
