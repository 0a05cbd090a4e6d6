/**
 * Request framing that uWebSockets.js 20.30 accepts but a hardened server refuses (issue #20 §2):
 * two Content-Length values (uWS reads the first), and any Transfer-Encoding (uWS parses every
 * value, `identity` or `gzip` or `xchunked`, as chunked). A proxy in front that reads the framing
 * the other way would see a different next request than the edge does (request smuggling), so
 * both are answered 400 and the connection is closed: nothing after them can be trusted.
 *
 * The edge's requests carry no body, so nothing legitimate is lost. Every header is walked, not
 * looked up: getHeader answers only the first of repeated headers and '' for an empty value, so
 * `Transfer-Encoding:` (empty, no body to uWS) followed by `Transfer-Encoding: chunked` (a body to
 * a proxy that reads the last) would pass a look-up. Measured: 3.0 µs a call for the four headers
 * autocannon sends, against 1.1 µs for two getHeader calls, at a 1-minute load of 28 on 2 cores
 * (both inflated by the load); bench:edge's lookups cost ~28 µs of server CPU each.
 */

/** the part of uWS's HttpRequest this reads (tests pass a plain object) */
export interface RequestHeaders {
  forEach (cb: (key: string, value: string) => void): void
}

const DECIMAL = /^[0-9]{1,15}$/

/** why the request's framing is refused, or null when it is acceptable */
export function framingProblem (req: RequestHeaders): string | null {
  let first: string | null = null
  let problem: string | null = null
  req.forEach((key, value) => {
    if (problem !== null) return
    if (key === 'transfer-encoding') problem = 'Transfer-Encoding is not accepted (requests to the edge carry no body)'
    else if (key === 'content-length') {
      const v = value.trim()
      if (!DECIMAL.test(v)) problem = 'Content-Length must be one decimal number'
      else if (first === null) first = v
      else if (v !== first) problem = 'conflicting Content-Length headers'
    }
  })
  return problem
}
