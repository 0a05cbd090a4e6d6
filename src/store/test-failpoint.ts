/**
 * TEST-ONLY failpoints at the two checkpoint boundaries, for the chaos test (test/chaos/): a
 * processor that SIGKILLs itself exactly there, so the test can show a crash at each boundary
 * loses nothing and counts nothing twice. Not a feature: no flag, not in --help or
 * docs/config.md; docs/operations.md ("Chaos test") describes it.
 *
 *   VOLUMER_TEST_FAILPOINT=after-commit-before-checkpoint[@N]
 *       the Nth checkpoint save of the process (default 1) kills it before any SQL is sent: the
 *       Kafka transaction the snapshot matches has committed, Postgres never sees the checkpoint
 *   VOLUMER_TEST_FAILPOINT=during-checkpoint-write[@N]
 *       the Nth save kills it inside its Postgres transaction, after the checkpoint row's INSERT
 *       returned and before the prune and COMMIT (the server rolls it back)
 *
 * Read once at start-up; an unknown value is a BAD_CONFIG error. The process writes one JSON line
 * `{"msg":"test failpoint: SIGKILL",...}` to stderr (synchronously) before it kills itself.
 * Implemented around the store and its SQL session, so processor.ts has no test branch.
 */
import { writeSync } from 'node:fs'
import { VolumerError } from '../errors.js'
import type { CheckpointStore } from './checkpoint-store.js'
import type { SqlRunner, SqlSession } from './sql-session.js'

export const TEST_FAILPOINTS = ['after-commit-before-checkpoint', 'during-checkpoint-write'] as const
export type TestFailpointName = typeof TEST_FAILPOINTS[number]

export interface TestFailpoint {
  readonly point: TestFailpointName
  /** fires on this save of the process, counting from 1 */
  readonly at: number
}

/** Parses VOLUMER_TEST_FAILPOINT; undefined when unset or empty. */
export function testFailpointFrom (env: NodeJS.ProcessEnv): TestFailpoint | undefined {
  const raw = env.VOLUMER_TEST_FAILPOINT
  if (raw === undefined || raw === '') return undefined
  const m = /^([a-z-]+)(?:@(\d+))?$/.exec(raw)
  const point = m?.[1] as TestFailpointName | undefined
  const at = m?.[2] === undefined ? 1 : Number(m[2])
  if (point === undefined || !TEST_FAILPOINTS.includes(point) || !Number.isSafeInteger(at) || at < 1) {
    throw new VolumerError('BAD_CONFIG', `VOLUMER_TEST_FAILPOINT (test-only): expected ${TEST_FAILPOINTS.join(' or ')}, optionally @N (N >= 1), got "${raw}"`)
  }
  return { point, at }
}

/** What a failpoint does when it fires; the tests of this module replace it. */
export type Die = (fp: TestFailpoint, detail: Record<string, unknown>) => void

export const sigkillSelf: Die = (fp, detail) => {
  // synchronous: the line must be in the pipe before the signal, which no handler can delay
  writeSync(2, JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, msg: 'test failpoint: SIGKILL', failpoint: fp.point, at: fp.at, ...detail }) + '\n')
  process.kill(process.pid, 'SIGKILL')
}

/** The store side: after-commit-before-checkpoint fires at the start of save(). */
export function storeWithFailpoint (store: CheckpointStore, fp: TestFailpoint | undefined, die: Die = sigkillSelf): CheckpointStore {
  if (fp?.point !== 'after-commit-before-checkpoint') return store
  let saves = 0
  return {
    ...store,
    async save (cp) {
      if (++saves === fp.at) {
        die(fp, { partition: cp.partition, inputOffset: cp.inputOffset })
        // the real die never returns; a test's must still not reach the database
        throw new VolumerError('STORE_UNAVAILABLE', 'test failpoint fired', { retriable: true })
      }
      await store.save(cp)
    }
  }
}

/**
 * The SQL side: during-checkpoint-write fires inside a save's transaction (the one whose first
 * statement inserts a checkpoint row; migrations open transactions too), after that INSERT returned.
 */
export function sessionWithFailpoint (session: SqlSession, fp: TestFailpoint | undefined, die: Die = sigkillSelf): SqlSession {
  if (fp?.point !== 'during-checkpoint-write') return session
  let saves = 0
  return {
    ...session,
    async transaction (fn) {
      return await session.transaction(async (tx) => {
        let statements = 0
        const runner: SqlRunner = {
          async query<R> (text: string, params?: unknown[]): Promise<R[]> {
            const rows = await tx.query<R>(text, params)
            if (++statements === 1 && /^\s*INSERT INTO volumer_checkpoints\b/.test(text) && ++saves === fp.at) {
              die(fp, { statement: 'INSERT', partition: params?.[1] })
              throw new VolumerError('STORE_UNAVAILABLE', 'test failpoint fired', { retriable: true })
            }
            return rows
          },
          exec: async (text) => { await tx.exec(text) }
        }
        return await fn(runner)
      })
    }
  }
}
