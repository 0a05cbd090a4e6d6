/**
 * Runs one engine operation sequence (see engine-ops.ts) on an engine and on the brute-force
 * oracle side by side, comparing after every operation: every token's stats (allStats and
 * stats), the clock, each ingest outcome and counter, and each drain's change set.
 *
 * The engine comes in through `EngineApi` so the harness itself can be checked against an
 * oracle-backed stand-in (test/engine/oracle.test.ts) before it is trusted on src/engine.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import type { StatsObject } from '../../src/engine/stats.js'
import type { Swap } from '../../src/swap/swap.js'
import { Oracle, expectedDrain } from '../engine/oracle.js'
import { parseWindows, type WindowSpec } from './windows.js'
import { makeSwap } from './swap-factory.js'
import { assertSame } from './diff.js'
import { CHAINS, TOKENS, TRADERS, type Op, type TimeRecipe, type AdvanceRecipe } from './engine-ops.js'

/** The engine contract as the harness uses it (src/engine/index.ts). */
export interface EngineLike {
  ingest (swap: Swap): number
  advance (t: number): void
  drain (onChange: ((key: string, stats: StatsObject | null) => void) | null): number
  stats (chain: string, token: string): StatsObject | undefined
  allStats (): StatsObject[]
  snapshot (): Uint8Array
  snapshotToken (chain: string, token: string): Uint8Array | undefined
  restoreToken (bytes: Uint8Array): void
  readonly counters: { counted: number, duplicates: number, late: number, future: number }
  readonly now: number
}

export interface EngineApi {
  createEngine (opts: { windows: any, skewMs: number, now: number, dedupSliceMs?: number }): EngineLike
  restoreEngine (bytes: Uint8Array): EngineLike
  parseWindowList (list: string): any
}

interface Run {
  api: EngineApi
  /** the engine's dedup slice (undefined: the default) */
  dedupSliceMs: number | undefined
  list: string
  windows: WindowSpec[]
  skewMs: number
  oracle: Oracle
  engine: EngineLike
  reported: Map<string, StatsObject>
  made: Swap[]
  nextLogIndex: number
  trace: string[]
  tally: Tally
  checkpoint: Uint8Array | undefined
}

/** How often each situation occurred, so a run can show its generator is not degenerate. */
export interface Tally { ops: number, outcomes: number[], exactDuplicates: number, drainsReported: number, drops: number, recoveries: number }
export const newTally = (): Tally => ({ ops: 0, outcomes: [0, 0, 0, 0], exactDuplicates: 0, drainsReported: 0, drops: 0, recoveries: 0 })

const iso = (ms: number): string => new Date(ms).toISOString()
const longest = (r: Run): number => Math.max(...r.windows.map((w) => w.lengthMs))

function blockTimeFor (r: Run, t: TimeRecipe): number {
  const T = r.oracle.now
  const hs = r.oracle.horizonStart()
  switch (t.kind) {
    case 'recent': return T - Math.floor(t.frac * longest(r))
    case 'nearNow': return T - t.backMs
    case 'late': return hs - t.backMs
    case 'horizon': return hs + t.delta
    case 'futureIn': return T + Math.max(1, Math.ceil(t.frac * r.skewMs))
    case 'skewEdge': return T + r.skewMs + t.delta
    case 'futureOut': return T + r.skewMs + t.extraMs
    case 'stepEdge': return Oracle.edge(r.windows[t.window % r.windows.length], T) + t.delta
  }
}

function advanceTarget (r: Run, a: AdvanceRecipe): number {
  const T = r.oracle.now
  switch (a.kind) {
    case 'sub': return T + a.ms
    case 'toEdge': return Oracle.edge(r.windows[a.window % r.windows.length], T) + a.delta
    case 'steps': return T + a.n * r.windows[a.window % r.windows.length].stepMs
    case 'far': return T + Math.floor(a.frac * 1.3 * longest(r))
    case 'pastHorizon': return T + longest(r) + r.skewMs + a.extraMs
    case 'back': return T - a.ms
  }
}

