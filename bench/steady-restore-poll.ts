/**
 * What a restore's changelog loop waits for when nothing is left to read (issue #19 §2: a
 * takeover from standby copies spent 1.4–1.5 s in `replayChangelog` reading 0 records).
 * Each of 12 state partitions ends with a transaction's commit marker after the position a
 * standby copy has applied (the usual case: the owner's last cycle committed); 12 readers in
 * parallel, as a takeover opens them, each polled until caught up with the restore loop's poll
 * timeout. Alternates the old and the new timeout, ROUNDS times. Needs the services; prints
 * the times (ms) with the load, writes bench/results/steady-restore-poll.json.
 *
 *   node --import tsx bench/steady-restore-poll.ts
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { createTestCluster } from '../test/helpers/cluster.js'
import { REPO_ROOT } from '../test/helpers/sample-data.js'

const ROUNDS = Number(process.env.ROUNDS ?? 5)
const TIMEOUTS = [500, 50]

async function main (): Promise<void> {
  const cluster = await createTestCluster({ name: 'restore-poll', partitions: 12 })
  const out: Record<string, number[]> = Object.fromEntries(TIMEOUTS.map((t) => [t, []]))
  try {
    const producer = await cluster.log.createTransactionalProducer({ transactionalId: cluster.prefix + 'poll' })
    for (let p = 0; p < cluster.partitions; p++) {
      await producer.begin()
      producer.send({ topic: cluster.topics.state, partition: p, key: Buffer.from('k'), value: Buffer.from('v') })
      await producer.commit()
    }
    await producer.close()
    for (let r = 0; r < ROUNDS; r++) {
      for (const timeout of TIMEOUTS) {
        const t0 = performance.now()
        await Promise.all(Array.from({ length: cluster.partitions }, async (_, p) => {
          // offset 1: after the one record, before its commit marker (what a caught-up copy holds)
          const reader = await cluster.log.createReader({ partitions: [{ topic: cluster.topics.state, partition: p, from: 1 }] })
          try {
            while (!reader.isCaughtUp()) await reader.poll(10_000, timeout)
          } finally { await reader.close() }
        }))
        const ms = Math.round(performance.now() - t0)
        out[timeout].push(ms)
        console.log(`round ${r + 1}: poll timeout ${timeout} ms → 12 readers caught up in ${ms} ms (load ${loadavg()[0].toFixed(1)})`)
      }
    }
  } finally {
    await cluster.close()
  }
  const result = { bench: 'steady-restore-poll', at: new Date().toISOString(), loadavg1m: loadavg()[0], msByPollTimeout: out }
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'steady-restore-poll.json'), JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result))
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
