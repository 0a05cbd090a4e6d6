import { VolumerError } from '../errors.js'
import type { Random } from './random.js'

/**
 * What the generator knows about a chain: how often blocks come, how addresses look, which
 * quote tokens pools pair with, and one real (block, time) point so block numbers look like the
 * chain's (block = refBlock + (t - refTime) / blockMs).
 */
export interface ChainProfile {
  readonly name: string
  readonly blockMs: number
  readonly refBlock: number
  readonly refTime: number
  readonly addressStyle: 'evm' | 'solana'
  /** quote legs, e.g. WETH and USDC */
  readonly quoteTokens: readonly string[]
  /** token decimals to draw from (EVM tokens mostly 18, SPL mints 6 or 9) */
  readonly decimals: readonly number[]
  /** share of tokens that live on this chain, relative to the other chosen chains */
  readonly weight: number
}

export const CHAIN_PROFILES: Readonly<Record<string, ChainProfile>> = Object.freeze({
  ethereum: {
    name: 'ethereum', blockMs: 12_000, refBlock: 12_634_810, refTime: Date.UTC(2021, 5, 16, 1, 51, 54), addressStyle: 'evm',
    quoteTokens: ['0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'],
    decimals: [18, 18, 18, 9, 6], weight: 0.25,
  },
  solana: {
    name: 'solana', blockMs: 400, refBlock: 250_000_000, refTime: Date.UTC(2024, 2, 4, 0, 0, 0), addressStyle: 'solana',
    quoteTokens: ['So11111111111111111111111111111111111111112', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'],
    decimals: [6, 9, 6], weight: 0.35,
  },
  base: {
    name: 'base', blockMs: 2_000, refBlock: 10_000_000, refTime: Date.UTC(2024, 1, 1, 0, 0, 0), addressStyle: 'evm',
    quoteTokens: ['0x4200000000000000000000000000000000000006', '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913'],
    decimals: [18], weight: 0.2,
  },
  bsc: {
    name: 'bsc', blockMs: 3_000, refBlock: 35_000_000, refTime: Date.UTC(2024, 0, 10, 0, 0, 0), addressStyle: 'evm',
    quoteTokens: ['0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c', '0x55d398326f99059ff775485246999027b3197955'],
    decimals: [18, 9], weight: 0.12,
  },
  arbitrum: {
    name: 'arbitrum', blockMs: 250, refBlock: 170_000_000, refTime: Date.UTC(2024, 0, 15, 0, 0, 0), addressStyle: 'evm',
    quoteTokens: ['0x82af49447d8a07e3bd95bd0d56f35241523fbab1', '0xaf88d065e77c8cc2239327c5edb3a432268e5831'],
    decimals: [18, 6], weight: 0.08,
  },
})

export const DEFAULT_CHAINS: readonly string[] = Object.freeze(Object.keys(CHAIN_PROFILES))

export function chainProfile (name: string): ChainProfile {
  const p = CHAIN_PROFILES[name]
  if (p === undefined) throw new VolumerError('BAD_CONFIG', `unknown chain "${name}": expected one of ${DEFAULT_CHAINS.join(', ')}`)
  return p
}


const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
const BASE58_CODES = Array.from('123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', (c) => c.charCodeAt(0))
// one scratch buffer of char codes: String.fromCharCode.apply builds a flat string in one step
// (measured: ~4x faster than `s +=` of word.toString(16) pieces, and far less GC from ropes)
const scratch = new Uint16Array(128)

/** `0x` + `nibbles` lower-case hex digits (addresses: 40, transaction hashes: 64) */
export function randomHex (random: Random, nibbles: number): string {
  scratch[0] = 48 // '0'
  scratch[1] = 120 // 'x'
  let i = 2
  const end = nibbles + 2
  while (i < end) {
    let w = random.u32()
    for (let k = 0; k < 8 && i < end; k++, w >>>= 4) scratch[i++] = HEX_CODES[w & 15]
  }
  return String.fromCharCode.apply(null, scratch.subarray(0, end) as unknown as number[])
}

/** base58 text of the given length (Solana addresses ~44, signatures ~88 characters) */
export function randomBase58 (random: Random, length: number): string {
  // five base-58 digits per 32-bit draw (58⁵ < 2³²; the slight bias does not matter for ids)
  let w = 0
  for (let i = 0; i < length; i++) {
    if (i % 5 === 0) w = random.u32()
    scratch[i] = BASE58_CODES[w % 58]
    w = Math.floor(w / 58)
  }
  return String.fromCharCode.apply(null, scratch.subarray(0, length) as unknown as number[])
}

/** An address in the chain's style. */
export function randomAddress (random: Random, style: 'evm' | 'solana'): string {
  return style === 'evm' ? randomHex(random, 40) : randomBase58(random, 44)
}

/** A transaction hash / signature in the chain's style. */
export function randomTxHash (random: Random, style: 'evm' | 'solana'): string {
  return style === 'evm' ? randomHex(random, 64) : randomBase58(random, 88)
}
