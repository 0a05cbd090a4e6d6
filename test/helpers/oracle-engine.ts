/**
 * The oracle dressed as an engine (EngineApi of engine-harness.ts). It exists only to check the
 * property harness itself: run against its own model, the harness must find no difference, and
 * run against a deliberately broken copy it must find one. Snapshots are handles into a
 * registry, not bytes of any format.
 */
import type { StatsObject } from '../../src/engine/stats.js'
import type { Swap } from '../../src/swap/swap.js'
import { Oracle, expectedDrain, type TokenState } from '../engine/oracle.js'
import { parseWindows, type WindowSpec } from './windows.js'
import type { EngineApi, EngineLike } from './engine-harness.js'

const saved: unknown[] = []
const handle = (v: unknown): Uint8Array => { saved.push(v); return new Uint8Array(new Uint32Array([saved.length - 1]).buffer) }
const unhandle = <T>(b: Uint8Array): T => saved[new Uint32Array(b.slice().buffer)[0]] as T

export class OracleEngine implements EngineLike {
  #o: Oracle
  #reported: Map<string, StatsObject>
  /** a fault to inject, so the self-check can prove the harness notices */
  readonly fault: ((s: StatsObject) => StatsObject) | undefined

  constructor (o: Oracle, reported = new Map<string, StatsObject>(), fault?: (s: StatsObject) => StatsObject) {
    this.#o = o
    this.#reported = reported
    this.fault = fault
  }

  get counters (): Oracle['counters'] { return this.#o.counters }
  get now (): number { return this.#o.now }
  ingest (swap: Swap): number { return this.#o.ingest(swap) }
  advance (t: number): void { this.#o.advance(t) }
  stats (chain: string, token: string): StatsObject | undefined {
    const s = this.#o.stats(chain, token)
    return s === undefined || this.fault === undefined ? s : this.fault(s)
  }

  allStats (): StatsObject[] { return this.#o.statsAll().map((s) => this.fault === undefined ? s : this.fault(s)) }
  drain (onChange: ((key: string, stats: StatsObject | null) => void) | null): number {
    const changes = expectedDrain(this.#reported, this.allStats())
    if (onChange !== null) for (const [k, v] of changes) onChange(k, v)
    return changes.size
  }

  snapshot (): Uint8Array { return handle({ o: this.#o.clone(), reported: new Map(this.#reported), fault: this.fault }) }
  snapshotToken (chain: string, token: string): Uint8Array | undefined {
    const st = this.#o.exportToken(chain, token)
    return st === undefined ? undefined : handle(st)
  }

  restoreToken (bytes: Uint8Array): void { this.#o.importToken(unhandle<TokenState>(bytes)) }
}

export function oracleEngineApi (fault?: (s: StatsObject) => StatsObject): EngineApi {
  return {
    createEngine: ({ windows, skewMs, now }) => new OracleEngine(new Oracle(windows as WindowSpec[], skewMs, now), undefined, fault),
    restoreEngine: (bytes) => {
      const s = unhandle<{ o: Oracle, reported: Map<string, StatsObject>, fault?: (s: StatsObject) => StatsObject }>(bytes)
      return new OracleEngine(s.o.clone(), new Map(s.reported), s.fault)
    },
    parseWindowList: parseWindows,
  }
}
