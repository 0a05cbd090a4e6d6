import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { listenHttp } from './http-listen.js'

/**
 * Health, readiness and Prometheus metrics over plain node:http for processes that have no
 * uWS server of their own (the processor); not a hot path.
 */
export interface OpsServer {
  readonly port: number
  /** the address it is bound to, e.g. 127.0.0.1 */
  readonly host: string
  close (): Promise<void>
}

/** `host` defaults to loopback, like the CLI's --metrics-host: exposing it is a deliberate choice. */
export async function startOpsServer (opts: { port: number, host?: string, registry: Registry, ready: () => boolean }): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/'
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return }
    if (url === '/healthz') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'); return }
    if (url === '/readyz') {
      const ok = opts.ready()
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(ok ? '{"status":"ready"}' : '{"error":{"code":"NOT_READY","message":"not ready"}}')
      return
    }
    if (url === '/metrics') {
      opts.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text)
      }, (err: Error) => { res.writeHead(500).end(err.message) })
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no such route"}}')
  })
  const host = opts.host ?? '127.0.0.1'
  const port = await listenHttp(server, opts.port, host)
  return {
    port,
    host: (server.address() as AddressInfo).address,
    close: async () => { await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
}
