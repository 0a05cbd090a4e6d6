import { spawn } from 'node:child_process'
import { expect } from 'chai'
import { REPO_ROOT } from '../helpers/sample-data.js'

/** a real node process: `hold` keeps its event loop alive (or not) after the command's end */
async function child (hold: boolean): Promise<{ code: number | null, ms: number, err: string }> {
  const script = `
    import pino from 'pino'
    import { exitWhenHeld } from './src/cli/exit-when-held.ts'
    ${hold ? 'setInterval(() => {}, 1000)' : ''}
    exitWhenHeld(3, pino(pino.destination(2)), 500)
  `
  const t0 = Date.now()
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  p.stderr.on('data', (c: Buffer) => { err += c.toString() })
  // a child that hangs is killed by the test, never left behind
  const killer = setTimeout(() => p.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)))
  clearTimeout(killer)
  return { code, ms: Date.now() - t0, err }
}

describe('exitWhenHeld', function () {
  this.timeout(60_000)

  it('exits with the code, naming what held the event loop, when something still holds it', async () => {
    const r = await child(true)
    expect(r.code).to.equal(3)
    expect(r.err).to.include('still running 500 ms after closing; exiting').and.to.include('Timeout')
  })

  it('does not keep a process alive that ends on its own (exit code of its own)', async () => {
    const r = await child(false)
    expect(r.code).to.equal(0)
    expect(r.err).to.equal('')
  })
})
