/**
 * The swap generator's promises (src/generator/swap-generator.ts): reproducible by seed, every
 * record a valid canonical swap, duplicates at the asked rate, blockTime disorder bounded per
 * chain, Zipf-skewed token activity, amounts consistent with the token's walk price, bursts,
 * heavy-tailed traders.
 */
import { expect } from 'chai'
import { VolumerError } from '../../src/errors.js'
import { createSwapGenerator, swapRecordToJson, type SwapGeneratorOptions } from '../../src/generator/index.js'
import type { SwapRecord } from '../../src/codec/swap-codec.js'
import { swapToRecord } from '../../src/codec/swap-codec.js'
import { parseSwapJson, validateSwapObject } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import { decimalToString, parseDecimal18 } from '../../src/swap/decimal18.js'

const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/** n records, time advancing by `stepMs` per record (event time, injected) */
function run (opts: Partial<SwapGeneratorOptions>, n: number, stepMs = 10): { records: SwapRecord[], nows: number[], gen: ReturnType<typeof createSwapGenerator> } {
  const gen = createSwapGenerator({ now: T0, ...opts })
  const records: SwapRecord[] = []
  const nows: number[] = []
  for (let i = 0; i < n; i++) {
    const now = T0 + i * stepMs
    records.push(gen.next(now))
    nows.push(now)
  }
  return { records, nows, gen }
}

function canonical (text: string): string {
  const d = parseDecimal18(text)
  if (typeof d === 'string') throw new Error(`not a decimal: ${text} (${d})`)
  return decimalToString(d)
}

