import { VolumerError } from '../errors.js'

/** One rolling window: length L and step s (how finely its edge moves); s divides L. */
export interface WindowSpec {
  readonly name: string
  readonly lengthMs: number
  readonly stepMs: number
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Steps a default window may use. Windows that share a step share one set of buckets, so a
 * short ladder keeps the number of bucket levels (and the per-swap work) small: the default
 * 11 windows need four levels (1 s, 5 s, 30 s, 2 min) instead of nine.
 */
const STEP_LADDER_MS = [1000, 5000, 30_000, 120_000, 600_000, 3_600_000]
const FINE_WINDOW_MS = 15 * 60_000

export const DEFAULT_WINDOW_LIST = '1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h'

/** Parses durations such as `500ms`, `90s`, `5m`, `1h`, `7d`. */
export function parseDuration (text: string): number {
  const m = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(text.trim())
  if (m === null) throw new VolumerError('BAD_CONFIG', `invalid duration "${text}": use a number and a unit (ms, s, m, h, d), e.g. 5m`)
  return Number(m[1]) * UNIT_MS[m[2]]
}

/** The default step: 1 s up to 15 m, else the largest ladder step ≤ L/240 that divides L. */
export function defaultStep (lengthMs: number): number {
  if (lengthMs <= FINE_WINDOW_MS) return 1000
  let best = 1000
  for (const s of STEP_LADDER_MS) if (s * 240 <= lengthMs && lengthMs % s === 0) best = s
  return best
}

/** `1m,5m:10s,24h` → specs; a `:step` suffix sets the step explicitly. */
export function parseWindowList (text: string): WindowSpec[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)
  if (parts.length === 0) throw new VolumerError('BAD_CONFIG', 'no windows given: expected e.g. 5m,1h,24h')
  const specs: WindowSpec[] = []
  const names = new Set<string>()
  for (const part of parts) {
    const [lenText, stepText, extra] = part.split(':')
    if (extra !== undefined) throw new VolumerError('BAD_CONFIG', `invalid window "${part}": expected LENGTH or LENGTH:STEP`)
    const lengthMs = parseDuration(lenText)
    const stepMs = stepText === undefined ? defaultStep(lengthMs) : parseDuration(stepText)
    specs.push(checkWindow({ name: lenText.trim(), lengthMs, stepMs }))
    if (names.has(lenText.trim())) throw new VolumerError('BAD_CONFIG', `window "${lenText}" given twice`)
    names.add(lenText.trim())
  }
  if (specs.length > 32) throw new VolumerError('BAD_CONFIG', 'at most 32 windows')
  return specs
}

function checkWindow (w: WindowSpec): WindowSpec {
  if (w.lengthMs <= 0 || w.stepMs <= 0) throw new VolumerError('BAD_CONFIG', `window ${w.name}: length and step must be positive`)
  if (w.lengthMs % w.stepMs !== 0) throw new VolumerError('BAD_CONFIG', `window ${w.name}: step ${w.stepMs} ms does not divide length ${w.lengthMs} ms`)
  if (w.lengthMs / w.stepMs > 100_000) throw new VolumerError('BAD_CONFIG', `window ${w.name}: more than 100000 steps; use a coarser step`)
  if (w.lengthMs > 400 * 86_400_000) throw new VolumerError('BAD_CONFIG', `window ${w.name}: longer than 400 days`)
  return Object.freeze({ ...w })
}

export const DEFAULT_WINDOWS: readonly WindowSpec[] = Object.freeze(parseWindowList(DEFAULT_WINDOW_LIST))

/** End of the window's current step: E = (floor(T/s)+1)·s. The window covers [E−L, E). */
export function windowEnd (t: number, stepMs: number): number {
  return (Math.floor(t / stepMs) + 1) * stepMs
}
