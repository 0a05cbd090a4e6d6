import { snapshotEngineSlices, type Engine } from '../engine/index.js'
import { createLoopTurns, LOOP_SLICE_MS } from './loop-turns.js'

/**
 * How long the encoding of a checkpoint runs before it lets the event loop have a turn. The
 * edge shares the processor's thread in `volumer run`: issue #20 asks /healthz p99 < 20 ms while
 * checkpoints are written, and one partition's snapshot took tens to hundreds of ms in one go.
 */
export const SNAPSHOT_SLICE_MS = LOOP_SLICE_MS

/**
 * The engine's snapshot (snapshotEngine's bytes), encoded token by token with a turn of the
 * event loop every `sliceMs`. The caller owns the engine meanwhile: the processor awaits this in
 * its cycle loop, the only code that changes its engines, so the snapshot matches the committed
 * offsets read before it. The total time is about the same; only the stall is cut up.
 */
export async function snapshotInSlices (engine: Engine, sliceMs = SNAPSHOT_SLICE_MS): Promise<Uint8Array> {
  const slices = snapshotEngineSlices(engine)
  const turns = createLoopTurns(sliceMs)
  for (;;) {
    const next = slices.next()
    if (next.done === true) return next.value
    if (turns.due()) await turns.take()
  }
}
