/**
 * `volumer produce` against the real broker (VOLUMER_BROKERS, default 127.0.0.1:19092;
 * `scripts/kafka.sh start`), with an in-process schema registry and a private topic prefix.
 * The CLI runs as a child process: `node bin/volumer.js produce ...`.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { partitionForKey } from '../../src/log/murmur2.js'
import { swapToRecord, type SwapRecord } from '../../src/codec/index.js'
import { swapRecordToJson } from '../../src/generator/index.js'
import { parseSwapJson } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import { readSampleLines } from '../helpers/sample-data.js'
import { createProduceFixture, readSchemaId, SWAP_PARTITIONS, type ProduceFixture } from './produce-helpers.js'

function recordOf (line: string): SwapRecord {
  const s = parseSwapJson(line)
  if (isSwapReject(s)) throw new Error('sample line does not parse: ' + s.message)
  return swapToRecord(s)
}

function keyPartition (key: string): number {
  return partitionForKey(Buffer.from(key), SWAP_PARTITIONS)
}

describe('volumer produce (Kafka)', function () {
  this.timeout(180_000)
  let dir: string

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'volumer-produce-'))
  })
  after(() => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }) })

  describe('a file', () => {
    let fx: ProduceFixture
    before(async () => { fx = await createProduceFixture('produce-file') })
    after(async () => { await fx?.close() })

    it('sends every valid line exactly once as Avro, keyed chain:token on the murmur2 partition; invalid lines are named and skipped', async () => {
      const sample = readSampleLines().slice(0, 3000)
      const base = JSON.parse(sample[0]) as Record<string, unknown>
      // bad lines at known line numbers (1-based, as an editor shows them)
      const bad: Array<[number, string, string]> = [
        [5, '{"id": "truncated', 'INVALID_JSON'],
        [100, JSON.stringify({ ...base, id: 'bad-side', side: 'HOLD' }), 'BAD_SIDE'],
        [1500, JSON.stringify({ ...base, id: 'zero', amount: '0' }), 'BAD_AMOUNT'],
        [2999, '[1,2]', 'NOT_AN_OBJECT'],
      ]
      const lines = [...sample]
      for (const [lineNo, text] of bad) lines.splice(lineNo - 1, 0, text)
      lines.splice(10, 0, '') // blank lines are skipped silently
      // the blank line shifted what follows it by one
      const expectedBad = bad.map(([n, , code]) => [n > 10 ? n + 1 : n, code] as const)
      const file = join(dir, 'mixed.ndjson')
      writeFileSync(file, lines.join('\n') + '\n')

      const res = await fx.produce([file])
      expect(res.code, res.stderr).to.equal(0)
      for (const [lineNo, code] of expectedBad) expect(res.stderr).to.match(new RegExp(`^line ${lineNo}: ${code} - `, 'm'))
      expect(res.stderr).to.match(/summary: read 3004, sent 3000 in .*skipped 4 \(BAD_AMOUNT 1, BAD_SIDE 1, INVALID_JSON 1, NOT_AN_OBJECT 1\)/)

      const expected = new Map(sample.map((l) => { const r = recordOf(l); return [r.id, r] }))
      const got = await fx.records()
      expect(got).to.have.length(sample.length)
      const schemaId = await fx.registry.register(fx.prefix + 'swaps-value', (await import('../../src/codec/index.js')).loadSchemaText('swap'))
      const seen = new Set<string>()
      for (const rec of got) {
        expect(readSchemaId(rec.value), 'wire-format header with the subject\'s schema id').to.equal(schemaId)
        const r = await fx.decode(rec.value)
        expect(seen.has(r.id), `id ${r.id} arrived twice`).to.equal(false)
        seen.add(r.id)
        expect(r).to.deep.equal(expected.get(r.id))
        expect(rec.key).to.equal(r.chain + ':' + r.token)
        expect(rec.partition).to.equal(keyPartition(rec.key as string))
      }
      expect(seen.size).to.equal(expected.size)
    })
  })

  describe('--raw, stdin', () => {
    let fx: ProduceFixture
    before(async () => { fx = await createProduceFixture('produce-raw') })
    after(async () => { await fx?.close() })

    it('sends each line\'s bytes unchanged, invalid ones too; key chain:token when the line has both', async () => {
      const sample = readSampleLines().slice(0, 50)
      const lines = [...sample, '{"not":"a swap"}', 'garbage', '{"chain":"solana","token":"So1","side":"HOLD"}']
      const res = await fx.produce(['--raw', '-'], lines.join('\r\n'))
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/summary: read 53, sent 53 /)
      const got = await fx.records()
      expect(got.map((r) => r.value.toString('utf8')).sort()).to.deep.equal([...lines].sort())
      for (const r of got) {
        const text = r.value.toString('utf8')
        if (text === 'garbage' || text.startsWith('{"not"')) { expect(r.key).to.equal(null); continue }
        const o = JSON.parse(text) as { chain: string, token: string }
        expect(r.key).to.equal(o.chain + ':' + o.token)
        expect(r.partition).to.equal(keyPartition(r.key as string))
      }
    })
  })

  describe('--generate', () => {
    let fx: ProduceFixture
    before(async () => { fx = await createProduceFixture('produce-gen') })
    after(async () => { await fx?.close() })

    it('sends --count swaps that all validate, with duplicates at about --dup-rate; a --start backfill is reproducible by --seed', async () => {
      const args = ['--generate', '--count', '4000', '--rate', '200', '--start', '2026-01-01T00:00:00Z', '--tokens', '200', '--dup-rate', '0.05', '--disorder', '5', '--seed', '77']
      const res = await fx.produce(args)
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/summary: sent 4000 in .*duplicates (\d+).*seed 77/)
      const reported = Number(/duplicates (\d+)/.exec(res.stderr.split('summary:')[1])?.[1])
      const got = await fx.records()
      expect(got).to.have.length(4000)
      const ids = new Map<string, number>()
      const jsonLines: string[] = []
      for (const rec of got) {
        const r = await fx.decode(rec.value)
        expect(rec.key).to.equal(r.chain + ':' + r.token)
        expect(rec.partition).to.equal(keyPartition(rec.key as string))
        ids.set(r.id, (ids.get(r.id) ?? 0) + 1)
        jsonLines.push(swapRecordToJson(r))
      }
      const repeats = 4000 - ids.size
      expect(repeats).to.equal(reported)
      expect(repeats / 4000).to.be.within(0.03, 0.07)
      // event time ran from --start at 200/s: 20 s of history
      const times = [...jsonLines].map((l) => Date.parse((JSON.parse(l) as { blockTime: string }).blockTime))
      expect(Math.max(...times)).to.be.within(Date.parse('2026-01-01T00:00:15Z'), Date.parse('2026-01-01T00:00:20Z'))
      // the same arguments through --stdout: byte-for-byte the same swaps
      const again = await fx.produce([...args, '--stdout'])
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stdout.trim().split('\n').sort()).to.deep.equal(jsonLines.sort())
    })

    it('paces at --rate for --duration', async () => {
      const t0 = Date.now()
      const res = await fx.produce(['--generate', '--rate', '400', '--duration', '3s', '--json', '--report-every', '1s'])
      expect(res.code, res.stderr).to.equal(0)
      expect(Date.now() - t0).to.be.at.least(3000)
      const m = /summary: sent (\d+) in ([\d.]+)s/.exec(res.stderr)
      expect(m, res.stderr).to.not.equal(null)
      // 1200 due in 3 s; a loaded machine may lose a tick at the end
      expect(Number(m?.[1])).to.be.within(1100, 1201)
      expect(res.stderr.match(/^produce: sent \d+ \(\+\d+ in/mg)?.length ?? 0, 'progress lines').to.be.at.least(2)
    })
  })

  describe('signals', () => {
    let fx: ProduceFixture
    before(async () => { fx = await createProduceFixture('produce-sigint') })
    after(async () => { await fx?.close() })

    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${signal} stops --generate cleanly: exit 0, summary printed, every counted swap flushed to the topic`, async () => {
        const { spawn } = await import('node:child_process')
        const { BIN, BROKERS } = await import('./produce-helpers.js')
        const before = (await fx.records()).length
        const child = spawn(process.execPath, [BIN, 'produce', '--topic-prefix', fx.prefix, '--generate', '--rate', '3000', '--linger', '200ms', '--report-every', '200ms'], {
          env: { ...process.env, VOLUMER_BROKERS: BROKERS, VOLUMER_REGISTRY_URL: fx.registryServer.url, VOLUMER_LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stderr = ''
        child.stderr.setEncoding('utf8')
        // signal once it reports progress, so swaps are in flight (linger 200 ms holds some back)
        const code = await new Promise<number | null>((resolve) => {
          let sent = false
          child.stderr.on('data', (d: string) => {
            stderr += d
            if (!sent && /^produce: sent [1-9]/m.test(stderr)) { sent = true; child.kill(signal) }
          })
          child.on('close', (c) => resolve(c))
        })
        expect(code, stderr).to.equal(0)
        const m = /summary: sent (\d+)/.exec(stderr)
        expect(m, stderr).to.not.equal(null)
        const reported = Number(m?.[1])
        expect(reported).to.be.above(0)
        expect((await fx.records()).length - before).to.equal(reported)
      })
    }
  })

  describe('--replay', () => {
    let fx: ProduceFixture
    before(async () => { fx = await createProduceFixture('produce-replay') })
    after(async () => { await fx?.close() })

    it('shifts blockTimes so the last swap lands at now, keeping the spacing; --id-suffix renames ids', async () => {
      const sample = readSampleLines().slice(0, 500)
      const file = join(dir, 'replay.ndjson')
      writeFileSync(file, sample.join('\n'))
      const original = new Map(sample.map((l) => { const r = recordOf(l); return [r.id + '#2', r] }))
      const last = Math.max(...[...original.values()].map((r) => r.blockTime))
      const before = Date.now()
      const res = await fx.produce(['--replay', file, '--id-suffix', '#2', '--json'])
      const after = Date.now()
      expect(res.code, res.stderr).to.equal(0)
      const got = await Promise.all((await fx.records()).map(async (r) => await fx.decode(r.value)))
      expect(got).to.have.length(500)
      const shift = got[0].blockTime - (original.get(got[0].id)?.blockTime ?? NaN)
      expect(last + shift).to.be.within(before, after)
      for (const r of got) {
        const o = original.get(r.id)
        if (o === undefined) expect.fail(`unexpected id ${r.id}`)
        expect(r.blockTime - o.blockTime, r.id).to.equal(shift)
        expect({ ...r, id: o.id, blockTime: o.blockTime }).to.deep.equal(o)
      }
    })
  })

  describe('errors', () => {
    it('exits 2 with a clear message on bad flags, before touching the broker', async () => {
      const fx = { produce: async (args: string[]) => await (await import('./produce-helpers.js')).runCli(['produce', ...args], { VOLUMER_BROKERS: '127.0.0.1:1' }) }
      const cases: Array<[string[], RegExp]> = [
        [['--generate', '--rate', 'fast'], /--rate: expected a number/],
        [['--generate', '--dup-rate', '1.5'], /--dup-rate: expected a number from 0 to 0.99/],
        [['--generate', '--chains', 'ethereum,doge'], /--chains: unknown chain "doge"/],
        [['--generate', '--count', '5', '--duration', '1s'], /--duration and --count exclude each other/],
        // without --generate, --tokens names a metadata file (docs/produce.md): not with swap input
        [['--tokens', '5', 'file.ndjson'], /--tokens FILE sends token metadata; .*--tokens N, the number of generated tokens, only applies with --generate/],
        [['--generate', '--replay', 'x'], /exclude each other/],
        [['--replay', '-'], /--replay needs a file/],
        [['--generate', '--disorder', 'soon'], /--disorder/],
        [['--nope'], /Unknown option '--nope'/],
      ]
      for (const [args, re] of cases) {
        const res = await fx.produce(args)
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(2)
        expect(res.stderr).to.match(re)
      }
    })

    it('exits 1 naming the topic when <prefix>swaps does not exist (no auto-created 1-partition topic)', async () => {
      const { runCli, BROKERS } = await import('./produce-helpers.js')
      const res = await runCli(['produce', '--topic-prefix', 'produce-missing-' + Date.now() + '-', '--generate', '--count', '1', '--json'], { VOLUMER_BROKERS: BROKERS })
      expect(res.code, res.stderr).to.equal(1)
      expect(res.stderr).to.match(/UNKNOWN_TOPIC: topic "produce-missing-\d+-swaps" does not exist/)
    })
  })
})
