/**
 * The Autobahn WebSocket fuzzing client against the edge's framing (issue #20 §2):
 *
 *   npm run test:autobahn                       cases 1–7 and 9–10 (12–13 are compression: off)
 *   AUTOBAHN_CASES='1.*,5.*' npm run test:autobahn
 *   AUTOBAHN_PYTHON=/path/to/python2.7          the interpreter (default: pyenv's 2.7.18, then python2.7)
 *
 * autobahntestsuite 0.8.2 (PyPI) runs only under Python 2.7; it is installed on first use into
 * .run/autobahn/site with pip --target (about 2 min), and loaded through site.addsitedir so its
 * namespace packages (zope.interface) resolve. The edge runs in this process on a free port with
 * its test-mode echo endpoint (`echoPath`, src/edge/ws-echo.ts): same uWS app, same handshake
 * checks as /v1/ws. The summary is printed and written to .run/autobahn/summary.json; the full
 * report is .run/autobahn/reports/index.html. Exit code 1 when a case FAILED.
 */
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import pino from 'pino'
import { createEdgeServer } from '../src/edge/edge-server.js'
import { createMemoryStatsFeed } from '../src/edge/stats-feed.js'

const ROOT = resolve(import.meta.dirname, '..')
const DIR = join(ROOT, '.run', 'autobahn')
const SITE = join(DIR, 'site')
const REPORTS = join(DIR, 'reports')
const VERSION = '0.8.2'
const CASES = (process.env.AUTOBAHN_CASES ?? '1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*').split(',').map(s => s.trim())

function python (): string {
  const candidates = [process.env.AUTOBAHN_PYTHON, join(homedir(), '.pyenv', 'versions', '2.7.18', 'bin', 'python'), 'python2.7', 'python2']
  for (const c of candidates) {
    if (c === undefined || c === '') continue
    const r = spawnSync(c, ['-c', 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)'])
    if (r.status === 0) return c
  }
  console.error('autobahn: no Python 2.7 interpreter found (autobahntestsuite 0.8.2 needs one); set AUTOBAHN_PYTHON')
  process.exit(2)
}

function ensureInstalled (py: string): void {
  if (existsSync(join(SITE, 'autobahntestsuite', '__init__.py'))) return
  console.log(`autobahn: installing autobahntestsuite==${VERSION} into ${SITE} (first run only)`)
  mkdirSync(SITE, { recursive: true })
  const r = spawnSync(py, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-warn-script-location', '--target', SITE, `autobahntestsuite==${VERSION}`], { stdio: 'inherit' })
  if (r.status !== 0) { console.error('autobahn: pip install failed'); process.exit(2) }
}

interface CaseResult { behavior: string, behaviorClose: string, duration: number }

async function main (): Promise<void> {
  const py = python()
  ensureInstalled(py)
  const feed = createMemoryStatsFeed({ replayBatch: 64 })
  const edge = await createEdgeServer({ port: 0, feed, logger: pino({ level: 'warn' }), echoPath: '/echo' })
  const agent = 'volumer-edge'
  const spec = {
    outdir: REPORTS,
    servers: [{ agent, url: `ws://127.0.0.1:${edge.port}/echo` }],
    cases: CASES,
    'exclude-cases': [],
    'exclude-agent-cases': {}
  }
  mkdirSync(REPORTS, { recursive: true })
  const specFile = join(DIR, 'fuzzingclient.json')
  writeFileSync(specFile, JSON.stringify(spec, null, 2))
  const code = `import site, sys; site.addsitedir(${JSON.stringify(SITE)}); sys.argv = ['wstest', '-m', 'fuzzingclient', '-s', ${JSON.stringify(specFile)}]; from autobahntestsuite.wstest import run; run()`
  const t0 = Date.now()
  // asynchronous: the edge answers on this process's event loop while wstest runs
  const exit = await new Promise<number | null>(resolve => {
    const child = spawn(py, ['-W', 'ignore', '-c', code], { cwd: DIR, stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('exit', c => resolve(c))
  })
  await edge.close()
  if (exit !== 0) { console.error(`autobahn: wstest exited with ${String(exit)}`); process.exit(2) }
  const index = JSON.parse(readFileSync(join(REPORTS, 'index.json'), 'utf8')) as Record<string, Record<string, CaseResult>>
  const results = index[agent]
  const byBehavior: Record<string, number> = {}
  const byGroup: Record<string, Record<string, number>> = {}
  const notOk: Record<string, string[]> = {}
  for (const [id, r] of Object.entries(results)) {
    byBehavior[r.behavior] = (byBehavior[r.behavior] ?? 0) + 1
    const group = id.split('.')[0]
    byGroup[group] ??= {}
    byGroup[group][r.behavior] = (byGroup[group][r.behavior] ?? 0) + 1
    if (r.behavior !== 'OK' && r.behavior !== 'INFORMATIONAL') (notOk[r.behavior] ??= []).push(`${id} (close: ${r.behaviorClose})`)
  }
  const summary = { date: new Date().toISOString(), autobahntestsuite: VERSION, cases: CASES, total: Object.keys(results).length, seconds: Math.round((Date.now() - t0) / 1000), byBehavior, byGroup, notOk }
  writeFileSync(join(DIR, 'summary.json'), JSON.stringify(summary, null, 2) + '\n')
  console.log(JSON.stringify(summary, null, 2))
  process.exit((byBehavior.FAILED ?? 0) > 0 ? 1 : 0)
}

await main()
