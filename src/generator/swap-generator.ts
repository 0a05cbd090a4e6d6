import { VolumerError } from '../errors.js'
import type { SwapRecord } from '../codec/swap-codec.js'
import { chainProfile, DEFAULT_CHAINS, randomAddress, randomTxHash, type ChainProfile } from './chains.js'
import { decimalText, smallestUnit } from './decimal-text.js'
import { deriveSeed, Random } from './random.js'
import { createZipfSampler, type ZipfSampler } from './zipf.js'

/**
 * A seeded, clock-injected generator of realistic swaps (SPEC section 2). Pure: no I/O, no
 * timers, no Date.now — the caller passes `now` to every call, so a seed and a sequence of
 * `now` values reproduce the same records, byte for byte.
 *
 * The model, from the outside in:
 *
 *   next(now) ─┬─ dupRate ──► an exact repeat of an earlier record (recent ring, or a
 *              │               reservoir over the whole run: "sometimes much later")
 *              └─ fresh ─► token ◄─ active burst (share of traffic) │ Zipf(rank, s) over N tokens
 *                          trader ◄─ bot (Zipf over a few busy wallets) │ the token's own community
 *                          block  ◄─ the chain's block at now │ (disorder) an earlier block ≤ S back
 *                          price  ◄─ geometric random walk in event time + the trade's own impact
 *                          amountUsd ~ log-normal around the token's median; amount = usd / price
 *
 * - Tokens are created lazily from (seed, rank), so a token's chain, address, decimals, starting
 *   price and volatility do not depend on the order tokens are first drawn in.
 * - Block numbers follow each chain's real cadence from one reference point
 *   (block = refBlock + (t − refTime) / blockMs) and blockTime is the block's start, so block
 *   numbers increase with blockTime on every chain; logIndex increases within a block.
 * - Disorder: a share of fresh swaps belongs to an earlier block whose start is at most
 *   `disorderMs` before `now`, so blockTimes arrive out of order by at most `disorderMs`.
 * - Amounts are canonical decimal strings: amount with ≤ 15 significant digits and at most the
 *   token's decimals, amountUsd = amount × price rounded to 6 decimals (USDC precision), so
 *   amountUsd / amount is the walk's price to within the USD rounding.
 */
export interface SwapGeneratorOptions {
  /** default 1 */
  readonly seed?: number
  /** number of tokens (ranks 1..tokens); default 1000 */
  readonly tokens?: number
  /** chain names from CHAIN_PROFILES; default all of them */
  readonly chains?: readonly string[]
  /** Zipf exponent of token activity; default 1.1 (rank 1 ≈ 1/7 of the traffic at 1000 tokens) */
  readonly zipfExponent?: number
  /** share of records that repeat an earlier record exactly, [0, 1); default 0 */
  readonly dupRate?: number
  /** how far back (ms) an out-of-order block may be; default 0 (in order) */
  readonly disorderMs?: number
  /** share of fresh swaps taken from an earlier block when disorderMs > 0; default 0.2 */
  readonly disorderShare?: number
  /** mean number of bursts starting per minute of event time; default 1 */
  readonly burstsPerMinute?: number
  /** share of swaps made by bots (a few very busy wallets); default 0.3 */
  readonly botShare?: number
  /** start time, ms since the epoch */
  readonly now: number
}

export interface SwapGeneratorCounters {
  /** records returned by next/batch, duplicates included */
  generated: number
  duplicates: number
  /** fresh swaps placed in an earlier block than the current one */
  disordered: number
  burstsStarted: number
}

export interface SwapGenerator {
  /** one record at time `now` (ms; a `now` before an earlier call's counts as that one) */
  next (now: number): SwapRecord
  /** `n` records at time `now`, appended to `out` (default a new array) */
  batch (now: number, n: number, out?: SwapRecord[]): SwapRecord[]
  readonly counters: Readonly<SwapGeneratorCounters>
  /** the token's current walk price, or undefined for a token not generated yet */
  priceOf (chain: string, token: string): number | undefined
  /** the token's activity rank (1 = busiest), or undefined for a token not generated yet */
  rankOf (chain: string, token: string): number | undefined
  /** tokens with a burst running at `now` */
  burstingTokens (now: number): Array<{ chain: string, token: string, until: number }>
  readonly options: Readonly<Required<SwapGeneratorOptions>>
}

interface TokenState {
  readonly rank: number
  readonly chain: ChainState
  readonly address: string
  readonly quoteToken: string
  readonly pool: string
  readonly decimals: number
  /** volatility per √ms of event time */
  readonly sigma: number
  readonly medianUsd: number
  readonly liquidityUsd: number
  price: number
  lastTime: number
  buyBias: number
  burstUntil: number
}

