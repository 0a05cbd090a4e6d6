import type { Logger } from 'pino'
import type { Log, Reader } from '../log/log.js'
import { createTokenMetaDecoder, type SchemaRegistry } from '../codec/index.js'
import { isVolumerError } from '../errors.js'
import { isTokenReject, validateTokenMeta } from '../token/token-meta.js'
import type { TokenFeed } from './token-feed.js'

export interface LogTokenFeedOptions {
  log: Log
  registry: SchemaRegistry
  /** the compacted tokens topic, e.g. "tokens" */
  topic: string
  logger: Logger
  /** longest wait of one poll, ms (bounds shutdown) */
  pollMs?: number
}

/**
 * The edge's TokenFeed on the Log port: every partition of `tokens` from the beginning, values
 * Avro (schemas/token.avsc) or JSON, validated against their key. Bad records are logged (the
 * first ten) and reported, never applied. Kafka/Redpanda and the in-process log alike.
 */
export function createLogTokenFeed (opts: LogTokenFeedOptions): TokenFeed {
  const decoder = createTokenMetaDecoder({ registry: opts.registry })
  const pollMs = opts.pollMs ?? 200
  let reader: Reader | undefined
  let closed = false
  let loop: Promise<void> | undefined

  return {
    async start (onRecord, onCaughtUp, onReject) {
      if (reader !== undefined) throw new Error('TokenFeed.start called twice')
      const admin = await opts.log.createAdmin()
      let partitions: number
      try {
        const d = await admin.describeTopics([opts.topic])
        partitions = d.length === 0 ? 0 : d[0].partitions
      } finally {
        await admin.close()
      }
      if (partitions === 0) {
        // names are an extra: a cluster set up before the topic existed still serves its stats
        opts.logger.warn({ topic: opts.topic }, 'tokens topic does not exist (volumer topology apply creates it): serving without token names')
        setImmediate(onCaughtUp)
        return
      }
      reader = await opts.log.createReader({
        partitions: Array.from({ length: partitions }, (_, p) => ({ topic: opts.topic, partition: p, from: 'earliest' as const })),
        bulk: true
      })
      let bad = 0
      const run = async (): Promise<void> => {
        let caughtUp = false
        while (!closed) {
          for (const batch of await reader!.poll(10_000, pollMs)) {
            try {
              await decoder.prepare(batch.records.map((r) => r.value))
            } catch (err) {
              opts.logger.warn({ err }, 'tokens schema lookup failed; records of unknown schemas are skipped')
            }
            for (const rec of batch.records) {
              if (rec.key === null) continue
              const key = rec.key.toString('utf8')
              if (rec.value === null) { onRecord(key, null); continue }
              let obj: unknown
              try {
                obj = decoder.decode(rec.value)
              } catch (err) {
                const code = isVolumerError(err) && (err.code === 'UNKNOWN_SCHEMA' || err.code === 'INVALID_JSON') ? err.code : 'UNDECODABLE'
                if (bad++ < 10) opts.logger.warn({ err, partition: rec.partition, offset: rec.offset }, 'undecodable tokens record skipped')
                onReject?.(code)
                continue
              }
              const meta = validateTokenMeta(obj, key)
              if (isTokenReject(meta)) {
                if (bad++ < 10) opts.logger.warn({ code: meta.code, reason: meta.message, partition: rec.partition, offset: rec.offset }, 'invalid tokens record skipped')
                onReject?.(meta.code)
                continue
              }
              onRecord(key, meta)
            }
          }
          if (!caughtUp && reader!.isCaughtUp()) {
            caughtUp = true
            onCaughtUp()
          }
        }
      }
      loop = run().catch((err: unknown) => {
        if (!closed) opts.logger.error({ err }, 'tokens feed stopped')
      })
    },
    async close () {
      closed = true
      await loop
      await reader?.close()
    }
  }
}
