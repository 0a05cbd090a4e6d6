/**
 * The sample data shipped in samples/ (samples/README.md: what it is, where it comes from).
 * Every test and benchmark reads it from here, relative to the repository root, so a clone
 * needs nothing beside it.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const SAMPLES_DIR = resolve(REPO_ROOT, 'samples')
/** 9,842 real Ethereum swaps, gzip-compressed NDJSON (every volumer command reads .gz) */
export const ETHEREUM_SAMPLE = resolve(SAMPLES_DIR, 'ethereum-mainnet-swaps-2021-06.ndjson.gz')
/** token metadata for 125 of the sample's tokens, NDJSON */
export const ETHEREUM_TOKENS = resolve(SAMPLES_DIR, 'ethereum-mainnet-tokens.ndjson')

let cached: string | undefined

/** The sample's text, decompressed. */
export function readSampleText (): string {
  cached ??= gunzipSync(readFileSync(ETHEREUM_SAMPLE)).toString('utf8')
  return cached
}

/** The sample's lines (without the trailing empty line). */
export function readSampleLines (): string[] {
  return readSampleText().split('\n').filter((l) => l.length > 0)
}
