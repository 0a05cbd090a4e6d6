/**
 * Was this process frozen (SIGSTOP, a paused VM) since the last mark? A processor that was
 * may no longer own its partitions without knowing it, and must not commit before it has polled
 * the group (processor.ts commitCycle).
 */
export interface FreezeDetector {
  /** the consumer has just heard from the group: forget what came before */
  mark (): void
  /** how long the process went without running since the mark, ms (0 when it did not) */
  frozenMs (): number
  /** stops the sampling timer */
  stop (): void
  /** one sample (the timer calls it; tests call it with their own clocks) */
  tick (): void
}

export interface FreezeDetectorOptions {
  /** sampling period, ms (default 100) */
  tickMs?: number
  /** wall clock and CPU time of the whole process, ms (defaults: performance.now, process.cpuUsage) */
  wall?: () => number
  cpu?: () => number
  /** false: no timer, the caller ticks (tests) */
  timer?: boolean
}

function processCpuMs (): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

export function createFreezeDetector (opts: FreezeDetectorOptions = {}): FreezeDetector {
  const tickMs = opts.tickMs ?? 100
  const wall = opts.wall ?? (() => performance.now())
  const cpu = opts.cpu ?? processCpuMs
  let lastWall = wall()
  let lastCpu = cpu()
  /** the longest gap between samples since the mark, less the CPU time spent in it */
  let longest = 0
  // One gap at a time, not the sum since the mark: the wall time a process spends waiting for
  // the broker, or for its turn on a loaded machine, adds up over a cycle to seconds without
  // CPU time, while its threads (librdkafka's heartbeats among them) still run every few
  // hundred ms. A stopped process runs no thread at all: one long gap.
  const gapNow = (): number => (wall() - lastWall) - (cpu() - lastCpu) - tickMs
  const timer = opts.timer === false ? undefined : setInterval(() => detector.tick(), tickMs)
  timer?.unref()
  const detector: FreezeDetector = {
    mark () {
      lastWall = wall()
      lastCpu = cpu()
      longest = 0
    },
    frozenMs () { return Math.max(0, longest, gapNow()) },
    stop () { if (timer !== undefined) clearInterval(timer) },
    tick () {
      longest = Math.max(longest, gapNow())
      lastWall = wall()
      lastCpu = cpu()
    }
  }
  return detector
}
