/**
 * Where two JSON-like values differ, as `path: got … want …` lines, so a failing comparison of
 * two stats objects names the field instead of printing two large objects.
 */
export function diffPaths (got: unknown, want: unknown, path = '', out: string[] = [], limit = 12): string[] {
  if (out.length >= limit) return out
  if (Object.is(got, want)) return out
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
  if (isObj(got) && isObj(want) && Array.isArray(got) === Array.isArray(want)) {
    const keys = new Set([...Object.keys(want), ...Object.keys(got)])
    for (const k of keys) {
      const label = Array.isArray(want) ? `${path}[${k}]` : `${path}.${k}`
      const a = (got as Record<string, unknown>)[k]
      const b = (want as Record<string, unknown>)[k]
      if (!(k in got)) out.push(`${label}: missing, want ${JSON.stringify(b)}`)
      else if (!(k in want)) out.push(`${label}: unexpected ${JSON.stringify(a)}`)
      else diffPaths(a, b, label, out, limit)
      if (out.length >= limit) break
    }
    return out
  }
  out.push(`${path || '(value)'}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
  return out
}

/** Throws with the differing paths when `got` does not deep-equal `want`. */
export function assertSame (got: unknown, want: unknown, what: string): void {
  const d = diffPaths(got, want)
  if (d.length > 0) throw new Error(what + ' differs from the oracle:\n    ' + d.join('\n    '))
}
