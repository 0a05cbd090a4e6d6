/**
 * The oracle's own reading of window lists ('1m,5m:10s,24h'), written from the contract rather
 * than imported from src/engine, so a wrong default step in the engine shows up as a mismatch.
 */
export interface WindowSpec { name: string, lengthMs: number, stepMs: number }

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDurationMs (text: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(text)
  if (m === null) throw new Error('bad duration ' + JSON.stringify(text))
  return Number(m[1]) * UNIT_MS[m[2]]
}

// Contract: windows up to 15 m step 1 s; longer ones the largest of these that is ≤ L/240 and divides L.
const STEP_CANDIDATES_MS = [1000, 5000, 30_000, 120_000, 600_000, 3_600_000]

export function defaultStepMs (lengthMs: number): number {
  if (lengthMs <= 15 * 60_000) return 1000
  let best = 1000
  for (const s of STEP_CANDIDATES_MS) if (s <= lengthMs / 240 && lengthMs % s === 0) best = s
  return best
}

export function parseWindows (list: string): WindowSpec[] {
  return list.split(',').map((part) => {
    const [name, step] = part.split(':')
    const lengthMs = parseDurationMs(name)
    return { name, lengthMs, stepMs: step === undefined ? defaultStepMs(lengthMs) : parseDurationMs(step) }
  })
}

export const DEFAULT_WINDOW_LIST = '1m,5m,15m,30m,1h,2h,4h,6h,8h,12h,24h'
export const ORACLE_DEFAULT_WINDOWS = parseWindows(DEFAULT_WINDOW_LIST)
