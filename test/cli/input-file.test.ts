import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { openInputFile, readInputText } from '../../src/cli/input-file.js'
import { readNdjsonLines } from '../../src/swap/ndjson-lines.js'
import { runCli } from '../helpers/cli.js'
import { ETHEREUM_SAMPLE, readSampleLines } from '../helpers/sample-data.js'

async function linesOf (path: string, highWaterMark?: number): Promise<string[]> {
  const out: string[] = []
  for await (const l of readNdjsonLines(openInputFile(path, highWaterMark))) if (l.kind === 'line') out.push(l.text)
  return out
}

describe('input files: plain or .gz', function () {
  this.timeout(60_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'volumer-input-')) })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('reads a .gz file as its decompressed text, streamed in small chunks or whole', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `{"n":${i},"s":"${'é火'.repeat(i % 7)}"}`).join('\n') + '\n'
    writeFileSync(join(dir, 'a.ndjson'), text)
    writeFileSync(join(dir, 'a.ndjson.gz'), gzipSync(text))
    const plain = await linesOf(join(dir, 'a.ndjson'))
    expect(plain).to.have.length(5000)
    expect(await linesOf(join(dir, 'a.ndjson.gz'), 1024)).to.deep.equal(plain)
    expect(readInputText(join(dir, 'a.ndjson.gz'))).to.equal(text)
  })

  it('a missing .gz file fails with ENOENT through the stream', async () => {
    const err = await linesOf(join(dir, 'missing.gz')).then(() => null, (e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).to.equal('ENOENT')
  })

  it('the shipped sample is 9,842 lines, the same through the CLI\'s reader and the test helper', async () => {
    const lines = await linesOf(ETHEREUM_SAMPLE)
    expect(lines).to.have.length(9842)
    expect(lines).to.deep.equal(readSampleLines())
  })

  it('volumer stats reads a .gz file and says which file it cannot read', async () => {
    const some = readSampleLines().slice(0, 200).join('\n') + '\n'
    writeFileSync(join(dir, 's.ndjson'), some)
    writeFileSync(join(dir, 's.ndjson.gz'), gzipSync(some))
    const at = ['--at', '2021-06-16T02:47:00Z', '--windows', '5m,1h']
    const plain = await runCli(['stats', ...at, join(dir, 's.ndjson')])
    const gz = await runCli(['stats', ...at, join(dir, 's.ndjson.gz')])
    expect(plain.code, plain.stderr).to.equal(0)
    expect(gz.code, gz.stderr).to.equal(0)
    expect(gz.stdout).to.equal(plain.stdout).and.not.equal('')
    const missing = await runCli(['stats', join(dir, 'nope.ndjson.gz')])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.include('cannot read').and.include('nope.ndjson.gz')
  })
})
