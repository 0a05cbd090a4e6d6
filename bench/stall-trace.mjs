// @ts-check
/**
 * A diagnostic preload (not part of the server): records every event-loop stall longer than
 * STALL_TRACE_MIN_MS (default 15) and every GC pause, and writes them to STALL_TRACE_OUT at exit.
 *
 *   node --import ./bench/stall-trace.mjs bin/volumer.js run …
 *   BENCH_SOAK_NODE_ARGS="--import ./bench/stall-trace.mjs" npm run bench:soak
 *
 * Plain JavaScript, not TypeScript: worker threads (the PGlite store's) inherit the node flags
 * and load it too, without tsx; it does nothing there.
 * A 1 ms interval timer notices a stall as the gap between two of its turns, and how much of
 * it the main thread spent on a CPU (/proc/thread-self/schedstat, ns): on a shared machine a
 * gap is partly the scheduler's (the thread waited for a core), and `cpuMs` is the part that
 * is the process's own synchronous work. GC pauses come from PerformanceObserver 'gc' entries. Times are process.hrtime (µs), the clock V8's
 * --cpu-prof samples use, so bench/stall-profile.ts can say what ran inside each stall.
 */
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { readFileSync, writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

if (isMainThread) start()

function start () {
  const out = process.env.STALL_TRACE_OUT ?? `stall-trace-${process.pid}.json`
  const minMs = Number(process.env.STALL_TRACE_MIN_MS ?? 15)
  const hrUs = () => Number(process.hrtime.bigint() / 1000n)
  /** @type {Array<{ atUs: number, ms: number, cpuMs: number }>} */
  const stalls = []
  /** @type {Array<{ atUs: number, ms: number, kind: number }>} */
  const gcs = []
  // performance.now() → hrtime µs: the offset between the two clocks, taken once
  const offsetUs = hrUs() - performance.now() * 1000

  // Linux only; elsewhere cpuMs is NaN
  const cpuNs = () => { try { return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) } catch { return NaN } }
  let last = hrUs()
  let lastCpu = cpuNs()
  const timer = setInterval(() => {
    const now = hrUs()
    const cpu = cpuNs()
    const gap = (now - last) / 1000
    if (gap > minMs) stalls.push({ atUs: last, ms: Math.round(gap * 10) / 10, cpuMs: Math.round((cpu - lastCpu) / 1e5) / 10 })
    last = now
    lastCpu = cpu
  }, 1)
  timer.unref()

  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs.push({ atUs: Math.round(e.startTime * 1000 + offsetUs), ms: Math.round(e.duration * 100) / 100, kind: /** @type {{ kind?: number } | undefined} */ (e.detail)?.kind ?? 0 })
    }
  })
  obs.observe({ entryTypes: ['gc'] })
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()

  process.on('exit', () => {
    writeFileSync(out, JSON.stringify({
      minMs,
      eventLoopDelayMs: { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 },
      stalls,
      gcs
    }))
  })
}
