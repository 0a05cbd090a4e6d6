import { randomBytes } from 'node:crypto'
import type { CheckpointStore } from '../../src/store/checkpoint-store.js'

/**
 * The embedded mode's save pattern in small: `rounds` checkpoints of each of `partitions`
 * partitions, `bytes` of incompressible state each (TOASTed like a real snapshot). Calls
 * `measure` after each round so a test can see whether the stored bytes stop growing.
 */
export async function saveRounds (store: CheckpointStore, opts: { group: string, partitions: number, rounds: number, bytes: number, measure: (round: number) => Promise<void> }): Promise<void> {
  const state = randomBytes(opts.bytes)
  for (let round = 1; round <= opts.rounds; round++) {
    for (let p = 0; p < opts.partitions; p++) {
      // a different first byte per save: the rows are not identical
      state[0] = round & 0xff
      await store.save({ group: opts.group, partition: p, inputOffset: round * 1000, changelogOffset: round * 10, createdAt: 1_700_000_000_000 + round, state })
    }
    await opts.measure(round)
  }
}
