/**
 * Input streams for the real-broker processor tests and the benchmark: generated swaps with
 * blockTimes in the last few minutes of the wall clock (so whether a swap is late or future
 * does not depend on when a restarted processor gets to it), duplicates, out-of-order records
 * and one unique record per rejection kind, plus the check of `stats` and `swaps-dlq` against
 * the brute-force oracle.
 */
import { createSwapEncoder, createStatsDecoder, type SwapEncoder, type SwapRecord } from '../../src/codec/index.js'
import type { Producer } from '../../src/log/log.js'
import type { StatsObject } from '../../src/engine/stats.js'
import type { WindowSpec } from '../../src/engine/windows.js'
import { Oracle } from '../engine/oracle.js'
import { createRandom } from './seeded-random.js'
import { swapFromRecord } from './swap-factory.js'
import { readAll, readLatest } from './log-fixture.js'
import type { TestCluster } from './cluster.js'

/** A record to put on `swaps`: a valid swap, or a bad value with the reason the DLQ must give. */
export type Input =
  | { kind: 'swap', key: string, record: SwapRecord }
  | { kind: 'bad', key: string, value: Buffer, reason: string }

export interface StreamOptions {
  /** valid swaps to generate (before duplicates) */
  swaps: number
  tokens: number
  seed: number
  /** blockTimes fall in [now - spanMs, now - 1 s]; default 4 min */
  spanMs?: number
  now: number
  /** share of swaps sent a second time, later in the stream; default 0.1 */
  duplicateRate?: number
  /** share of swaps moved out of blockTime order; default 0.3 */
  disorderRate?: number
  /** one of each bad kind every `badEvery` inputs; default 5000 (0: none) */
  badEvery?: number
}

const BAD_KINDS = ['INVALID_JSON', 'BAD_SIDE', 'UNKNOWN_SCHEMA', 'UNDECODABLE', 'FUTURE_TIME', 'LATE'] as const

/**
 * Builds the input list. Swap ids are unique per (seed, index); bad records are unique byte
 * strings so the DLQ can be matched record for record. 'LATE' is a valid swap older than every
 * window (ignored, not an error: it must NOT reach the DLQ).
 */
export function buildStream (o: StreamOptions): Input[] {
  const rnd = createRandom(o.seed)
  const span = o.spanMs ?? 240_000
  const dupRate = o.duplicateRate ?? 0.1
  const disorder = o.disorderRate ?? 0.3
  const badEvery = o.badEvery ?? 5000
  const traders = Math.max(10, Math.floor(o.tokens * 3))
  const base = o.now - span
  const records: SwapRecord[] = []
  for (let i = 0; i < o.swaps; i++) {
    // Zipf-ish token popularity: a few hot tokens, a long tail
    const t = Math.floor(o.tokens * Math.pow(rnd(), 2))
    const blockTime = base + Math.floor((i / o.swaps) * (span - 1000))
    const price = 0.5 + (t % 97) + rnd()
    const amount = (1 + rnd() * 1000).toFixed(9)
    records.push({
      id: `0x${o.seed.toString(16)}${i.toString(16).padStart(8, '0')}:${i % 7}`,
      chain: t % 5 === 0 ? 'solana' : 'ethereum',
      blockNumber: 1_000_000 + Math.floor(i / 8),
      logIndex: i % 8,
      blockTime,
      token: `tok${t.toString(16).padStart(5, '0')}`,
      quoteToken: 'usd',
      pool: `pool${t}`,
      trader: `0xtrader${Math.floor(rnd() * traders)}`,
      side: rnd() < 0.55 ? 'BUY' : 'SELL',
      amount,
      amountUsd: (Number(amount) * price).toFixed(6)
    })
  }
  // disorder: swap a share of records with one up to 500 positions away
  for (let i = 0; i < records.length; i++) {
    if (rnd() < disorder) {
      const j = Math.min(records.length - 1, i + 1 + Math.floor(rnd() * 500))
      const tmp = records[i]; records[i] = records[j]; records[j] = tmp
    }
  }
  const out: Input[] = []
  const dups: SwapRecord[] = []
  let bad = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    out.push({ kind: 'swap', key: r.chain + ':' + r.token, record: r })
    if (rnd() < dupRate) dups.push(r)
    // a duplicate comes back 0–2000 inputs later
    if (dups.length > 0 && rnd() < dupRate) {
      const d = dups.splice(Math.floor(rnd() * dups.length), 1)[0]
      out.push({ kind: 'swap', key: d.chain + ':' + d.token, record: d })
    }
    if (badEvery > 0 && i % badEvery === Math.floor(badEvery / 2)) {
      for (const kind of BAD_KINDS) out.push(badInput(kind, bad++, r, o.now))
    }
  }
  for (const d of dups) out.push({ kind: 'swap', key: d.chain + ':' + d.token, record: d })
  return out
}

