import { VolumerError } from '../errors.js'

/**
 * Request-line parsing for the edge. uWS hands us the path still percent-encoded
 * (`req.getUrl()`) and the raw query text (`req.getQuery()`, undefined when there is none), so
 * every decode here is ours and every failure is a BAD_PARAM, never an exception that escapes.
 */

export function decodeComponent (text: string, what: string): string {
  if (text.indexOf('%') < 0 && text.indexOf('+') < 0) return text
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    throw new VolumerError('BAD_PARAM', `${what} is not valid percent-encoding`)
  }
}

/**
 * `a=1&b=x%20y` → Map. Parameters named twice are refused rather than silently picking one;
 * unknown names are kept (handlers ignore them, so cache-busters like `_=123` work).
 */
export function parseQuery (raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (raw === undefined || raw.length === 0) return out
  for (const part of raw.split('&')) {
    if (part.length === 0) continue
    const eq = part.indexOf('=')
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq), 'a query parameter name')
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1), `query parameter "${name}"`)
    if (out.has(name)) throw new VolumerError('BAD_PARAM', `query parameter "${name}" is given more than once`)
    out.set(name, value)
  }
  return out
}

/** a comma-separated list: trimmed, empty items dropped */
export function splitList (value: string): string[] {
  const out: string[] = []
  for (const item of value.split(',')) {
    const t = item.trim()
    if (t.length > 0) out.push(t)
  }
  return out
}

export function parseIntParam (q: Map<string, string>, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name)
  if (v === undefined) return dflt
  if (!/^[0-9]{1,9}$/.test(v)) throw new VolumerError('BAD_PARAM', `${name} must be an integer from ${min} to ${max}, got "${clip(v)}"`)
  const n = Number(v)
  if (n < min || n > max) throw new VolumerError('BAD_PARAM', `${name} must be an integer from ${min} to ${max}, got ${n}`)
  return n
}

/** keeps echoed input short in error messages: a hostile 8 KB value is not worth repeating */
export function clip (text: string, max = 64): string {
  return text.length <= max ? text : text.slice(0, max) + '…'
}

/**
 * Picks the response encoding from Accept-Encoding: br, then gzip, honouring `q=0`.
 * (Deliberately small: we only ever offer these two and identity.)
 */
export function pickEncoding (acceptEncoding: string): 'br' | 'gzip' | null {
  if (acceptEncoding.length === 0) return null
  let br = false
  let gzip = false
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    let q = 1
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)
      if (m !== null) q = Number(m[1])
    }
    if (!(q > 0)) continue
    if (name === 'br') br = true
    else if (name === 'gzip' || name === '*') gzip = true
  }
  return br ? 'br' : gzip ? 'gzip' : null
}
