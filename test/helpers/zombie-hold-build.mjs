#!/usr/bin/env node
/**
 * Test-only: builds a copy of this checkout with the freeze "hold" of 51279e6 put back (after a
 * freeze the processor kept polling but committed nothing for --frozen-after more; removed in
 * f41e518 after 2 of ~14 zombie-test runs showed 5 m volumes ~30 % low, issue #23 section 3),
 * and prints the copy's bin/volumer.js for the test helpers:
 *
 *   VOLUMER_TEST_PROCESSOR_BIN=$(node test/helpers/zombie-hold-build.mjs [h0|h1]) \
 *     npx mocha --timeout 240000 test/integration/processor-zombie.test.ts
 *
 * h1 (default): the hold on today's code. h0: the hold with checkpoints as they were when it
 * shipped (after every cycle, committed or not, frozen or not; onRevoke checkpointing after a
 * failed commit), the state in which the mismatches were seen. The shipping code never holds.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const variant = process.argv[2] ?? 'h1'
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dir = mkdtempSync(join(tmpdir(), `volumer-hold-${variant}-`))
execFileSync('sh', ['-c', `git -C "${repo}" archive HEAD | tar -x -C "${dir}"`])
symlinkSync(realpathSync(join(repo, 'node_modules')), join(dir, 'node_modules'))
const file = join(dir, 'src', 'processor', 'processor.ts')
let s = readFileSync(file, 'utf8')
function rep (old, neu) {
  if (s.split(old).length !== 2) throw new Error(`patch does not apply: ${old.slice(0, 80)}`)
  s = s.replace(old, neu)
}
rep(`  const noticeFreeze = (what: string, frozenMs: number): void => {
    m.freezes.inc()`, `  let holdUntil = -Infinity
  const noticeFreeze = (what: string, frozenMs: number): void => {
    holdUntil = performance.now() + frozenAfterMs
    m.freezes.inc()`)
rep(`    if (frozen()) { noticeFreeze('before the commit', performance.now() - pollWall); uncommitted = true; return false }`,
  `    if (frozen()) { noticeFreeze('before the commit', performance.now() - pollWall); uncommitted = true; return false }
    if (performance.now() < holdUntil) { uncommitted = true; return false }
    if (holdUntil > 0) {
      holdUntil = -Infinity
      logger.info({ partitions: [...tasks.keys()] }, 'committing again after a freeze: the group still gives us these partitions')
    }`)
rep(`          batches = await consumer.poll(maxRecords, Math.min(wait, cycleMs))`,
  `          const timeout = Math.min(wait, cycleMs)
          const wall0 = performance.now()
          const cpu0 = cpuMs()
          batches = await consumer.poll(maxRecords, timeout)
          const frozenMs = (performance.now() - wall0 - timeout) - (cpuMs() - cpu0)
          if (frozenMs > frozenAfterMs) noticeFreeze('while polling', frozenMs)`)
if (variant === 'h0') {
  rep(`          if (await commitCycle()) await maybeCheckpoint()`, `          await commitCycle()
          await maybeCheckpoint()`)
  rep(`    if (!wait && frozen()) return
`, '')
  rep(`      if (!uncommitted) {
        await Promise.all(mine.map(async (tp) => {`, `      {
        await Promise.all(mine.map(async (tp) => {`)
}
writeFileSync(file, s)
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
console.log(join(dir, 'bin', 'volumer.js'))
