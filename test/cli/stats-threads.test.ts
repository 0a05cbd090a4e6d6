/**
 * `volumer stats --threads N` must print byte for byte what `--threads 1` prints, on stdout and
 * on stderr, whatever the input holds. The input here is the shipped sample (several of the
 * threaded reader's 1 MiB chunks) with everything that could tell the shards apart: duplicates
 * (same id and blockTime) whose token, chain, trader or amounts were altered so that they land in
 * another shard, same-id swaps at another time, lines whose token the byte scan of
 * src/batch/token-shard.ts cannot place (escaped or duplicated keys, nested objects, spaces, a
 * backslash anywhere, a non-ASCII token), late, future and invalid lines, blank and
 * whitespace-only lines, CRLF endings, a BOM, an oversize line, bad UTF-8 and a last line
 * without its newline. The shards' correctness against the oracle is stats.test.ts' (it runs
 * with the default, one thread per core).
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRandom, shuffled } from '../helpers/seeded-random.js'
import { readSampleLines } from '../helpers/sample-data.js'
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js'

type Rec = Record<string, unknown>

function adversarialLines (seed: number, at: number): string[] {
  const random = createRandom(seed)
  const lines = readSampleLines()
  const records = lines.map((l) => JSON.parse(l) as Rec)
  const tokens = [...new Set(records.map((r) => r.token as string))]
  const pick = (): Rec => records[Math.floor(random() * records.length)]
  const otherToken = (r: Rec): string => {
    for (;;) { const t = tokens[Math.floor(random() * tokens.length)]; if (t !== r.token) return t }
  }
  const out = [...lines]
  for (let k = 0; k < lines.length / 10; k++) out.push(lines[Math.floor(random() * lines.length)])
  for (let k = 0; k < 300; k++) {
    const r = pick()
    const same = { id: r.id, blockTime: r.blockTime }
    out.push(JSON.stringify({ ...r, token: otherToken(r), ...same }))
    out.push(JSON.stringify({ ...r, chain: 'base', ...same }))
    out.push(JSON.stringify({ ...r, trader: '0x' + k.toString(16).padStart(40, '7'), amount: '3.5', amountUsd: '7.25', ...same }))
    out.push(JSON.stringify({ ...r, side: r.side === 'BUY' ? 'SELL' : 'BUY', ...same }))
    out.push(JSON.stringify({ ...r, blockTime: Date.parse(r.blockTime as string) + 1 })) // same id, another time: counted
  }
  for (let k = 0; k < 40; k++) {
    const r = pick()
    const text = JSON.stringify({ ...r, id: 'trap-' + k })
    out.push(text.replace('"token"', '"tok\\u0065n"'))
    out.push(text.replace('"token":', `"token":"${otherToken(r)}","token":`))
    out.push(text.replace('"token":', `"meta":{"token":"${otherToken(r)}"},"token":`))
    out.push(text.replace('"token":', `"meta":{"token":"${otherToken(r)}"},"tok\\u0065n":`))
    out.push(text.replace('"token":"', '"token" : "'))
    out.push(text.replace('"id":"trap-', '"id":"trap\\\\-'))
    out.push(JSON.stringify({ ...r, id: 'unicode-' + k, token: 'ü🦄-' + (k % 7) }))
    out.push(text.replace(/"token":"[^"]*"/, '"meta":{"token":"x"}')) // no top-level token: MISSING_FIELD
    out.push(JSON.stringify({ ...r, id: 'late-' + k, blockTime: new Date(at - 2 * 86_400_000).toISOString() }))
    out.push(JSON.stringify({ ...r, id: 'future-' + k, blockTime: new Date(at + 61_000 + k).toISOString() }))
    out.push(JSON.stringify({ ...r, id: 'soon-' + k, blockTime: at + 1000 + k }))
    out.push(JSON.stringify({ ...r, id: 'bad-side-' + k, side: 'HOLD' }))
    out.push(JSON.stringify({ ...r, id: 'zero-' + k, amount: '0' }))
    out.push('{"id": "truncated', '[1,2,3]', '', '   \t ', 'not json at all')
    out.push(JSON.stringify({ ...r, id: 'crlf-' + k }) + '\r')
  }
  out.push(JSON.stringify({ ...pick(), id: 'oversize', pool: 'p'.repeat(70_000) }))
  return shuffled(out, random)
}

async function stats (args: string[], stdin?: string): Promise<CliResult> {
  const r = stdin === undefined ? await runCli(['stats', ...args]) : await spawnCli(['stats', ...args], { stdin })
  expect(r.code, 'exit code; stderr tail: ' + r.stderr.slice(-500)).to.equal(0)
  return r
}

function expectSame (got: CliResult, want: CliResult, what: string): void {
  // compared whole, but a diff of 100 MB strings is no help: report the first difference
  const first = (a: string, b: string): string => {
    let i = 0
    while (i < a.length && a[i] === b[i]) i++
    return `first difference at ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 80))} vs ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 80))}`
  }
  expect(got.stdout === want.stdout, `${what}: stdout, ${first(got.stdout, want.stdout)}`).to.equal(true)
  expect(got.stderr === want.stderr, `${what}: stderr, ${first(got.stderr, want.stderr)}`).to.equal(true)
}

describe('volumer stats --threads (the same output as one thread)', function () {
  this.timeout(180_000)
  let tmp = ''
  let file = ''
  let text = ''
  let at = 0

  before(function () {
    tmp = mkdtempSync(join(tmpdir(), 'volumer-stats-threads-'))
    const times = readSampleLines().map((l) => Date.parse((JSON.parse(l) as { blockTime: string }).blockTime))
    at = Math.floor((Math.min(...times) + Math.max(...times)) / 2)
    const lines = adversarialLines(21, at)
    text = lines.join('\n') // no newline after the last line
    file = join(tmp, 'adversarial.ndjson')
    // a BOM, and two lines of bytes that are not UTF-8: one whose token the scan places, one it cannot
    writeFileSync(file, Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"id":"bad-utf8-a","token":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","chain":"x"}\n'),
      Buffer.from('{"id":"bad-utf8-b",'), Buffer.from([0xc3, 0x28]), Buffer.from('"token":"0x1"}\n'),
      Buffer.from(text, 'utf8'),
    ]))
  })
  after(() => { if (tmp !== '') rmSync(tmp, { recursive: true, force: true }) })

  it('prints the same stats, rejects and summary with 2 and 3 threads as with 1, from a file and from stdin', async () => {
    const iso = new Date(at).toISOString()
    const one = await stats(['--at', iso, '--threads', '1', file])
    // the input is as hostile as meant: every kind of outcome occurs
    const summary = one.stderr.split('\n').filter((l) => l.startsWith('summary:'))[0]
    for (const what of ['duplicates', 'late']) expect(Number(new RegExp(`${what} (\\d+)`).exec(summary)?.[1]), summary).to.be.greaterThan(10)
    for (const code of ['FUTURE_TIME', 'INVALID_JSON', 'NOT_AN_OBJECT', 'BAD_SIDE', 'BAD_AMOUNT', 'MISSING_FIELD', 'OVERSIZE_RECORD']) expect(summary).to.include(code)
    expect(one.stdout.split('\n').length).to.be.greaterThan(100)
    for (const threads of ['2', '3']) expectSame(await stats(['--at', iso, '--threads', threads, file]), one, `--threads ${threads}`)
    const oneStdin = await stats(['--at', iso, '--threads', '1', '-'], text)
    expectSame(await stats(['--at', iso, '--threads', '2', '-'], text), oneStdin, '--threads 2 from stdin')
  })

  it('prints the same candles with 2 threads as with 1', async () => {
    const args = ['--at', new Date(at).toISOString(), '--candles', '1m,1h,1d']
    const one = await stats([...args, '--threads', '1', file])
    expect(one.stdout.split('\n').length).to.be.greaterThan(100)
    expectSame(await stats([...args, '--threads', '2', file]), one, '--candles, --threads 2')
  })
})
