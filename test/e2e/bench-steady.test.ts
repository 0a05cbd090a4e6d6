/**
 * `npm run bench:steady` still runs, in its short mode: 72 s of event time (BENCH_STEADY_HOURS
 * takes fractions; one hour is 3.6 M swaps, too long for the suite), 2,000 tokens, 10 s live.
 * Every phase must finish and write its figures, and the sampled tokens must equal the oracle
 * after the SIGKILLs and the full restore: the bench's own correctness check, run here so a
 * change that breaks state at restore fails the suite, not only the next benchmark run.
 * Needs `scripts/services.sh start` and a build (the bench runs bin/volumer.js from dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { REPO_ROOT } from '../helpers/sample-data.js'

describe('bench:steady, short mode', function () {
  this.timeout(900_000)
  const dir = mkdtempSync(join(tmpdir(), 'bench-steady-'))
  let child: ChildProcess | undefined
  after(async () => {
    // on a timeout the bench is still running: SIGINT makes it stop its processes and drop its topics
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve))
      child.kill('SIGINT')
      const timer = setTimeout(() => child!.kill('SIGKILL'), 60_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('backfills, survives a SIGKILL of each processor and a full restore, matches the oracle on 200 tokens, and writes every figure', async () => {
    const file = join(dir, 'steady.json')
    const c = child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'steady.bench.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_STEADY_HOURS: '0.02', BENCH_STEADY_TOKENS: '2000', BENCH_STEADY_LIVE_S: '10', BENCH_STEADY_RESULTS: file },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    c.stdout!.setEncoding('utf8').on('data', (t: string) => { out += t })
    c.stderr!.setEncoding('utf8').on('data', (t: string) => { out += t })
    const code = await new Promise<number | null>((resolve) => c.once('exit', (x) => resolve(x)))
    expect(code, out).to.equal(0)

    const r = JSON.parse(readFileSync(file, 'utf8'))
    expect(r.failed, out).to.equal(null)
    const p = r.phases
    expect(p.backfill.records).to.equal(72_000)
    expect(p.backfill.swapsPerSecond).to.be.greaterThan(0)
    // every swap either counted or a duplicate of the generator's (1 %)
    expect(p.backfill.counted).to.equal(72_000 - p.generatorCount.duplicates)
    expect(p.takeover.runs).to.have.length(2)
    for (const t of p.takeover.runs) {
      expect(t.lastMs).to.be.greaterThan(0)
      // where the time went: the assignment and the restores, from the survivor's logs, before the probes
      expect(t.killToAssignMs, JSON.stringify(t)).to.be.greaterThan(0)
      expect(t.killToRestoredMs, JSON.stringify(t)).to.be.at.least(t.killToAssignMs)
      expect(t.killToRestoredMs, JSON.stringify(t)).to.be.at.most(t.lastMs)
    }
    expect(p.restore.partitions).to.equal(12)
    expect(p.restore.tokens).to.be.at.least(p.generatorCount.tokens)
    expect(p.edgeRehydration.spawnToReadyMs).to.be.greaterThan(0)
    // where the edge's time went: each feed's catch-up, and the offsets stored per topic
    expect(p.edgeRehydration.feeds.stats.ms, JSON.stringify(p.edgeRehydration)).to.be.greaterThan(0)
    expect(p.edgeRehydration.feeds.candles.records, JSON.stringify(p.edgeRehydration)).to.be.greaterThan(0)
    expect(p.edgeRehydration.topicOffsets.stats).to.be.at.least(p.edgeRehydration.feeds.stats.records)
    expect(p.correctness.tokens).to.equal(200)
    expect(p.correctness.matched, JSON.stringify(p.correctness.mismatches)).to.equal(200)
    // every answer compared was computed by a processor that restored its state after the kills
    expect(p.correctness.answeredAfterSince).to.equal(200)
    expect(p.live.onWs.n).to.be.greaterThan(100)
    expect(p.live.undeliveredAtWs).to.equal(0)
    expect(p.live.cyclesDuringLive.count).to.be.greaterThan(0)
    expect(p.live.commitsDuringLive.count).to.be.greaterThan(0)
    expect(r.peakMemoryMb.processorA).to.be.greaterThan(0)
    expect(p.live.pg.groupRows).to.be.greaterThan(0)
  })
})
