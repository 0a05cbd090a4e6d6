import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Logger } from 'pino'
import { createTokenMetaEncoder, type SchemaRegistry } from '../codec/index.js'
import type { Log } from '../log/log.js'
import { isTokenReject, parseTokenMetaJson, tokenKey } from '../token/token-meta.js'
import { readInputText } from './input-file.js'

/** The shipped sample swaps and the metadata of their tokens, beside them in samples/. */
const SAMPLE_SWAPS = /^ethereum-mainnet-swaps-2021-06\.ndjson(\.gz)?$/
const SAMPLE_TOKENS = 'ethereum-mainnet-tokens.ndjson'

/**
 * `volumer run`'s token metadata file: `--tokens FILE` when replaying, else the shipped
 * metadata when the replay is the shipped sample (and the file is beside it), else none.
 */
export function tokenFileFor (replay: string | undefined, flag: string | undefined): string | undefined {
  if (replay === undefined) return undefined
  if (flag !== undefined) return flag
  if (!SAMPLE_SWAPS.test(basename(replay))) return undefined
  const beside = join(dirname(replay), SAMPLE_TOKENS)
  return existsSync(beside) ? beside : undefined
}

/**
 * Sends a token metadata NDJSON file (.gz too) to `topic` as Avro (registered as `<topic>-value`),
 * keyed chain:token; invalid lines are logged with their number and code and skipped.
 */
export async function loadTokenFile (log: Log, registry: SchemaRegistry, topic: string, path: string, logger: Logger): Promise<{ sent: number, skipped: number }> {
  const encoder = await createTokenMetaEncoder(registry, topic + '-value')
  const producer = await log.createProducer()
  let sent = 0
  let skipped = 0
  try {
    const lines = readInputText(path).split('\n')
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue
      const meta = parseTokenMetaJson(lines[i])
      if (isTokenReject(meta)) {
        skipped++
        logger.warn({ file: path, line: i + 1, code: meta.code }, meta.message)
        continue
      }
      producer.send({ topic, key: Buffer.from(tokenKey(meta)), value: encoder.encode(meta) })
      sent++
    }
    await producer.flush()
  } finally {
    await producer.close()
  }
  logger.info({ file: path, sent, skipped }, 'token metadata loaded')
  return { sent, skipped }
}
