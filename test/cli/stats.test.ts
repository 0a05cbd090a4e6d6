/**
 * `volumer stats` replays the shipped real-swap sample (samples/) (shuffled, with injected duplicates, bad,
 * late and future lines) and must print exactly what the brute-force oracle computes.
 *
 *   volumer stats --at <ISO> [--windows LIST] [--skew DURATION] [FILE|-]
 *
 * The CLI runs as a child process (`node --import tsx src/cli/main.ts stats …`).
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Oracle, O_DUPLICATE, O_FUTURE, O_LATE, O_COUNTED } from '../engine/oracle.js'
import { parseWindows, parseDurationMs, DEFAULT_WINDOW_LIST } from '../helpers/windows.js'
import { swapFromRecord } from '../helpers/swap-factory.js'
import { createRandom, shuffled } from '../helpers/seeded-random.js'
import { readSampleLines } from '../helpers/sample-data.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import type { StatsObject } from '../../src/engine/stats.js'
import type { Swap } from '../../src/swap/swap.js'
import { candleKey, type Candle } from '../../src/engine/candles.js'
import { parseCandleIntervals } from '../../src/engine/candle-intervals.js'
import { oracleCandles } from '../helpers/candle-oracle.js'

interface Entry { text: string, reason?: string }

/** Bad records, each with the reason code the contract (docs/errors.md, src/swap) gives it. */
function badLines (base: Record<string, unknown>): Entry[] {
  const edit = (patch: Record<string, unknown>, drop?: string): string => {
    const o: Record<string, unknown> = { ...base, ...patch }
    if (drop !== undefined) delete o[drop]
    return JSON.stringify(o)
  }
  return [
    { text: '{"id": "truncated', reason: 'INVALID_JSON' },
    { text: '[1,2,3]', reason: 'NOT_AN_OBJECT' },
    { text: edit({ id: 'bad-side', side: 'HOLD' }), reason: 'BAD_SIDE' },
    { text: edit({ id: 'no-trader' }, 'trader'), reason: 'MISSING_FIELD' },
    { text: edit({ id: 'zero-amount', amount: '0' }), reason: 'BAD_AMOUNT' },
    { text: edit({ id: 'neg-usd', amountUsd: '-5' }), reason: 'BAD_AMOUNT' },
    { text: edit({ id: 'number-amount', amount: 1.5 }), reason: 'BAD_TYPE' },
    { text: edit({ id: 'bad-time', blockTime: 'yesterday' }), reason: 'BAD_TIME' },
    { text: edit({ id: 'bad-block', blockNumber: -1 }), reason: 'BAD_NUMBER' },
  ]
}

/**
 * The sample, shuffled, with ~10% duplicated lines, bad lines, late lines (older than every
 * window at `at`) and future lines (beyond the skew, and within it), in a seeded order.
 */
function buildInput (seed: number, at: number, windowsList: string, skewMs: number): Entry[] {
  const random = createRandom(seed)
  const lines = readSampleLines()
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  const pick = (): Record<string, unknown> => records[Math.floor(random() * records.length)]
  const entries: Entry[] = lines.map((text) => ({ text }))
  for (let k = 0; k < lines.length / 10; k++) entries.push({ text: lines[Math.floor(random() * lines.length)] })
  for (let k = 0; k < 3; k++) entries.push(...badLines(pick()))
  const hs = new Oracle(parseWindows(windowsList), skewMs, at).horizonStart()
  for (let k = 0; k < 20; k++) {
    entries.push({ text: JSON.stringify({ ...pick(), id: 'late-' + k, blockTime: new Date(hs - 1 - Math.floor(random() * 3_600_000)).toISOString() }) })
    entries.push({ text: JSON.stringify({ ...pick(), id: 'future-' + k, blockTime: new Date(at + skewMs + 1 + Math.floor(random() * 600_000)).toISOString() }) })
    entries.push({ text: JSON.stringify({ ...pick(), id: 'soon-' + k, blockTime: at + 1 + Math.floor(random() * (skewMs - 1)) }) })
  }
  entries.push({ text: JSON.stringify({ ...pick(), id: 'at-horizon', blockTime: hs }) })
  entries.push({ text: JSON.stringify({ ...pick(), id: 'at-skew', blockTime: at + skewMs }) })
  return shuffled(entries, random)
}

interface Expected {
  stats: StatsObject[]
  /** `lineNo reason` of every line the CLI must name on stderr */
  rejects: Map<number, string>
  counters: { read: number, counted: number, duplicates: number, late: number, future: number }
}