interface ChainState {
  readonly profile: ChainProfile
  /** block → next logIndex, for the blocks a swap may still land in */
  readonly blocks: Map<number, number>
  swapsSincePrune: number
}

interface Burst { readonly token: TokenState, readonly until: number, readonly share: number }

const HOUR_MS = 3_600_000
const MIN_USD = 0.5
const MAX_USD = 5_000_000
// amounts stay far inside the 18 integer digits SPEC allows: price ≥ 1e-10 and usd ≤ 5e6 → ≤ 5e16
const MIN_PRICE = 1e-10
const MAX_PRICE = 1e6
const RECENT_SIZE = 2048
const RESERVOIR_SIZE = 1024
const BOTS_PER_STYLE = 64
const COMMUNITY_SIZE = 5000
// most bursts take a few % to a third of all traffic; together never more than this
const MAX_BURST_SHARE = 0.6

export function createSwapGenerator (options: SwapGeneratorOptions): SwapGenerator {
  const o = checkOptions(options)
  const random = new Random(o.seed, 0)
  const chains: ChainState[] = o.chains.map((name) => ({ profile: chainProfile(name), blocks: new Map(), swapsSincePrune: 0 }))
  const chainCdf = cumulative(chains.map((c) => c.profile.weight))
  const tokenZipf = createZipfSampler(o.tokens, o.zipfExponent)
  const botZipf = createZipfSampler(BOTS_PER_STYLE, 1.2)
  const communityZipf = createZipfSampler(COMMUNITY_SIZE, 1.0)
  // retail wallets: enough that communities of busy tokens overlap only partly
  const retailPopulation = Math.max(50_000, o.tokens * 200)
  const tokens = new Map<number, TokenState>()
  const byKey = new Map<string, TokenState>()
  const wallets = new Map<number, string>()
  const counters: SwapGeneratorCounters = { generated: 0, duplicates: 0, disordered: 0, burstsStarted: 0 }
  const recent: SwapRecord[] = []
  let recentNext = 0
  const reservoir: SwapRecord[] = []
  let originals = 0
  let bursts: Burst[] = []
  let burstShare = 0
  const burstMeanMs = o.burstsPerMinute > 0 ? 60_000 / o.burstsPerMinute : Infinity
  let nextBurstAt = o.now + random.exponential(burstMeanMs)
  let lastNow = o.now

  function tokenAt (rank: number): TokenState {
    let t = tokens.get(rank)
    if (t !== undefined) return t
    const r = new Random(deriveSeed(o.seed, rank, 1))
    const chain = chains[pick(chainCdf, r.float())]
    const p = chain.profile
    const address = randomAddress(r, p.addressStyle)
    const logRank = Math.log10(rank)
    // busy tokens trade bigger and move less; the tail is small, volatile and thin
    const medianUsd = 2000 / ((1 + logRank) * (1 + logRank)) * r.logNormal(1, 0.6)
    t = {
      rank,
      chain,
      address,
      quoteToken: p.quoteTokens[r.int(p.quoteTokens.length)],
      pool: randomAddress(r, p.addressStyle),
      decimals: p.decimals[r.int(p.decimals.length)],
      sigma: 0.01 * (1 + logRank) * r.logNormal(1, 0.4) / Math.sqrt(HOUR_MS),
      medianUsd,
      liquidityUsd: medianUsd * 2000,
      // log-uniform between 1e-6 and 5e3 USD
      price: Math.exp(Math.log(1e-6) + r.float() * (Math.log(5e3) - Math.log(1e-6))),
      lastTime: -1,
      buyBias: 0.4 + 0.2 * r.float(),
      burstUntil: -Infinity,
    }
    tokens.set(rank, t)
    byKey.set(p.name + ':' + address, t)
    return t
  }

  /** a wallet address; index < 0 are bots, ≥ 0 retail; cached (bounded) since deriving costs a PRNG */
  function wallet (index: number, style: 'evm' | 'solana'): string {
    const key = style === 'evm' ? index * 2 : index * 2 + 1
    let a = wallets.get(key)
    if (a === undefined) {
      if (wallets.size >= 200_000) wallets.clear()
      a = randomAddress(new Random(deriveSeed(o.seed, key, 2)), style)
      wallets.set(key, a)
    }
    return a
  }

  function startBursts (now: number): void {
    // far behind (a generator created long before its first call): start from now
    if (now - nextBurstAt > 10 * 60_000) nextBurstAt = now
    while (now >= nextBurstAt) {
      const token = tokenAt(1 + random.int(o.tokens))
      const duration = Math.min(300_000, Math.max(5_000, random.logNormal(30_000, 0.6)))
      const until = nextBurstAt + duration
      if (until > now) {
        bursts.push({ token, until, share: 0.03 + 0.27 * random.float() })
        token.burstUntil = Math.max(token.burstUntil, until)
      }
      counters.burstsStarted++
      nextBurstAt += random.exponential(burstMeanMs)
    }
    if (bursts.length > 0) {
      bursts = bursts.filter((b) => b.until > now)
      burstShare = 0
      for (const b of bursts) burstShare += b.share
      if (burstShare > MAX_BURST_SHARE) burstShare = MAX_BURST_SHARE
    }
  }

  function chooseToken (): TokenState {
    if (bursts.length > 0) {
      let u = random.float()
      if (u < burstShare) {
        for (const b of bursts) { if (u < b.share) return b.token; u -= b.share }
        return bursts[bursts.length - 1].token
      }
    }
    return tokenAt(tokenZipf.sample(random))
  }

  function blockOf (p: ChainProfile, t: number): number {
    return Math.max(0, p.refBlock + Math.floor((t - p.refTime) / p.blockMs))
  }

  function blockStart (p: ChainProfile, block: number): number {
    return Math.max(0, p.refTime + (block - p.refBlock) * p.blockMs)
  }

  function nextLogIndex (c: ChainState, block: number, now: number): number {
    let li = c.blocks.get(block)
    if (li === undefined) li = random.int(4)
    // other contracts' events sit between swaps: gaps of 1..5
    c.blocks.set(block, li + 1 + (random.chance(0.3) ? random.int(5) : 0))
    if (++c.swapsSincePrune >= 4096) {
      c.swapsSincePrune = 0
      // blocks older than the disorder window can never be picked again
      const oldest = blockOf(c.profile, now - o.disorderMs) - 1
      for (const b of c.blocks.keys()) if (b < oldest) c.blocks.delete(b)
    }
    return li
  }

  function fresh (now: number): SwapRecord {
    const tok = chooseToken()
    const c = tok.chain
    const p = c.profile
    const current = blockOf(p, now)
    let block = current
    if (o.disorderMs > 0 && random.chance(o.disorderShare)) {
      block = blockOf(p, now - random.float() * o.disorderMs)
      // the block's start, not the lagged instant, is its blockTime: keep it inside the window
      if (blockStart(p, block) < now - o.disorderMs && block < current) block++
      if (block < current) counters.disordered++
    }
    const blockTime = blockStart(p, block)
    const logIndex = nextLogIndex(c, block, now)

    // price: geometric random walk in event time, plus the trade's impact
    const dt = tok.lastTime < 0 ? 0 : Math.max(0, now - tok.lastTime)
    if (now > tok.lastTime) tok.lastTime = now
    const bursting = tok.burstUntil > now
    const isBot = random.chance(o.botShare)
    const trader = isBot ? wallet(-botZipf.sample(random), p.addressStyle) : wallet(communityMember(tok.rank), p.addressStyle)
    const buyP = bursting ? Math.min(0.9, tok.buyBias + 0.2) : tok.buyBias
    const buy = random.float() < buyP
    tok.buyBias += 0.02 * random.normal() - 0.02 * (tok.buyBias - 0.5)
    if (tok.buyBias < 0.15) tok.buyBias = 0.15
    else if (tok.buyBias > 0.85) tok.buyBias = 0.85
    let usd = tok.medianUsd * (isBot ? 3 : 1) * Math.exp(1.4 * random.normal())
    if (usd < MIN_USD) usd = MIN_USD + random.float()
    else if (usd > MAX_USD) usd = MAX_USD * (0.5 + 0.5 * random.float())
    const impact = Math.min(0.02, usd / tok.liquidityUsd) * (buy ? 1 : -1)
    const sigma = bursting ? tok.sigma * 3 : tok.sigma
    let price = tok.price * Math.exp(sigma * Math.sqrt(dt) * random.normal() + impact)
    if (price < MIN_PRICE) price = MIN_PRICE
    else if (price > MAX_PRICE) price = MAX_PRICE
    tok.price = price

    let amount = decimalText(usd / price, 15, tok.decimals)
    if (amount === '') amount = smallestUnit(tok.decimals)
    // from the rounded amount, so amountUsd / amount is the walk price up to the 6-decimal USD rounding
    const amountUsd = decimalText(Number(amount) * price, 15, 6) || '0.000001'

    return {
      id: randomTxHash(random, p.addressStyle) + ':' + logIndex,
      chain: p.name,
      blockNumber: block,
      logIndex,
      blockTime,
      token: tok.address,
      quoteToken: tok.quoteToken,
      pool: tok.pool,
      trader,
      side: buy ? 'BUY' : 'SELL',
      amount,
      amountUsd,
    }
  }

  /** a retail wallet from the token's own community: Zipf inside it, spread over everyone */
  function communityMember (rank: number): number {
    const local = communityZipf.sample(random)
    return ((Math.imul(rank, 0x9e3779b1) + Math.imul(local, 0x85ebca6b)) >>> 0) % retailPopulation
  }

  function remember (r: SwapRecord): void {
    if (o.dupRate === 0) return
    if (recent.length < RECENT_SIZE) recent.push(r)
    else { recent[recentNext] = r; recentNext = (recentNext + 1) % RECENT_SIZE }
    originals++
    // reservoir sampling (Vitter's R): every original so far is equally likely to be in it
    if (reservoir.length < RESERVOIR_SIZE) reservoir.push(r)
    else {
      const j = random.int(originals)
      if (j < RESERVOIR_SIZE) reservoir[j] = r
    }
  }

  function next (now: number): SwapRecord {
    if (!Number.isFinite(now)) throw new VolumerError('BAD_CONFIG', `generator: now must be a finite number of ms, got ${now}`)
    if (now < lastNow) now = lastNow
    lastNow = now
    counters.generated++
    if (o.dupRate > 0 && recent.length > 0 && random.chance(o.dupRate)) {
      counters.duplicates++
      const from = reservoir.length > 0 && random.chance(0.25) ? reservoir : recent
      return { ...from[random.int(from.length)] }
    }
    if (now >= nextBurstAt || bursts.length > 0) startBursts(now)
    const r = fresh(now)
    remember(r)
    return r
  }

  return {
    next,
    batch (now, n, out = []) {
      for (let i = 0; i < n; i++) out.push(next(now))
      return out
    },
    counters,
    priceOf (chain, token) { return byKey.get(chain + ':' + token)?.price },
    rankOf (chain, token) { return byKey.get(chain + ':' + token)?.rank },
    burstingTokens (now) {
      return bursts.filter((b) => b.until > now).map((b) => ({ chain: b.token.chain.profile.name, token: b.token.address, until: b.until }))
    },
    options: o,
  }
}