function badInput (kind: typeof BAD_KINDS[number], n: number, like: SwapRecord, now: number): Input {
  const key = like.chain + ':' + like.token
  switch (kind) {
    case 'INVALID_JSON': return { kind: 'bad', key, value: Buffer.from(`{not json ${n}`), reason: kind }
    case 'BAD_SIDE': return { kind: 'bad', key, value: Buffer.from(JSON.stringify({ ...like, id: `bad-side-${n}`, side: 'HOLD', blockTime: new Date(like.blockTime).toISOString() })), reason: kind }
    // magic byte 0, then a schema id no registry has handed out
    case 'UNKNOWN_SCHEMA': { const b = Buffer.alloc(9); b[0] = 0; b.writeInt32BE(0x7fff0000 + n, 1); b.writeInt32BE(n, 5); return { kind: 'bad', key, value: b, reason: kind } }
    case 'UNDECODABLE': { const b = Buffer.alloc(5); b[0] = 7; b.writeInt32BE(n, 1); return { kind: 'bad', key, value: b, reason: kind } }
    // an hour ahead: beyond any skew, whenever it is processed
    case 'FUTURE_TIME': return { kind: 'swap', key, record: { ...like, id: `future-${n}`, blockTime: now + 3_600_000 } }
    // two days old: older than the 24 h window whenever it is processed (ignored, not DLQ)
    case 'LATE': return { kind: 'swap', key, record: { ...like, id: `late-${n}`, blockTime: now - 2 * 86_400_000 } }
  }
}

/** Encodes and sends inputs; swaps go through the registry under `<prefix>swaps-value`. */
export async function createInputProducer (cluster: TestCluster, lingerMs = 5): Promise<{ encoder: SwapEncoder, producer: Producer, send (inputs: readonly Input[]): void, close (): Promise<void> }> {
  const encoder = await createSwapEncoder(cluster.registry, cluster.topics.swaps + '-value')
  const producer = await cluster.log.createProducer({ lingerMs })
  return {
    encoder,
    producer,
    send (inputs) {
      for (const i of inputs) {
        producer.send({ topic: cluster.topics.swaps, key: Buffer.from(i.key), value: i.kind === 'swap' ? encoder.encode(i.record) : i.value })
      }
    },
    async close () { await producer.flush(); await producer.close() }
  }
}

/** The oracle fed with every input at `now` (blockTimes are chosen so the decision is stable). */
export function oracleOf (inputs: readonly Input[], windows: readonly WindowSpec[], now: number, skewMs = 60_000): Oracle {
  const oracle = new Oracle(windows, skewMs, now)
  for (const i of inputs) if (i.kind === 'swap') oracle.ingest(swapFromRecord(i.record as unknown as Record<string, unknown>))
  return oracle
}

/** The reason each input must get in the DLQ, keyed by its value bytes (hex); valid swaps excluded. */
export function expectedDlq (inputs: readonly Input[], now: number, skewMs = 60_000): Map<string, string> {
  const m = new Map<string, string>()
  for (const i of inputs) {
    if (i.kind === 'bad') m.set(i.value.toString('hex'), i.reason)
    else if (i.record.blockTime > now + skewMs) m.set('future:' + i.record.id, 'FUTURE_TIME')
  }
  return m
}

/** a stats object without the fields that depend on when it was computed (asOf, window from/to) */
export function strip (s: StatsObject): unknown {
  return { ...s, asOf: undefined, windows: Object.fromEntries(Object.entries(s.windows).map(([n, w]) => [n, { ...w, from: undefined, to: undefined }])) }
}