function expectedFor (entries: Entry[], at: number, windowsList: string, skewMs: number): Expected {
  const oracle = new Oracle(parseWindows(windowsList), skewMs, at)
  const rejects = new Map<number, string>()
  const counters = { read: entries.length, counted: 0, duplicates: 0, late: 0, future: 0 }
  entries.forEach((e, i) => {
    if (e.reason !== undefined) { rejects.set(i + 1, e.reason); return }
    const outcome = oracle.ingest(swapFromRecord(JSON.parse(e.text) as Record<string, unknown>))
    if (outcome === O_COUNTED) counters.counted++
    else if (outcome === O_DUPLICATE) counters.duplicates++
    else if (outcome === O_LATE) counters.late++
    else if (outcome === O_FUTURE) { counters.future++; rejects.set(i + 1, 'FUTURE_TIME') }
  })
  return { stats: oracle.statsPrintable(), rejects, counters }
}

/** The number printed next to a label in the summary line, as `label 12`, `label: 12` or `label=12`. */
function summaryNumber (stderr: string, label: string): number | undefined {
  const summary = stderr.split('\n').filter((l) => /summary/i.test(l)).at(-1) ?? stderr
  const m = new RegExp(`\\b${label}\\b["']?\\s*[:=]?\\s*(\\d+)`, 'i').exec(summary)
  return m === null ? undefined : Number(m[1])
}

