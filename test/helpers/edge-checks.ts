/**
 * Checks of `volumer edge` processes against the compacted `stats` topic they tail: the topic's
 * latest value per key decoded with the stats decoder is the truth; an edge must serve exactly
 * that JSON for every key (404 for a tombstoned key), rank it the documented way, and answer a
 * batch like the singles. Also: `volumer produce` as a child process.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createStatsDecoder } from '../../src/codec/index.js'
import type { StatsObject } from '../../src/engine/stats.js'
import { bruteTop } from '../edge/brute.js'
import { type TestCluster } from './cluster.js'
import type { EdgeProcess } from './edge-process.js'
import { readLatest } from './log-fixture.js'
import { REPO_ROOT } from './sample-data.js'

/**
 * Latest decoded value per key of the cluster's stats topic (null = tombstone), as plain JSON
 * objects: avsc decodes to instances of generated record classes, which a deep-equal would
 * tell apart from the parsed HTTP bodies by prototype alone.
 */
export async function readStatsTopic (cluster: TestCluster): Promise<Map<string, StatsObject | null>> {
  const decoder = createStatsDecoder(cluster.registry)
  const out = new Map<string, StatsObject | null>()
  for (const [k, v] of await readLatest(cluster.log, cluster.topics.stats)) out.set(k, v === null ? null : JSON.parse(JSON.stringify(await decoder.decodeAsync(v))) as StatsObject)
  return out
}

export function tokenPath (key: string): string {
  const i = key.indexOf(':')
  return `/v1/tokens/${encodeURIComponent(key.slice(0, i))}/${encodeURIComponent(key.slice(i + 1))}`
}

/** runs `fn` over `items` with at most `limit` in flight */
export async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }))
  return out
}

/**
 * 'key: what differs' for every key whose single-token answer is not the topic's value
 * (deep-equal of the parsed JSON; a tombstone must be 404 NOT_FOUND).
 */
export async function tokenMismatches (edge: EdgeProcess, topic: ReadonlyMap<string, StatsObject | null>): Promise<string[]> {
  const keys = [...topic.keys()]
  const rows = await mapLimit(keys, 16, async (key) => {
    const want = topic.get(key)!
    const got = await edge.get(tokenPath(key))
    if (want === null) return got.status === 404 && got.json?.error?.code === 'NOT_FOUND' ? null : `${key}: tombstone on the topic, edge answered ${got.status}`
    if (got.status !== 200) return `${key}: status ${got.status} ${got.text.slice(0, 120)}`
    const a = JSON.stringify(got.json)
    const b = JSON.stringify(want)
    return a === b ? null : `${key}: edge ${a.slice(0, 160)} ≠ topic ${b.slice(0, 160)}`
  })
  return rows.filter((r): r is string => r !== null)
}

/** polls `tokenMismatches` until none (an edge tailing live data converges) or the timeout */
export async function waitTokensEqual (edge: EdgeProcess, topic: ReadonlyMap<string, StatsObject | null>, timeoutMs: number): Promise<string[]> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const m = await tokenMismatches(edge, topic)
    if (m.length === 0 || Date.now() > until) return m
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

export interface TopQuery { stat: string, window: string | null, order: 'desc' | 'asc', chain: string | null, limit: number }

export function topPath (q: TopQuery): string {
  const p = new URLSearchParams({ stat: q.stat, order: q.order, limit: String(q.limit) })
  if (q.window !== null) p.set('window', q.window)
  if (q.chain !== null) p.set('chain', q.chain)
  return '/v1/top?' + p.toString()
}

/** the keys `/v1/top` must list, by brute-force sort of the topic's live values */
export function expectedTop (topic: ReadonlyMap<string, StatsObject | null>, q: TopQuery): string[] {
  const all = [...topic.values()].filter((v): v is StatsObject => v !== null)
  return bruteTop(all, q.stat, q.window, q.chain, q.limit, q.order === 'desc')
}

/** runs `volumer produce ARGS` against the cluster; resolves with its stderr once it exits 0 */
export async function runProduce (cluster: TestCluster, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'volumer.js'), 'produce',
    '--brokers', cluster.brokers, '--registry', cluster.registryUrl, '--topic-prefix', cluster.prefix, ...args],
  { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (c: string) => { err += c })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  if (code !== 0) throw new Error(`volumer produce ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)
  return err
}