/** 'path: got ≠ want' for every leaf that differs */
function fieldDiffs (got: unknown, want: unknown, path: string): string[] {
  if (typeof got === 'object' && got !== null && typeof want === 'object' && want !== null) {
    const keys = new Set([...Object.keys(got), ...Object.keys(want)])
    return [...keys].flatMap((k) => fieldDiffs((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], path === '' ? k : path + '.' + k))
  }
  return Object.is(got, want) ? [] : [`${path}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`]
}

export interface OracleCheck {
  tokens: number
  mismatches: string[]
}

/**
 * Compares the compacted `stats` topic with the oracle, every statistic of every window: each
 * token's last update is evaluated at its own `asOf` (the processor's cycle time), so windows
 * that decayed since are still compared exactly.
 */
export async function checkStatsAgainstOracle (cluster: TestCluster, oracle: Oracle): Promise<OracleCheck> {
  const decoder = createStatsDecoder(cluster.registry)
  const latest = await readLatest(cluster.log, cluster.topics.stats)
  const mismatches: string[] = []
  const seen = new Set<string>()
  const saved = oracle.now
  try {
    for (const [key, value] of latest) {
      if (value === null) { mismatches.push(`${key}: tombstone on stats`); continue }
      const got = await decoder.decodeAsync(value)
      seen.add(key)
      // evaluate at the processor's time: windows are a function of T
      oracle.now = Date.parse(got.asOf)
      const want = oracle.stats(got.chain, got.token)
      if (want === undefined) { mismatches.push(`${key}: on stats, unknown to the oracle`); continue }
      const diffs = fieldDiffs(strip(got), strip(want), '')
      // the first diff of each window: tells a missing swap (every window) from a misplaced one
      const perWindow = new Map<string, string>()
      for (const d of diffs) { const w = /^windows\.([^.]+)/.exec(d)?.[1] ?? d; if (!perWindow.has(w)) perWindow.set(w, d) }
      const firstPerWindow = [...perWindow.values()]
      if (diffs.length > 0) mismatches.push(`${key} @${got.asOf}: ${diffs.length} fields differ; ${firstPerWindow.slice(0, 6).join('; ')}`)
    }
  } finally { oracle.now = saved }
  for (const key of oracle.tokenKeys()) if (!seen.has(key)) mismatches.push(`${key}: missing from stats`)
  return { tokens: seen.size, mismatches }
}

export interface DlqCheck {
  records: number
  /** source offsets that appear more than once */
  duplicates: string[]
  /** expected bad inputs that are not in the DLQ */
  missing: string[]
  /** DLQ records that match no bad input, or carry the wrong reason */
  unexpected: string[]
  reasons: Record<string, number>
}

/**
 * Every DLQ record (read_committed) against the bad inputs: each exactly once by source offset,
 * with the expected `volumer.reason` header, and the value equal to the input's bytes.
 */
export async function checkDlq (cluster: TestCluster, inputs: readonly Input[], now: number, encoder: SwapEncoder): Promise<DlqCheck> {
  const want = expectedDlq(inputs, now)
  // future swaps are valid Avro: identify them by their encoded bytes
  const futureBytes = new Map<string, string>()
  for (const i of inputs) if (i.kind === 'swap' && want.has('future:' + i.record.id)) futureBytes.set(encoder.encode(i.record).toString('hex'), 'future:' + i.record.id)
  const records = await readAll(cluster.log, cluster.topics.dlq)
  const bySource = new Map<string, number>()
  const found = new Set<string>()
  const unexpected: string[] = []
  const reasons: Record<string, number> = {}
  for (const r of records) {
    const source = r.headers?.['volumer.source']?.toString() ?? '(no source header)'
    bySource.set(source, (bySource.get(source) ?? 0) + 1)
    const reason = r.headers?.['volumer.reason']?.toString() ?? '(no reason header)'
    reasons[reason] = (reasons[reason] ?? 0) + 1
    const hex = r.value?.toString('hex') ?? ''
    const id = futureBytes.get(hex) ?? hex
    const expected = want.get(id)
    if (expected === undefined) unexpected.push(`${source}: no such bad input (${hex.slice(0, 40)})`)
    else if (expected !== reason) unexpected.push(`${source}: reason ${reason}, expected ${expected}`)
    else found.add(id)
  }
  const duplicates = [...bySource].filter(([, n]) => n > 1).map(([s, n]) => `${s} ×${n}`)
  const missing = [...want.keys()].filter((k) => !found.has(k))
  return { records: records.length, duplicates, missing, unexpected, reasons }
}