function checkOutput (r: CliResult, want: Expected, windowNames: string[]): void {
  expect(r.code, 'exit code; stderr tail: ' + r.stderr.slice(-500)).to.equal(0)
  const out = r.stdout.split('\n').filter((l) => l.length > 0)
  expect(out.length, 'tokens printed').to.equal(want.stats.length)
  out.forEach((line, i) => {
    const got = JSON.parse(line) as StatsObject
    expect(Object.keys(got.windows), 'window order').to.deep.equal(windowNames)
    expect(got, 'stdout line ' + (i + 1)).to.deep.equal(want.stats[i])
  })
  // every bad line named with its line number and reason code
  const named = new Map<number, string>()
  for (const line of r.stderr.split('\n')) {
    const code = /\b([A-Z][A-Z_]{2,})\b/.exec(line.replace(/\b(JSON|USD|ISO|UTC|BUY|SELL)\b/g, ''))
    const no = /\bline\s*[:#=]?\s*(\d+)/i.exec(line)
    if (code !== null && no !== null) named.set(Number(no[1]), code[1])
  }
  const sorted = (m: Map<number, string>): Array<[number, string]> => [...m].sort((a, b) => a[0] - b[0])
  expect(sorted(named), 'bad and future lines named on stderr (line, code)').to.deep.equal(sorted(want.rejects))
  // the summary: read, counted, duplicates, late, rejected by reason
  const c = want.counters
  expect(summaryNumber(r.stderr, 'read'), 'summary: read').to.equal(c.read)
  expect(summaryNumber(r.stderr, 'counted'), 'summary: counted').to.equal(c.counted)
  expect(summaryNumber(r.stderr, 'duplicates?'), 'summary: duplicates').to.equal(c.duplicates)
  expect(summaryNumber(r.stderr, 'late'), 'summary: late').to.equal(c.late)
  const byReason = new Map<string, number>()
  for (const code of want.rejects.values()) byReason.set(code, (byReason.get(code) ?? 0) + 1)
  for (const [code, n] of byReason) expect(summaryNumber(r.stderr, code), 'summary: rejected ' + code).to.equal(n)
  expect(summaryNumber(r.stderr, 'rejected'), 'summary: rejected').to.equal(want.rejects.size)
}

describe('volumer stats (replay of the shipped sample)', function () {
  this.timeout(120_000)
  let tmp = ''

  before(function () {
    tmp = mkdtempSync(join(tmpdir(), 'volumer-stats-test-'))
  })
  after(() => { if (tmp !== '') rmSync(tmp, { recursive: true, force: true }) })

  const times = (): Array<[string, number]> => {
    const ts = readSampleLines().map((l) => Date.parse((JSON.parse(l) as { blockTime: string }).blockTime))
    const start = Math.min(...ts)
    const end = Math.max(...ts)
    return [['start', start], ['middle', Math.floor((start + end) / 2)], ['end', end], ['end+30m', end + 30 * 60_000], ['end+23h', end + 23 * 3_600_000]]
  }

  // the default is one worker thread per core; 1 and 3 cover the single-thread path and an odd split
  for (const threads of [undefined, '1', '3']) {
    it(`matches the oracle at start, middle, end, end+30m and end+23h (default windows, 60s skew${threads === undefined ? '' : ', --threads ' + threads})`, async function () {
      let seed = 1
      for (const [label, at] of times()) {
        const entries = buildInput(seed++, at, DEFAULT_WINDOW_LIST, 60_000)
        const file = join(tmp, label + '.ndjson')
        writeFileSync(file, entries.map((e) => e.text).join('\n') + '\n')
        const r = await runCli(['stats', '--at', new Date(at).toISOString(), ...(threads === undefined ? [] : ['--threads', threads]), file])
        try {
          checkOutput(r, expectedFor(entries, at, DEFAULT_WINDOW_LIST, 60_000), DEFAULT_WINDOW_LIST.split(','))
        } catch (err) { (err as Error).message = `at ${label} (${new Date(at).toISOString()}): ` + (err as Error).message; throw err }
      }
    })
  }

  it('honours --windows (in the order given) and --skew, reading stdin with -', async () => {
    const [, middle] = times()[1]
    const list = '5m:10s,1m,30m,2m:30s'
    const skew = '5m'
    const entries = buildInput(99, middle, list, parseDurationMs(skew))
    const r = await runCli(['stats', '--at', new Date(middle).toISOString(), '--windows', list, '--skew', skew, '-'], entries.map((e) => e.text).join('\n') + '\n')
    checkOutput(r, expectedFor(entries, middle, list, parseDurationMs(skew)), ['5m', '1m', '30m', '2m'])
  })

  it('--candles prints the candles of the counted swaps that end after the horizon, every field as from scratch', async () => {
    const [, middle] = times()[1]
    const entries = buildInput(7, middle, DEFAULT_WINDOW_LIST, 60_000)
    const r = await runCli(['stats', '--at', new Date(middle).toISOString(), '--candles', '1m,1h,1d', '-'], entries.map((e) => e.text).join('\n') + '\n')
    expect(r.code).to.equal(0)
    const oracle = new Oracle(parseWindows(DEFAULT_WINDOW_LIST), 60_000, middle)
    const counted: Swap[] = []
    for (const e of entries) {
      if (e.reason !== undefined) continue
      const swap = swapFromRecord(JSON.parse(e.text) as Record<string, unknown>)
      if (oracle.ingest(swap) === O_COUNTED) counted.push(swap)
    }
    const want = oracleCandles(counted, parseCandleIntervals('1m,1h,1d'), oracle.horizonStart())
    const got = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Candle)
    expect(got.length).to.equal(want.size)
    for (const c of got) expect(c, c.chain + ':' + c.token + ':' + c.interval + ':' + c.start).to.deep.equal(want.get(candleKey(c.chain, c.token, c.interval, Date.parse(c.start))))
    const order = got.map((c) => [c.chain, c.token, ['1m', '1h', '1d'].indexOf(c.interval), Date.parse(c.start)] as const)
    expect(order).to.deep.equal([...order].sort((a, b) => a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : (a[2] - b[2]) || (a[3] - b[3])))
  })

  it('prints nothing for empty input and still reports a summary', async () => {
    const r = await runCli(['stats', '--at', '2021-06-16T02:00:00.000Z', '-'], '')
    expect(r.code).to.equal(0)
    expect(r.stdout).to.equal('')
    expect(summaryNumber(r.stderr, 'read')).to.equal(0)
    expect(summaryNumber(r.stderr, 'counted')).to.equal(0)
  })

  it('fails with a message naming a missing input file', async () => {
    const missing = join(tmp, 'no-such-file.ndjson')
    const r = await runCli(['stats', '--at', '2021-06-16T02:00:00.000Z', missing])
    expect(r.code).to.not.equal(0)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.include(missing)
  })

  for (const [why, args] of [
    ['an unparsable --at', ['stats', '--at', 'not-a-time', '-']],
    ['a bad --windows', ['stats', '--at', '2021-06-16T02:00:00.000Z', '--windows', '5x', '-']],
    ['a window whose step does not divide it', ['stats', '--at', '2021-06-16T02:00:00.000Z', '--windows', '7m:2m', '-']],
    ['a bad --skew', ['stats', '--at', '2021-06-16T02:00:00.000Z', '--skew', 'soon', '-']],
    ['an unknown flag', ['stats', '--at', '2021-06-16T02:00:00.000Z', '--frobnicate', '-']],
    ['--threads 0', ['stats', '--at', '2021-06-16T02:00:00.000Z', '--threads', '0', '-']],
    ['a --threads that is no integer', ['stats', '--at', '2021-06-16T02:00:00.000Z', '--threads', 'many', '-']],
  ] as const) {
    it(`exits 2 with a clear message for ${why}`, async () => {
      const r = await runCli([...args])
      expect(r.code, 'exit code; stderr: ' + r.stderr).to.equal(2)
      expect(r.stdout).to.equal('')
      const flag = args.find((a) => a.startsWith('--') && a !== '--at') ?? '--at'
      expect(r.stderr, 'message names the flag').to.include(flag.slice(2))
    })
  }
})
