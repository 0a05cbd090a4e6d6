/**
 * The shared real-swap sample. CI runs in a fresh clone with `shared/` beside the repository, so
 * the path is resolved from the repository root, not hard-coded.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const SHARED_DATA_DIR = resolve(REPO_ROOT, '../shared/data')
export const ETHEREUM_SAMPLE = resolve(SHARED_DATA_DIR, 'ethereum-mainnet-swaps-2021-06.ndjson')

export function sampleAvailable (): boolean {
  return existsSync(ETHEREUM_SAMPLE)
}

/** The sample's lines (without the trailing empty line). */
export function readSampleLines (): string[] {
  return readFileSync(ETHEREUM_SAMPLE, 'utf8').split('\n').filter((l) => l.length > 0)
}
