/** The wall clock, injectable so tests and the engine never read time themselves. */
export interface Clock {
  now (): number
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() })

/** A clock tests move by hand. */
export function createManualClock (start: number): Clock & { set (t: number): void, advance (ms: number): void } {
  let t = start
  return {
    now: () => t,
    set (v: number) { t = v },
    advance (ms: number) { t += ms }
  }
}
