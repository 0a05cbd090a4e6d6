import { VolumerError } from '../errors.js'
/**
 * Replay of a recorded file as if it were happening now: blockTimes are moved so the file's
 * last swap lands at "now", keeping the relative spacing (divided by `speed`).
 *
 *   file time:   first ─────────── t ──────────── last
 *   speed ∞:     all sent at once, blockTime' = t + (start − last)         → last lands at start
 *   speed F:     sent at  due(t) = start + (t − first) / F,  blockTime' = due(t)
 *                                                                         → last lands when sent
 *
 * With a speed the replay takes (last − first) / F of wall time and every swap's blockTime is
 * the moment it is sent, so downstream sees a live feed; without one, downstream sees the whole
 * file as recent history ending now (windows fill at once).
 */
export interface ReplayTimelineOptions {
  /** smallest and largest blockTime in the file, ms */
  readonly firstTime: number
  readonly lastTime: number
  /** wall-clock ms when the replay starts */
  readonly startAt: number
  /** > 0; undefined or Infinity = send everything at once */
  readonly speed?: number
}

export interface ReplayTimeline {
  /** the new blockTime of a swap recorded at `t` (whole ms) */
  shift (t: number): number
  /** wall-clock ms at which a swap recorded at `t` is due to be sent */
  dueAt (t: number): number
  /** wall-clock ms when the last swap is due */
  readonly endsAt: number
}

export function createReplayTimeline (options: ReplayTimelineOptions): ReplayTimeline {
  const { firstTime, lastTime, startAt, speed = Infinity } = options
  if (!Number.isFinite(firstTime) || !Number.isFinite(lastTime) || firstTime > lastTime) {
    throw new VolumerError('BAD_CONFIG', `replay: need firstTime ≤ lastTime, got ${firstTime} and ${lastTime}`)
  }
  if (!(speed > 0)) throw new VolumerError('BAD_CONFIG', `replay: speed must be > 0, got ${speed}`)
  if (speed === Infinity) {
    const offset = startAt - lastTime
    return { shift: (t) => t + offset, dueAt: () => startAt, endsAt: startAt }
  }
  const dueAt = (t: number): number => startAt + (t - firstTime) / speed
  return { shift: (t) => Math.round(dueAt(t)), dueAt, endsAt: dueAt(lastTime) }
}
