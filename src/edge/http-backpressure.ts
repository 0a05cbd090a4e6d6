import type { Logger } from 'pino'
import type uWS from 'uWebSockets.js'

/**
 * HTTP responses a client does not read, bounded. Issue #20: three connections pipelining
 * 2,000 × /v1/top without reading grew the process by 2 GB, because `res.end(body)` copies
 * whatever the socket cannot take into uWS's per-socket buffer and uWS then parses the next
 * pipelined request.
 *
 * Bodies go out with `tryEnd` instead: what the socket takes now is written, the rest stays in our
 * hands (a reference to the body, usually a cached Buffer shared by many responses) and follows on
 * `onWritable`. While a response waits, uWS closes the connection if the client sends another
 * request (it refuses to queue responses: HttpContext, "not ready for another request yet"),
 * and its own timeout closes it if the client reads nothing for 10 s (both seen in uWebSockets
 * v20.30's source and measured with the build in package.json, @trufflesuite/uws-js-unofficial
 * 20.30.0: test/edge/hostile/resource-limits.test.ts, all 10 attackers closed). So per connection:
 *
 *   kernel send buffer ── at most one unfinished response ── nothing parsed behind it
 *
 * Across the process, the bytes still owed to waiting responses are capped (`maxPendingBytes`):
 * a response that would pass the cap closes its connection at once, with a logged reason.
 */
export interface HttpWriterOptions {
  /** bytes of response bodies waiting for slow readers, whole process (default 64 MiB) */
  maxPendingBytes: number
}

export const DEFAULT_HTTP_WRITER_OPTIONS: Readonly<HttpWriterOptions> = Object.freeze({
  maxPendingBytes: 64 * 1024 * 1024
})

/** per request: the writer sets `release` while the response waits; the abort handler calls it */
export interface PendingSlot {
  release: (() => void) | null
}

export interface HttpWriter {
  /**
   * ends `res` with `body` (headers already written, corked); returns false if the connection
   * was closed instead (over the process cap)
   */
  end (res: uWS.HttpResponse, body: string | Buffer, slot: PendingSlot): boolean
  /** body bytes owed to responses waiting for their clients to read */
  readonly pendingBytes: number
  readonly pendingResponses: number
}

export interface HttpWriterEvents {
  /** a connection was closed by the cap (reason 'process_cap') or lost with a response unread ('unread') */
  closed (reason: 'process_cap' | 'unread'): void
}

export function createHttpWriter (opts: HttpWriterOptions, logger: Logger, events: HttpWriterEvents): HttpWriter {
  let pendingBytes = 0
  let pendingResponses = 0

  return {
    get pendingBytes () { return pendingBytes },
    get pendingResponses () { return pendingResponses },
    end (res, body, slot) {
      const total = Buffer.byteLength(body)
      const [, done] = res.tryEnd(body, total)
      if (done) return true
      let owed = total - res.getWriteOffset()
      if (pendingBytes + owed > opts.maxPendingBytes) {
        events.closed('process_cap')
        logger.warn({ owed, pendingBytes, maxPendingBytes: opts.maxPendingBytes }, 'closing an HTTP connection: responses waiting for slow readers would pass maxPendingBytes')
        res.close()
        return false
      }
      // the rest is sent from our reference: a string is made bytes once, so offsets are byte offsets
      const bytes = typeof body === 'string' ? Buffer.from(body) : body
      pendingBytes += owed
      pendingResponses++
      const release = (): void => {
        pendingBytes -= owed
        pendingResponses--
        owed = 0
        slot.release = null
      }
      slot.release = () => {
        events.closed('unread')
        logger.info({ owed }, 'HTTP connection closed with a response unread (it pipelined another request behind it, went away, or read nothing for 10 s)')
        release()
      }
      res.onWritable(offset => {
        const [ok, finished] = res.tryEnd(bytes.subarray(offset), total)
        if (finished) release()
        else {
          const left = total - res.getWriteOffset()
          pendingBytes += left - owed
          owed = left
        }
        return ok
      })
      return true
    }
  }
}