const OUTCOME_NAME = ['COUNTED', 'DUPLICATE', 'LATE', 'FUTURE']
const COUNTER_OF = ['counted', 'duplicates', 'late', 'future'] as const

export function checkAll (r: Run, where: string): void {
  expect(r.engine.now, where + ': engine.now').to.equal(r.oracle.now)
  assertSame(r.engine.allStats(), r.oracle.statsAll(), where + ': allStats() at ' + iso(r.oracle.now))
  for (const c of CHAINS) {
    for (const t of TOKENS) assertSame(r.engine.stats(c, t), r.oracle.stats(c, t), where + `: stats(${c}, ${t})`)
  }
}

export function drainBoth (r: Run, where: string, silent = false): void {
  if (silent) {
    // nothing rendered; what a drain would report now counts as reported, as the oracle's is
    const n = r.engine.drain(null)
    const want = expectedDrain(r.reported, r.oracle.statsAll())
    r.trace.push(`  drained silently (${n})`)
    expect(n, where + ': silent drain() return value').to.equal(want.size)
    return
  }
  const got = new Map<string, StatsObject | null>()
  const n = r.engine.drain((key, s) => {
    expect(got.has(key), where + ': drain reported ' + key + ' twice').to.equal(false)
    got.set(key, s)
  })
  const want = expectedDrain(r.reported, r.oracle.statsAll())
  const sortKeys = (m: Map<string, unknown>): string[] => [...m.keys()].sort()
  r.trace.push(`  drained [${sortKeys(got).join(', ')}]`)
  expect(sortKeys(got), where + ': drained keys at ' + iso(r.oracle.now)).to.deep.equal(sortKeys(want))
  for (const [k, v] of want) assertSame(got.get(k), v, where + ': drained ' + k)
  expect(n, where + ': drain() return value').to.equal(got.size)
  r.tally.drainsReported += got.size
}

function freshEngine (r: Run): EngineLike {
  return r.api.createEngine({ windows: r.api.parseWindowList(r.list), skewMs: r.skewMs, now: r.engine.now, dedupSliceMs: r.dedupSliceMs })
}

