import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, spawnCli } from '../helpers/cli.js'

describe('volumer: failures the system reports', function () {
  this.timeout(30_000)
  let tmp: string
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'volumer-cli-')) })
  after(() => { rmSync(tmp, { recursive: true, force: true }) })

  it('names the path and the system\'s reason in one line, exit 1, when --data cannot be a folder', async () => {
    const file = join(tmp, 'a-file')
    writeFileSync(file, 'not a folder')
    const data = join(file, 'data')
    const r = await runCli(['run', '--data', data, '--port', '0'])
    expect(r.code, r.stderr).to.equal(1)
    expect(r.stderr).to.equal(`volumer run: ENOTDIR: not a directory, mkdir '${data}'\n`)
    expect(r.stdout).to.equal('')
  })

  it('refuses an on/off variable that is neither, exit 2, before connecting to anything', async () => {
    const r = await spawnCli(['processor', '--brokers', '127.0.0.1:1'], { env: { VOLUMER_STANDBY: 'maybe' } })
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('VOLUMER_STANDBY: expected true or false, got "maybe"')
  })

  it('refuses --standby with --no-standby, exit 2, before connecting to anything', async () => {
    const r = await spawnCli(['processor', '--brokers', '127.0.0.1:1', '--standby', '--no-standby'])
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('--standby and --no-standby contradict each other')
  })
})
