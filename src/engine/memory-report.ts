import type { Engine } from './engine.js'
import type { TableArena } from './hash64.js'
import { STRIDE, B_COUNT } from './bucket-pool.js'
import { DQ_N, DQ_K, TI_ID_OFF, TI_TR_OFF, TI_STRIDE } from './token.js'

/**
 * Where an engine's bytes go, read from its arrays (for bench:day and docs/engine.md's
 * breakdown; not on any hot path). `bytes` is what the live entries take at their size,
 * `blockBytes` what their tables or deques take with their empty slots, `capacityBytes` the
 * array as allocated (growth room and freed blocks included). The JS heap (Token objects, the
 * token map, strings) is not here: the bench reads it from the heap.
 */
export interface EngineMemory {
  tokens: number
  rawTokens: number
  buckets: {
    live: number
    bytes: number
    capacityBytes: number
    /** per level (finest first): buckets, and those holding a single swap */
    perLevel: Array<{ stepMs: number, buckets: number, oneSwap: number }>
  }
  /** dedup keys (dedup-slices.ts): `live` counts the keys of slices inside the horizon */
  ids: TableMemory
  traders: TableMemory
  deques: { blockBytes: number, capacityBytes: number }
  raw: { live: number, bytes: number, capacityBytes: number }
  /** the per-token rows: doubles (TV_*), table handles (TI_*), deque roots, timers */
  rows: { capacityBytes: number }
  /** the sum of every capacityBytes above */
  capacityBytes: number
}

export interface TableMemory {
  /** entries whose time is inside the horizon */
  live: number
  /** entries in the tables, expired ones not yet dropped by a rebuild included */
  entries: number
  bytes: number
  blockBytes: number
  capacityBytes: number
  /** dedup only: the sealed slices' arrays as allocated (part of capacityBytes) */
  sealedBytes?: number
}

function tableMemory (arena: TableArena, blocks: Array<[number, number]>, liveFrom: number): TableMemory {
  let live = 0; let entries = 0; let blockBytes = 0
  // a loop rather than arena.forEach: a closure over the arena left in a call site's feedback
  // kept the engine's arrays alive after the engine was dropped (bench:day reads the heap then)
  const keys = arena.keys
  const w = arena.width
  for (const [off, k] of blocks) {
    blockBytes += (w << k) * 8
    for (let o = off, end = off + (w << k); o < end; o += w) {
      if (keys[2 * o] === 0 && keys[2 * o + 1] === 0) continue
      entries++
      if (arena.isLive(o + 1, liveFrom)) live++
    }
  }
  return { live, entries, bytes: live * arena.width * 8, blockBytes, capacityBytes: arena.data.byteLength }
}

function dedupMemory (e: Engine, handles: number[], liveFrom: number): TableMemory {
  const dd = e._dedup
  const sliceMs = dd.sliceMs
  let live = 0; let entries = 0; let blockBytes = 0
  for (const hd of handles) {
    blockBytes += dd.blockBytes(hd)
    for (let j = 0; j < dd.slices(hd); j++) {
      const n = dd.sliceSize(hd, j)
      entries += n
      if ((dd.sliceIndex(hd, j) + 1) * sliceMs > liveFrom) live += n
    }
  }
  return { live, entries, bytes: live * 8, blockBytes, capacityBytes: dd.capacityBytes, sealedBytes: dd.sealedBytes }
}

export function engineMemory (e: Engine): EngineMemory {
  const tokens = e._tokens()
  const levels = e._levelCount
  const dq = e._deques
  const pool = e._pool
  const perLevel = e._levelSteps.map((stepMs) => ({ stepMs, buckets: 0, oneSwap: 0 }))
  const idBlocks: Array<[number, number]> = []
  const trBlocks: Array<[number, number]> = []
  let dequeBytes = 0
  let rawTokens = 0
  for (const tok of tokens) {
    if (tok.raw >= 0) { rawTokens++; continue }
    if (tok.row < 0) continue
    const io = tok.row * TI_STRIDE
    if (e._ti[io + TI_ID_OFF] >= 0) idBlocks.push([e._ti[io + TI_ID_OFF], 0])
    if (e._ti[io + TI_TR_OFF] >= 0) trBlocks.push([e._ti[io + TI_TR_OFF], tok.trK])
    for (let l = 0; l < levels; l++) {
      const q = dq.roots[tok.row * levels + l]
      if (q < 0) continue
      dequeBytes += (1 << dq.data[q + DQ_K]) * 4
      const head = dq.data[q]
      const n = dq.data[q + DQ_N]
      perLevel[l].buckets += n
      for (let i = 0; i < n; i++) {
        const o = dq.data[head + i] * STRIDE
        if (pool.data[o + B_COUNT] + pool.data[o + B_COUNT + 1] === 1) perLevel[l].oneSwap++
      }
    }
  }
  const hs = e.horizonStart
  const ids = dedupMemory(e, idBlocks.map(([off]) => off), hs)
  const traders = tableMemory(e._traderArena, trBlocks, hs)
  const raw = e._rawPool
  const rows = { capacityBytes: e._tv.byteLength + e._ti.byteLength + dq.roots.byteLength + e._timerBytes }
  const buckets = { live: pool.live, bytes: pool.live * STRIDE * 8, capacityBytes: pool.capacityBytes, perLevel }
  const deques = { blockBytes: dequeBytes, capacityBytes: dq.capacityBytes }
  const rawMem = { live: raw.live, bytes: raw.live * raw.stride * 8, capacityBytes: raw.capacityBytes }
  return {
    tokens: tokens.length,
    rawTokens,
    buckets,
    ids,
    traders,
    deques,
    raw: rawMem,
    rows,
    capacityBytes: buckets.capacityBytes + ids.capacityBytes + traders.capacityBytes + deques.capacityBytes + rawMem.capacityBytes + rows.capacityBytes,
  }
}