export function apply (r: Run, o: Op, i: number): void {
  const where = `op ${i}`
  r.tally.ops++
  switch (o.op) {
    case 'ingest': {
      let s: Swap
      if (o.id.kind === 'exactDuplicate' && r.made.length > 0) {
        s = r.made[o.id.pick % r.made.length]
        r.tally.exactDuplicates++
      } else {
        const earlier = (o.id.kind === 'reuseId' || o.id.kind === 'reuseIdAndTime') && r.made.length > 0 ? r.made[o.id.pick % r.made.length] : undefined
        const id = earlier !== undefined ? earlier.id : 'tx' + r.made.length
        s = Object.freeze(makeSwap({
          id,
          chain: CHAINS[o.chain],
          token: TOKENS[o.token],
          trader: TRADERS[o.trader],
          side: o.side,
          amount: o.amount,
          amountUsd: o.amountUsd,
          // the same (id, blockTime) with other content: a duplicate while the first is in the horizon
          blockTime: earlier !== undefined && o.id.kind === 'reuseIdAndTime' ? earlier.blockTime : blockTimeFor(r, o.time),
          blockNumber: o.blockNumber,
          logIndex: r.nextLogIndex++, // unique, so (blockTime, blockNumber, logIndex) never ties
        }))
        r.made.push(s)
      }
      const before = { ...r.engine.counters }
      const want = r.oracle.ingest(s)
      const got = r.engine.ingest(s)
      r.tally.outcomes[want]++
      r.trace.push(`${where} ingest ${s.chain}:${s.token} id=${s.id} t=${iso(s.blockTime)} (T=${iso(r.oracle.now)}) ${s.side === 0 ? 'BUY' : 'SELL'} ${s.trader} amount=${o.amount} usd=${o.amountUsd} bn=${s.blockNumber} li=${s.logIndex} → ${OUTCOME_NAME[got]}`)
      expect(OUTCOME_NAME[got], where + ': ingest outcome of ' + s.id + ' at ' + iso(s.blockTime)).to.equal(OUTCOME_NAME[want])
      const after = r.engine.counters
      for (const [k, name] of COUNTER_OF.entries()) {
        expect(after[name] - before[name], where + ': counters.' + name).to.equal(k === got ? 1 : 0)
      }
      break
    }
    case 'advance': {
      const T = advanceTarget(r, o.to)
      const had = r.oracle.tokenKeys().length
      r.trace.push(`${where} advance ${o.to.kind} → ${iso(T)}`)
      r.oracle.advance(T)
      r.engine.advance(T)
      r.tally.drops += had - r.oracle.tokenKeys().length
      break
    }
    case 'drain':
      r.trace.push(`${where} drain${o.silent === true ? ' (silent)' : ''}`)
      drainBoth(r, where, o.silent === true)
      break
    case 'snapshot': {
      r.trace.push(`${where} snapshot → restoreEngine${o.drainFirst ? ' (after a drain)' : ''}`)
      if (o.drainFirst) drainBoth(r, where)
      const bytes = r.engine.snapshot()
      expect(bytes).to.be.instanceOf(Uint8Array)
      r.engine = r.api.restoreEngine(bytes)
      // restoreEngine makes an engine with the default dedup slice: copies made from it use that
      // too (restoring hour slices into 1-second ones would copy each key 3,600 times)
      r.dedupSliceMs = undefined
      break
    }
    case 'tokenCopy': {
      const keys = r.oracle.tokenKeys()
      r.trace.push(`${where} snapshotToken → fresh engine (${keys.length} tokens)`)
      if (keys.length === 0) {
        expect(r.engine.snapshotToken(CHAINS[0], TOKENS[0])).to.equal(undefined)
        break
      }
      const key = keys[o.pick % keys.length]
      const [chain, token] = key.split(':')
      const bytes = r.engine.snapshotToken(chain, token)
      expect(bytes, where + ': snapshotToken(' + key + ')').to.be.instanceOf(Uint8Array)
      const fresh = freshEngine(r)
      fresh.restoreToken(bytes as Uint8Array)
      assertSame(fresh.allStats(), [r.oracle.stats(chain, token)], where + ': fresh engine allStats() after restoreToken(' + key + ')')
      break
    }
    case 'rebuild': {
      // every token moved through snapshotToken/restoreToken into a fresh engine (a partition
      // handed over token by token); the run continues on the fresh engine
      r.trace.push(`${where} rebuild via snapshotToken/restoreToken`)
      drainBoth(r, where)
      const fresh = freshEngine(r)
      for (const key of r.oracle.tokenKeys()) {
        const [chain, token] = key.split(':')
        fresh.restoreToken(r.engine.snapshotToken(chain, token) as Uint8Array)
      }
      r.engine = fresh
      // A fresh engine may or may not remember what was reported for a restored token; right
      // after a drain both choices are consistent, so accept either, but nothing else.
      const got = new Map<string, StatsObject | null>()
      r.engine.drain((k, s) => { got.set(k, s) })
      if (got.size > 0) {
        const all = new Map(r.oracle.statsAll().map((s) => [s.chain + ':' + s.token, s]))
        expect([...got.keys()].sort(), where + ': first drain after rebuild').to.deep.equal([...all.keys()].sort())
        for (const [k, v] of all) assertSame(got.get(k), v, where + ': first drain after rebuild, ' + k)
      }
      break
    }
    case 'checkpoint':
      r.trace.push(`${where} checkpoint (whole snapshot kept)`)
      r.checkpoint = r.engine.snapshot()
      break
    case 'recover': {
      if (r.checkpoint === undefined) break
      // checkpoint + changelog recovery: the newest whole snapshot, the clock moved to now, then
      // the latest per-token state of every live token applied on top (a superset of what a
      // changelog written since the checkpoint holds)
      r.trace.push(`${where} recover: restoreEngine(checkpoint) → advance(now) → restoreToken × live tokens`)
      r.tally.recoveries++
      drainBoth(r, where)
      const b = r.api.restoreEngine(r.checkpoint)
      b.advance(r.engine.now)
      for (const key of r.oracle.tokenKeys()) {
        const [chain, token] = key.split(':')
        b.restoreToken(r.engine.snapshotToken(chain, token) as Uint8Array)
      }
      r.engine = b
      // what the recovered engine remembers as reported is a mix of the checkpoint's and the
      // restored tokens'; every report must be right, and none may be missing
      const current = new Map(r.oracle.statsAll().map((s) => [s.chain + ':' + s.token, s]))
      r.engine.drain((k, s) => {
        assertSame(s, current.get(k) ?? null, where + ': first drain after recovery, ' + k)
      })
      r.reported = current
      break
    }
  }
  checkAll(r, where)
}

