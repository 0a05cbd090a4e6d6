import type { TokenMeta } from '../token/token-meta.js'

/**
 * The edge's copy of the `tokens` topic: metadata per `chain:token`, and for each token the JSON
 * fragment the API splices into its answers, made once per record:
 *
 *   stats JSON   {"chain":"ethereum","token":"0xc02a…",…}
 *   labelled     {"symbol":"WETH","name":"Wrapped Ether","chain":"ethereum","token":"0xc02a…",…}
 *
 * Splicing keeps the stats text as the feed delivered it (no re-serialising per request); a
 * token without metadata is served unchanged (its fields are absent, not null).
 */
export interface TokenLabel {
  readonly meta: TokenMeta
  /** `"symbol":…,"name":…` (JSON members, no braces) */
  readonly fragment: string
}

export type DirectoryListener = (key: string, before: TokenMeta | undefined, after: TokenMeta | null) => void

export interface TokenDirectory {
  readonly size: number
  get (key: string): TokenLabel | undefined
  /** a `tokens` record: metadata, or null to forget the token */
  apply (key: string, meta: TokenMeta | null): void
  onChange (listener: DirectoryListener): () => void
  entries (): IterableIterator<[string, TokenLabel]>
}

export function createTokenDirectory (): TokenDirectory {
  const labels = new Map<string, TokenLabel>()
  const listeners = new Set<DirectoryListener>()
  return {
    get size () { return labels.size },
    get: key => labels.get(key),
    entries: () => labels.entries(),
    onChange (l) { listeners.add(l); return () => { listeners.delete(l) } },
    apply (key, meta) {
      const before = labels.get(key)?.meta
      if (meta === null) {
        if (before === undefined) return
        labels.delete(key)
      } else {
        if (before !== undefined && before.symbol === meta.symbol && before.name === meta.name &&
          before.decimals === meta.decimals && before.logoUrl === meta.logoUrl) return // a re-sent record changes nothing
        labels.set(key, { meta, fragment: '"symbol":' + JSON.stringify(meta.symbol) + ',"name":' + JSON.stringify(meta.name) })
      }
      for (const l of listeners) l(key, before, meta)
    }
  }
}

/** the stats JSON object text with the token's symbol and name first, when known */
export function labelled (json: string, label: TokenLabel | undefined): string {
  return label === undefined ? json : '{' + label.fragment + ',' + json.slice(1)
}
