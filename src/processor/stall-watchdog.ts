/**
 * Notices a processor that is alive but not processing: its cycle loop has not come round for
 * `stallAfterMs` (stuck awaiting a Kafka call, a restore, a commit), or its partitions have
 * records waiting (lag > 0) and it has read none for that long. The chaos test (issue #23) saw
 * two processors stay ready for 4–5 minutes while reading nothing; a supervisor watching the
 * process, and /readyz, could not tell. The processor reports this through a log line with the
 * stage the loop is in, the `volumer_processor_stalled` gauge and /readyz.
 *
 * Time comes from the caller's clock; the check runs on an unref'd timer of its own, since a
 * stuck loop cannot check itself.
 */
export interface StallWatchdog {
  /** the loop is about to wait in `stage` (poll, commit, checkpoint, restore...) */
  enter (stage: string): void
  /** the loop came round: one cycle done */
  progress (): void
  /** records were read */
  read (): void
  /** records waiting in the owned partitions, as last sampled */
  lag (records: number): void
  /** why the processor is stalled, or undefined */
  stalled (): StallReport | undefined
  /** what the timer does: report a stall that began or lasts, or one that ended */
  check (): void
  stop (): void
}

export interface StallReport {
  /** 'loop': the cycle loop has not come round; 'reading': records wait and none were read */
  kind: 'loop' | 'reading'
  stage: string
  /** ms since the loop came round (loop) or since records were last read (reading) */
  ms: number
  /** ms the loop has been in `stage` */
  stageMs: number
  lag: number
}

export interface StallWatchdogOptions {
  now: () => number
  stallAfterMs: number
  /** how often the timer checks; default stallAfterMs / 4; 0 = no timer (the caller calls check()) */
  checkEveryMs?: number
  /** called when a stall begins, and again every stallAfterMs while it lasts */
  onStall: (r: StallReport) => void
  /** called once when a stall ends */
  onRecover: (r: StallReport) => void
}

export function createStallWatchdog (o: StallWatchdogOptions): StallWatchdog {
  let stage = 'start'
  let stageAt = o.now()
  let progressAt = stageAt
  let readAt = stageAt
  let waiting = 0
  let current: StallReport | undefined
  let reportedAt = -Infinity

  const evaluate = (): StallReport | undefined => {
    const now = o.now()
    if (now - progressAt > o.stallAfterMs) return { kind: 'loop', stage, ms: now - progressAt, stageMs: now - stageAt, lag: waiting }
    if (waiting > 0 && now - readAt > o.stallAfterMs) return { kind: 'reading', stage, ms: now - readAt, stageMs: now - stageAt, lag: waiting }
    return undefined
  }
  const check = (): void => {
    const r = evaluate()
    const now = o.now()
    if (r !== undefined && now - reportedAt >= o.stallAfterMs) { reportedAt = now; o.onStall(r) }
    if (r === undefined && current !== undefined) { reportedAt = -Infinity; o.onRecover(current) }
    current = r
  }
  const every = o.checkEveryMs ?? Math.max(250, Math.floor(o.stallAfterMs / 4))
  const timer = every > 0 ? setInterval(check, every) : undefined
  timer?.unref()

  return {
    enter (s) { stage = s; stageAt = o.now() },
    progress () { progressAt = o.now() },
    read () { readAt = o.now() },
    lag (records) {
      // the reading clock starts when records start waiting, not at the last read before them
      if (waiting === 0 && records > 0) readAt = o.now()
      waiting = records
    },
    stalled: () => evaluate(),
    check,
    stop () { clearInterval(timer) }
  }
}
