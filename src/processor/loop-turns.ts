import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * How long the processor's cycle loop runs before it lets the event loop have a turn. In
 * `volumer run` the edge (HTTP, WebSocket) and the generator share the processor's thread, and
 * issue #20 asks /healthz p99 < 20 ms while the processor works: a cycle that renders every
 * token whose window edge moved (hundreds each second with 1 s steps) ran 10-40 ms in one go.
 */
export const LOOP_SLICE_MS = 5

/**
 * A budget of synchronous work: `due()` says the slice is spent, `take()` yields one turn of
 * the event loop (setImmediate: I/O callbacks and timers run first) and starts a new slice.
 *
 *   const turns = createLoopTurns()
 *   for (const item of work) { if (turns.due()) await turns.take(); step(item) }
 *
 * A 0 ms slice yields at every check (tests); Infinity never.
 */
export interface LoopTurns {
  due (): boolean
  take (): Promise<void>
  /** turns taken so far */
  readonly taken: number
}

export function createLoopTurns (sliceMs = LOOP_SLICE_MS, now: () => number = () => performance.now()): LoopTurns {
  let since = now()
  let taken = 0
  return {
    due: () => now() - since >= sliceMs,
    async take () {
      taken++
      await nextTurn()
      since = now()
    },
    get taken () { return taken }
  }
}
