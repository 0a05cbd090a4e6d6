/**
 * `volumer produce --tokens FILE --stdout`: parsing, skipping and the canonical JSON it sends,
 * without a broker (test/integration/tokens-pipeline.test.ts covers the Kafka path).
 */
import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { spawnCli } from '../helpers/cli.js'
import { ETHEREUM_TOKENS } from '../helpers/sample-data.js'

describe('volumer produce --tokens', function () {
  this.timeout(60_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'volumer-tokens-')) })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('writes the shipped metadata as canonical JSON, every line', async () => {
    const res = await spawnCli(['produce', '--tokens', ETHEREUM_TOKENS, '--stdout'])
    expect(res.code, res.stderr).to.equal(0)
    const want = readFileSync(ETHEREUM_TOKENS, 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as unknown)
    expect(res.stdout.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as unknown)).to.deep.equal(want)
    expect(res.stderr).to.match(/summary: read 125, sent 125 .*skipped 0, tokens 125/)
  })

  it('reads .gz, names bad lines by number and code, and skips them', async () => {
    const good = '{"chain":"ethereum","token":"0xa","symbol":"A","name":"Alpha","decimals":6,"logoUrl":"https://x.example/a.png"}'
    const lines = [good, '{"chain":"ethereum","token":"0xb","symbol":"B","name":"Beta","decimals":300}', '', 'not json', '{"chain":"ethereum","token":"0xc","name":"Gamma","decimals":1}']
    const file = join(dir, 'tokens.ndjson.gz')
    writeFileSync(file, gzipSync(lines.join('\n') + '\n'))
    const res = await spawnCli(['produce', '--tokens', file, '--stdout'])
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.equal(good + '\n')
    expect(res.stderr).to.match(/^line 2: BAD_DECIMALS - /m)
    expect(res.stderr).to.match(/^line 4: INVALID_JSON - /m)
    expect(res.stderr).to.match(/^line 5: MISSING_FIELD - symbol is missing/m)
    expect(res.stderr).to.match(/summary: read 4, sent 1 .*skipped 3 \(BAD_DECIMALS 1, INVALID_JSON 1, MISSING_FIELD 1\)/)
  })

  it('refuses --tokens FILE with swap input, and keeps --tokens N for --generate', async () => {
    const both = await spawnCli(['produce', '--tokens', ETHEREUM_TOKENS, '--replay', ETHEREUM_TOKENS, '--stdout'])
    expect(both.code).to.equal(2)
    expect(both.stderr).to.match(/--tokens FILE sends token metadata/)
    const gen = await spawnCli(['produce', '--generate', '--tokens', '3', '--count', '5', '--seed', '1', '--stdout'])
    expect(gen.code, gen.stderr).to.equal(0)
    const tokens = new Set(gen.stdout.split('\n').filter(l => l !== '').map(l => (JSON.parse(l) as { token: string }).token))
    expect(tokens.size).to.be.at.most(3)
  })
})
