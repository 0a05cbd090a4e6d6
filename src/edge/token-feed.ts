import { isTokenReject, validateTokenMeta, type TokenMeta, type TokenRejectCode } from '../token/token-meta.js'

/**
 * The port the edge reads the compacted `tokens` topic through (token metadata: names, symbols),
 * beside the StatsFeed. Like it: the whole topic from the beginning, then `onCaughtUp` once, then
 * live records. Values arrive validated (src/token/token-meta.ts); a record that is not valid
 * metadata is reported with `onReject` and leaves the token's last good metadata in place.
 */
export type TokenRecordHandler = (key: string, meta: TokenMeta | null) => void

export interface TokenFeed {
  start (onRecord: TokenRecordHandler, onCaughtUp: () => void, onReject?: (code: TokenRejectCode | 'UNDECODABLE' | 'UNKNOWN_SCHEMA' | 'INVALID_JSON') => void): Promise<void>
  close (): Promise<void>
}

/**
 * An in-process compacted `tokens` log for tests and embedded use without the Log port: `publish`
 * validates like the Kafka adapter (an invalid value is rejected, not stored), null forgets.
 */
export interface MemoryTokenFeed extends TokenFeed {
  publish (key: string, value: unknown): void
}

export function createMemoryTokenFeed (): MemoryTokenFeed {
  const log = new Map<string, TokenMeta>()
  let handler: TokenRecordHandler | null = null
  let reject: ((code: TokenRejectCode) => void) | undefined
  return {
    async start (onRecord, onCaughtUp, onReject) {
      if (handler !== null) throw new Error('TokenFeed.start called twice')
      handler = onRecord
      reject = onReject
      for (const [k, m] of log) onRecord(k, m)
      setImmediate(onCaughtUp)
    },
    async close () { handler = null },
    publish (key, value) {
      if (value === null) {
        log.delete(key)
        handler?.(key, null)
        return
      }
      const m = validateTokenMeta(value, key)
      if (isTokenReject(m)) { reject?.(m.code); return }
      log.delete(key)
      log.set(key, m)
      handler?.(key, m)
    }
  }
}
