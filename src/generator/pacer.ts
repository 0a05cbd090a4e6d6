import { VolumerError } from '../errors.js'
/**
 * Rate pacing for a producer loop, clock-injected (pure): how many records are due at `now`
 * so that `rate` records per second go out on average, sent in batches per tick.
 *
 *   due(now) = floor((now − start) · rate / 1000) − sent
 *
 * When the loop falls behind by more than `maxBacklogMs` of records (a slow broker, a stalled
 * event loop), the excess is forgiven rather than sent in one burst: the achieved rate then
 * shows up lower in the report instead of a spike hitting the broker.
 *
 * `maxBatch` caps what one call releases; the rest stays due for the next calls (not
 * forgiven), so a backlog is caught up over several ticks instead of in one synchronous burst
 * (`volumer run`'s generator shares the event loop with the edge).
 */
export interface Pacer {
  /** records to send now (≥ 0) */
  due (now: number): number
  /** records actually sent since start */
  readonly sent: number
  /** records forgiven because the loop fell behind */
  readonly skipped: number
  /** ms from `now` until the next record is due (≥ 0) */
  waitMs (now: number): number
  record (n: number): void
}

export function createPacer (options: { rate: number, startAt: number, maxBacklogMs?: number, maxBatch?: number }): Pacer {
  const { rate, startAt, maxBacklogMs = 1000, maxBatch = Infinity } = options
  if (!(rate > 0) || !Number.isFinite(rate)) throw new VolumerError('BAD_CONFIG', `pacer: rate must be > 0, got ${rate}`)
  if (!(maxBatch >= 1)) throw new VolumerError('BAD_CONFIG', `pacer: maxBatch must be ≥ 1, got ${maxBatch}`)
  const maxBacklog = Math.max(1, Math.ceil(rate * maxBacklogMs / 1000))
  let sent = 0
  let skipped = 0
  const target = (now: number): number => Math.floor(Math.max(0, now - startAt) * rate / 1000)
  return {
    due (now) {
      let n = target(now) - sent - skipped
      if (n > maxBacklog) { skipped += n - maxBacklog; n = maxBacklog }
      if (n > maxBatch) n = Math.floor(maxBatch)
      return n > 0 ? n : 0
    },
    get sent () { return sent },
    get skipped () { return skipped },
    waitMs (now) {
      const nextIndex = sent + skipped + 1
      const at = startAt + nextIndex * 1000 / rate
      return at > now ? at - now : 0
    },
    record (n) { sent += n },
  }
}