/**
 * Every other run's engine keeps its dedup sets in 1-second slices instead of the default hour
 * (dedup-slices.ts), so that slices expire while a token lives and snapshots are restored into
 * an engine with another slice length (restoreEngine uses the default), as the short windows of
 * these tests would otherwise never show.
 */
let runsMade = 0

export function newRun (api: EngineApi, list: string, skewMs: number, t0: number, tally: Tally = newTally()): Run {
  const windows = parseWindows(list)
  const dedupSliceMs = runsMade++ % 2 === 0 ? 1000 : undefined
  return {
    dedupSliceMs,
    api,
    list,
    windows,
    skewMs,
    oracle: new Oracle(windows, skewMs, t0),
    engine: api.createEngine({ windows: api.parseWindowList(list), skewMs, now: t0, dedupSliceMs }),
    reported: new Map(),
    made: [],
    nextLogIndex: 0,
    trace: [],
    tally,
    checkpoint: undefined,
  }
}

export function runOps (api: EngineApi, list: string, skewMs: number, t0: number, ops: Op[], tally?: Tally): void {
  const r = newRun(api, list, skewMs, t0, tally)
  try {
    checkAll(r, 'start')
    ops.forEach((o, i) => { apply(r, o, i) })
    drainBoth(r, 'final drain')
  } catch (err) {
    // the concrete swaps and times, so a shrunk counterexample can be read and replayed by hand
    (err as Error).message += `\n  windows=${list} skew=${skewMs} t0=${iso(t0)}\n  ` + r.trace.join('\n  ')
    throw err
  }
}

export const SEED = Number(process.env.VOLUMER_FC_SEED ?? 20210616)
const RUNS_SCALE = Number(process.env.VOLUMER_FC_RUNS_SCALE ?? 1)
// Shrinking a 400-operation failure can take minutes; past this budget fast-check stops and
// reports the smallest counterexample found so far (a run without failure just ends early).
const TIME_LIMIT_MS = Number(process.env.VOLUMER_FC_TIME_LIMIT_MS ?? 90_000)

export type Case = [string, number, number, Op[]]

/** fc.assert with the fixed seed, printed so a failure can be replayed. */
export function assertProperty (api: EngineApi, name: string, arb: fc.Arbitrary<Case>, numRuns: number, tally?: Tally, shrink = true): void {
  const runs = Math.max(1, Math.round(numRuns * RUNS_SCALE))
  console.log(`      [fast-check] ${name}: seed=${SEED} numRuns=${runs}`)
  fc.assert(fc.property(arb, ([list, skew, t0, ops]) => { runOps(api, list, skew, t0, ops, tally) }), { seed: SEED, numRuns: runs, includeErrorInReport: true, endOnFailure: !shrink, interruptAfterTimeLimit: TIME_LIMIT_MS })
}