function checkOptions (options: SwapGeneratorOptions): Readonly<Required<SwapGeneratorOptions>> {
  const {
    seed = 1, tokens = 1000, chains = DEFAULT_CHAINS, zipfExponent = 1.1, dupRate = 0, disorderMs = 0,
    disorderShare = 0.2, burstsPerMinute = 1, botShare = 0.3, now,
  } = options
  const need = (ok: boolean, what: string): void => { if (!ok) throw new VolumerError('BAD_CONFIG', `generator: ${what}`) }
  need(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative integer, got ${seed}`)
  need(Number.isInteger(tokens) && tokens >= 1 && tokens <= 10_000_000, `tokens must be an integer from 1 to 10,000,000, got ${tokens}`)
  need(chains.length > 0, 'chains must name at least one chain')
  for (const c of chains) chainProfile(c)
  need(new Set(chains).size === chains.length, `chains has a repeated name: ${chains.join(',')}`)
  need(zipfExponent > 0 && zipfExponent <= 5, `zipfExponent must be in (0, 5], got ${zipfExponent}`)
  need(dupRate >= 0 && dupRate < 1, `dupRate must be in [0, 1), got ${dupRate}`)
  need(Number.isFinite(disorderMs) && disorderMs >= 0, `disorderMs must be ≥ 0, got ${disorderMs}`)
  need(disorderShare >= 0 && disorderShare <= 1, `disorderShare must be in [0, 1], got ${disorderShare}`)
  need(Number.isFinite(burstsPerMinute) && burstsPerMinute >= 0, `burstsPerMinute must be ≥ 0, got ${burstsPerMinute}`)
  need(botShare >= 0 && botShare <= 1, `botShare must be in [0, 1], got ${botShare}`)
  need(Number.isFinite(now), `now must be a finite number of ms, got ${now}`)
  return Object.freeze({ seed, tokens, chains: Object.freeze([...chains]), zipfExponent, dupRate, disorderMs, disorderShare, burstsPerMinute, botShare, now })
}

function cumulative (weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length)
  let sum = 0
  for (const w of weights) sum += w
  let acc = 0
  for (let i = 0; i < weights.length; i++) { acc += weights[i] / sum; out[i] = acc }
  out[weights.length - 1] = 1
  return out
}

function pick (cdf: Float64Array, u: number): number {
  let i = 0
  while (i < cdf.length - 1 && u >= cdf[i]) i++
  return i
}
