/**
 * The run several integration tests share: the first half of a stream into `swaps`, one processor
 * catches up and stops gracefully, the second half, a new processor with the same instance id
 * restores (checkpoint + changelog, candle books from `candles`) and catches up, and stops. Each
 * stop must exit 0; the swap encoder is returned (checkDlq needs it). `between` runs after the first stop (e.g. to read a topic as it was then).
 */
import { expect } from 'chai'
import type { SwapEncoder } from '../../src/codec/index.js'
import type { TestCluster } from './cluster.js'
import type { ProcessorFleet } from './processor-process.js'
import { createInputProducer, type Input } from './swap-stream.js'

export async function runAcrossRestart (
  cluster: TestCluster,
  fleet: ProcessorFleet,
  inputs: readonly Input[],
  opts: { instanceId?: string, catchUpMs?: number, between?: () => Promise<void> } = {}
): Promise<{ encoder: SwapEncoder }> {
  const id = opts.instanceId ?? 'p1'
  const catchUpMs = opts.catchUpMs ?? 120_000
  const half = Math.floor(inputs.length / 2)
  const input = await createInputProducer(cluster)
  try {
    input.send(inputs.slice(0, half))
    await input.producer.flush()
    let p = fleet.start(id)
    await p.waitReady()
    await cluster.waitCaughtUp(catchUpMs)
    expect(await p.stop(), 'exit code after SIGTERM (first run)').to.equal(0)
    await opts.between?.()

    input.send(inputs.slice(half))
    await input.producer.flush()
    p = fleet.start(id)
    await p.waitReady()
    await cluster.waitCaughtUp(catchUpMs)
    expect(await p.stop(), 'exit code after SIGTERM (after the restart)').to.equal(0)
    return { encoder: input.encoder }
  } finally {
    await input.close()
  }
}