describe('swap generator', () => {
  it('is reproducible: same seed and times → the same records; another seed → others', () => {
    const opts = { seed: 42, tokens: 500, dupRate: 0.02, disorderMs: 5000, burstsPerMinute: 5 }
    const a = run(opts, 3000).records.map(swapRecordToJson)
    const b = run(opts, 3000).records.map(swapRecordToJson)
    const c = run({ ...opts, seed: 43 }, 3000).records.map(swapRecordToJson)
    expect(a).to.deep.equal(b)
    expect(c.filter((line, i) => line === a[i])).to.have.length(0)
  })

  it('batch(now, n) gives what n calls of next(now) give', () => {
    const g1 = createSwapGenerator({ seed: 5, now: T0, dupRate: 0.1 })
    const g2 = createSwapGenerator({ seed: 5, now: T0, dupRate: 0.1 })
    const viaBatch = [...g1.batch(T0 + 100, 500), ...g1.batch(T0 + 200, 500)]
    const viaNext: SwapRecord[] = []
    for (let i = 0; i < 500; i++) viaNext.push(g2.next(T0 + 100))
    for (let i = 0; i < 500; i++) viaNext.push(g2.next(T0 + 200))
    expect(viaBatch).to.deep.equal(viaNext)
    expect(g1.counters).to.deep.equal(g2.counters)
  })

  it('every record passes validateSwapObject, with canonical amounts, and survives JSON → parse → record', () => {
    const { records, nows } = run({ seed: 9, tokens: 2000, dupRate: 0.05, disorderMs: 10_000, burstsPerMinute: 10 }, 20_000, 37)
    const chains = new Set<string>()
    // plain checks in the loop (chai per record costs seconds); the first failure is reported
    const idPattern = { solana: /^[1-9A-HJ-NP-Za-km-z]{88}:\d+$/, evm: /^0x[0-9a-f]{64}:\d+$/ }
    for (let i = 0; i < records.length; i++) {
      const r = records[i]
      const swap = validateSwapObject(r)
      if (isSwapReject(swap)) expect.fail(`record ${i} rejected: ${swap.code} ${swap.message}: ${JSON.stringify(r)}`)
      if (canonical(r.amount) !== r.amount || canonical(r.amountUsd) !== r.amountUsd) expect.fail(`amounts not canonical: ${JSON.stringify(r)}`)
      if (r.blockTime > nows[i]) expect.fail(`blockTime after now: ${JSON.stringify(r)}`)
      const parsed = parseSwapJson(swapRecordToJson(r))
      if (isSwapReject(parsed)) expect.fail(`JSON of record ${i} rejected: ${parsed.message}`)
      if (JSON.stringify(swapToRecord(parsed)) !== JSON.stringify(r)) expect.fail(`record ${i} changed through JSON: ${JSON.stringify(r)}`)
      chains.add(r.chain)
      // ids: txHash:logIndex in the chain's style
      if (!r.id.endsWith(':' + r.logIndex) || !(r.chain === 'solana' ? idPattern.solana : idPattern.evm).test(r.id)) expect.fail(`bad id ${r.id}`)
    }
    expect([...chains].sort()).to.deep.equal(['arbitrum', 'base', 'bsc', 'ethereum', 'solana'])
  })

  it('repeats earlier records exactly at dupRate (±4σ), some of them much later; fresh ids never repeat', () => {
    const n = 60_000
    const rate = 0.05
    const { records, gen } = run({ seed: 3, tokens: 1000, dupRate: rate }, n, 5)
    const firstIndex = new Map<string, number>()
    const firstJson = new Map<string, string>()
    let repeats = 0
    let longGaps = 0
    records.forEach((r, i) => {
      const json = swapRecordToJson(r)
      const seen = firstIndex.get(r.id)
      if (seen === undefined) { firstIndex.set(r.id, i); firstJson.set(r.id, json); return }
      repeats++
      expect(json, 'a duplicate is an exact repeat').to.equal(firstJson.get(r.id))
      if (i - seen > 10_000) longGaps++
    })
    expect(repeats).to.equal(gen.counters.duplicates)
    const sigma = Math.sqrt(rate * (1 - rate) / n)
    expect(Math.abs(repeats / n - rate)).to.be.below(4 * sigma)
    expect(longGaps, 'duplicates arriving more than 10,000 records after the original').to.be.above(50)
  })

  it('keeps blockTime disorder within disorderMs per chain, and does reorder blocks', () => {
    const disorderMs = 5000
    const { records } = run({ seed: 11, tokens: 300, disorderMs }, 30_000, 3)
    const newest = new Map<string, number>()
    let inversions = 0
    let worst = 0
    for (const r of records) {
      const top = newest.get(r.chain) ?? -Infinity
      if (r.blockTime < top) { inversions++; worst = Math.max(worst, top - r.blockTime) }
      else newest.set(r.chain, r.blockTime)
    }
    expect(worst).to.be.at.most(disorderMs)
    expect(inversions).to.be.above(1000)
  })

  it('without disorder, blockTime never goes back on a chain', () => {
    const { records } = run({ seed: 12, tokens: 300 }, 10_000, 7)
    const newest = new Map<string, number>()
    for (const r of records) {
      expect(r.blockTime).to.be.at.least(newest.get(r.chain) ?? 0)
      newest.set(r.chain, r.blockTime)
    }
  })

  it('numbers blocks in blockTime order per chain, one blockTime per block, distinct logIndex in a block', () => {
    const { records } = run({ seed: 13, tokens: 300, disorderMs: 20_000 }, 20_000, 11)
    const blockTime = new Map<string, number>()
    const positions = new Set<string>()
    const byChain = new Map<string, Array<[number, number]>>()
    for (const r of records) {
      const bk = r.chain + '/' + r.blockNumber
      const t = blockTime.get(bk)
      if (t !== undefined) expect(r.blockTime, bk).to.equal(t)
      blockTime.set(bk, r.blockTime)
      const pos = bk + '/' + r.logIndex
      expect(positions.has(pos), `position ${pos} used twice`).to.equal(false)
      positions.add(pos)
      const list = byChain.get(r.chain) ?? []
      list.push([r.blockTime, r.blockNumber])
      byChain.set(r.chain, list)
    }
    for (const [chain, list] of byChain) {
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1])
      for (let i = 1; i < list.length; i++) {
        if (list[i][0] > list[i - 1][0]) expect(list[i][1], chain).to.be.above(list[i - 1][1])
      }
    }
  })

  it('skews token activity like Zipf(s): the busiest ranks get their share', () => {
    const n = 100_000
    const { records, gen } = run({ seed: 21, tokens: 1000, zipfExponent: 1.1, burstsPerMinute: 0 }, n, 1)
    const counts = new Map<number, number>()
    for (const r of records) {
      const rank = gen.rankOf(r.chain, r.token)
      if (rank === undefined) expect.fail('unknown token')
      counts.set(rank, (counts.get(rank) ?? 0) + 1)
    }
    const c = (k: number): number => counts.get(k) ?? 0
    // expected share of rank k is k^-1.1 / H(1000, 1.1)
    let h = 0
    for (let k = 1; k <= 1000; k++) h += Math.pow(k, -1.1)
    for (const k of [1, 2, 5, 10, 50]) {
      const p = Math.pow(k, -1.1) / h
      const sigma = Math.sqrt(p * (1 - p) / n)
      expect(Math.abs(c(k) / n - p), `rank ${k}`).to.be.below(5 * sigma)
    }
    expect(c(1)).to.be.above(c(2))
    expect(c(2)).to.be.above(c(10))
    expect(c(10)).to.be.above(c(100))
    let top10 = 0
    for (let k = 1; k <= 10; k++) top10 += c(k)
    expect(top10 / n).to.be.above(0.3)
  })

  it('prices each swap at the token walk price: |amountUsd − amount × price| ≤ 1e-6 USD', () => {
    const gen = createSwapGenerator({ seed: 31, tokens: 500, now: T0, burstsPerMinute: 4, disorderMs: 3000 })
    const last = new Map<string, { price: number, at: number }>()
    let jumps = 0
    for (let i = 0; i < 20_000; i++) {
      const now = T0 + i * 50
      const r = gen.next(now)
      const price = gen.priceOf(r.chain, r.token)
      if (price === undefined) expect.fail('no price for a generated token')
      const usd = Number(r.amountUsd)
      const err = Math.abs(usd - Number(r.amount) * price)
      expect(err, JSON.stringify(r)).to.be.at.most(1e-6 + usd * 1e-12)
      expect(usd).to.be.at.least(0.25)
      // the walk is continuous: in ≤ 50 s of event time a price rarely moves by half
      const key = r.chain + ':' + r.token
      const prev = last.get(key)
      if (prev !== undefined && now - prev.at <= 50_000 && Math.abs(Math.log(price / prev.price)) > Math.log(1.5)) jumps++
      last.set(key, { price, at: now })
    }
    expect(jumps).to.be.below(5)
  })

  it('runs bursts: a bursting token takes a large share of the traffic while it lasts', () => {
    const gen = createSwapGenerator({ seed: 41, tokens: 5000, now: T0, burstsPerMinute: 2 })
    let now = T0
    let burst: { chain: string, token: string, until: number } | undefined
    while (burst === undefined && now < T0 + 3_600_000) {
      gen.next(now)
      burst = gen.burstingTokens(now)[0]
      now += 1000
    }
    if (burst === undefined) expect.fail('no burst in an hour at 2 per minute')
    // the burst token's share at one instant inside its burst
    const at = Math.min(now, burst.until - 1)
    const batch = gen.batch(at, 5000)
    const share = batch.filter((r) => r.chain === burst.chain && r.token === burst.token).length / batch.length
    expect(share).to.be.above(0.02)
    const rank = gen.rankOf(burst.chain, burst.token) ?? 0
    // well above what its rank alone would give it
    let h = 0
    for (let k = 1; k <= 5000; k++) h += Math.pow(k, -1.1)
    expect(share).to.be.above(3 * Math.pow(rank, -1.1) / h)
    expect(gen.counters.burstsStarted).to.be.above(0)
  })

  it('has heavy-tailed traders (bots) and both sides', () => {
    const { records } = run({ seed: 51, tokens: 1000 }, 30_000, 20)
    const perTrader = new Map<string, number>()
    let buys = 0
    for (const r of records) {
      perTrader.set(r.trader, (perTrader.get(r.trader) ?? 0) + 1)
      if (r.side === 'BUY') buys++
    }
    const sorted = [...perTrader.values()].sort((a, b) => b - a)
    const top1pct = sorted.slice(0, Math.max(1, Math.floor(sorted.length / 100))).reduce((a, b) => a + b, 0)
    expect(top1pct / records.length, 'share of the busiest 1% of traders').to.be.above(0.2)
    expect(sorted.length).to.be.above(3000)
    expect(buys / records.length).to.be.within(0.35, 0.65)
  })

  it('treats a now earlier than the last call as the last call (time never runs back)', () => {
    const gen = createSwapGenerator({ seed: 1, now: T0, chains: ['solana'] })
    const a = gen.next(T0 + 10_000)
    const b = gen.next(T0)
    expect(b.blockTime).to.be.at.least(a.blockTime)
  })

  it('refuses bad options with a message naming the option', () => {
    const bad: Array<[Partial<SwapGeneratorOptions>, RegExp]> = [
      [{ tokens: 0 }, /tokens/],
      [{ dupRate: 1 }, /dupRate/],
      [{ dupRate: -0.1 }, /dupRate/],
      [{ disorderMs: -1 }, /disorderMs/],
      [{ chains: ['ethereum', 'dogechain'] }, /unknown chain "dogechain"/],
      [{ chains: [] }, /chains/],
      [{ zipfExponent: 0 }, /zipfExponent/],
      [{ seed: 1.5 }, /seed/],
      [{ now: NaN }, /now/],
    ]
    for (const [opts, re] of bad) expect(() => createSwapGenerator({ now: T0, ...opts })).to.throw(VolumerError, re)
  })
})
