import { VolumerError } from '../errors.js'
import { topBody, topRows, type ApiContext, type TopParams } from './http-api.js'
import type { RankIndex } from './rank-index.js'
import { compareRankValue } from './rank-value.js'
import type { TokenEntry } from './stats-store.js'

/**
 * The ranked lists WebSocket clients follow (docs/websocket.md): one group per distinct
 * (stat, window, order, limit, chain), shared by every subscription to it, each holding its index
 * pinned in the store. A record marks a group dirty only when it can change the list; `due`
 * renders dirty groups at most once per rankedIntervalMs and hands the changed ones back to the
 * hub to push. `S` is the hub's subscription type (kept opaque here).
 */
export interface TopGroup<S> {
  readonly id: string
  readonly params: TopParams
  /** null while the list's chain has no token on this node: no index is built for nothing */
  index: RankIndex<TokenEntry> | null
  readonly subs: Set<S>
  members: Set<string>
  body: string
  dirty: boolean
  lastPushAt: number
}

export interface RankedLists<S> {
  /**
   * the group for `p`, made (its index pinned) if new; `soleHeld` is how many lists the asking
   * connection alone follows, for its share of index slots
   */
  groupFor (p: TopParams, soleHeld: number): TopGroup<S>
  /** `sub` left `g`: the last one out drops the group and unpins its index */
  leave (g: TopGroup<S>, sub: S): void
  /** a token changed (entry null = removed): marks the groups it can change */
  onStoreChange (key: string, entry: TokenEntry | null): void
  /** renders the dirty groups due at `t`; `push` gets each whose body changed */
  due (t: number, push: (g: TopGroup<S>) => void): void
}

/** a ranked-list subscription's id (docs/websocket.md) */
export function topId (p: TopParams): string {
  return 'top:' + p.stat + ':' + (p.window ?? '') + ':' + (p.descending ? 'desc' : 'asc') + ':' + p.limit + ':' + (p.chain ?? '')
}

/** whether `g`'s index is held for one connection only: a list nobody else follows */
export function isSoleList<S> (g: TopGroup<S>): boolean {
  return g.subs.size === 1 && g.index !== null && g.index.pins === 1
}

export function createRankedLists<S> (ctx: ApiContext, opts: { maxSoleRankedLists: number, rankedIntervalMs: number }): RankedLists<S> {
  const groups = new Map<string, TopGroup<S>>()

  function compute (g: TopGroup<S>): void {
    const rows = topRows(ctx, g.params)
    const members = new Set<string>()
    for (const r of rows) members.add(r.entry.key)
    g.members = members
    g.body = topBody(g.params, rows, '', ctx.names)
    g.dirty = false
  }

  return {
    groupFor (p, soleHeld) {
      const id = topId(p)
      let g = groups.get(id)
      if (g !== undefined) return g
      const knownChain = p.chain === null || ctx.store.hasChain(p.chain)
      const q = { stat: p.stat, window: p.window ?? '', chain: p.chain }
      // Index slots are few (maxIndexes): without a share, two sockets × 16 distinct lists held
      // all 32 and every other client got TOO_MANY_SUBSCRIPTIONS (issue #20 §3). A list someone
      // else follows (its index pinned already) costs the asker nothing.
      if (knownChain && !ctx.store.isPinned(q) && soleHeld >= opts.maxSoleRankedLists) {
        throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', `this connection already is the only follower of ${opts.maxSoleRankedLists} ranked lists (each holds one of the node's ${ctx.store.maxIndexes} index slots); unsubscribe one, or follow a list others follow`)
      }
      if (knownChain && !ctx.store.canCreateIndex(q)) {
        throw new VolumerError('TOO_MANY_SUBSCRIPTIONS', 'this node already follows as many distinct ranked lists as it can index; subscribe to an existing one')
      }
      g = { id, params: p, index: knownChain ? ctx.store.pin(q) : null, subs: new Set(), members: new Set(), body: '', dirty: false, lastPushAt: 0 }
      compute(g)
      groups.set(id, g)
      return g
    },

    leave (g, sub) {
      g.subs.delete(sub)
      if (g.subs.size > 0) return
      groups.delete(g.id)
      if (g.index !== null) ctx.store.unpin(g.index)
    },

    onStoreChange (key, entry) {
      for (const g of groups.values()) {
        if (g.dirty) continue
        if (g.members.has(key)) { g.dirty = true; continue }
        if (entry === null) continue
        if (g.index === null) {
          // the first token of the list's chain: build its index now
          const q = { stat: g.params.stat, window: g.params.window ?? '', chain: g.params.chain }
          if (entry.chain === g.params.chain && ctx.store.canCreateIndex(q)) { g.index = ctx.store.pin(q); g.dirty = true }
          continue
        }
        if (!g.index.accepts(entry)) continue
        if (g.members.size < g.params.limit) { g.dirty = true; continue }
        // a non-member changed: it matters only if it now ranks within the list
        const v = g.index.valueOf(entry.current())
        if (v === null) continue
        const edge = g.index.valueAt(g.params.limit - 1, g.params.descending)
        if (edge === undefined || edge === null) { g.dirty = true; continue }
        const c = compareRankValue(v, edge)
        if (g.params.descending ? c >= 0 : c <= 0) g.dirty = true
      }
    },

    due (t, push) {
      for (const g of groups.values()) {
        if (!g.dirty || t - g.lastPushAt < opts.rankedIntervalMs) continue
        const before = g.body
        compute(g)
        if (g.body === before) continue
        g.lastPushAt = t
        push(g)
      }
    }
  }
}
