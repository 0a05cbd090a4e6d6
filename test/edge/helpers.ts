import pino from 'pino'
import { Registry } from 'prom-client'
import { request, type Agent } from 'undici'
import { createEdgeServer, type EdgeServer, type EdgeServerOptions } from '../../src/edge/edge-server.js'
import type { StatsFeed } from '../../src/edge/stats-feed.js'

export const quiet = pino({ level: 'silent' })

export async function startServer (feed: StatsFeed, opts: Partial<EdgeServerOptions> = {}): Promise<EdgeServer> {
  return await createEdgeServer({ port: 0, feed, logger: quiet, metricsRegistry: new Registry(), windows: ['1m', '5m', '1h', '24h'], ...opts })
}

export interface Got {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
  json: any
}

/** a GET (or other method) through undici's request: no automatic decompression, raw headers */
export async function get (agent: Agent, port: number, path: string, init: { method?: string, headers?: Record<string, string> } = {}): Promise<Got> {
  const r = await request(`http://127.0.0.1:${port}${path}`, { dispatcher: agent, method: (init.method ?? 'GET') as 'GET', headers: init.headers })
  const body = Buffer.from(await r.body.arrayBuffer())
  const text = body.toString('utf8')
  let json: any
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: r.statusCode, headers: r.headers, body, text, json }
}
