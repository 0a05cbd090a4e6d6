/**
 * SlicedDedup (src/engine/dedup-slices.ts) against a brute-force model: per token, a Map from
 * slice to a Set of keys, slices ending at or before the horizon dropped when a new slice opens,
 * as the engine's own use of it. Small key and time ranges so that keys repeat, slices open out
 * of order, sets double and handles grow, slices two older than a token's newest are sealed
 * (sorted runs in a shared array per slice) and a new key for one unseals it; several tokens
 * share the arrays, and freed blocks are reused by others.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { SlicedDedup } from '../../src/engine/dedup-slices.js'
import { SEED } from '../helpers/engine-harness.js'

const SLICE = 10

type Op = { kind: 'add', token: number, t: number, key: number } | { kind: 'horizon', by: number } | { kind: 'drop', token: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('add' as const), token: fc.nat(3), t: fc.nat(120), key: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('horizon' as const), by: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), token: fc.nat(3) }) },
)

/** Runs ops against the model; returns how often a key was looked up in a sealed slice and found. */
function check (ops: Op[]): { sealed: number, sealedHits: number } {
  let sealed = 0
  let sealedHits = 0
  const dd = new SlicedDedup(SLICE)
  const handles = new Map<number, number>()
  const model = new Map<number, Map<number, Set<number>>>()
  let horizon = 0
  for (const o of ops) {
    if (o.kind === 'horizon') { horizon += o.by; continue }
    if (o.kind === 'drop') {
      const hd = handles.get(o.token)
      if (hd !== undefined) dd.free(hd)
      handles.delete(o.token); model.delete(o.token)
      continue
    }
    // the engine never adds a LATE swap
    const t = horizon + o.t
    const slice = Math.floor(t / SLICE)
    let m = model.get(o.token)
    if (m === undefined) { m = new Map(); model.set(o.token, m) }
    const want = m.get(slice)?.has(o.key) === true
    if (!want && !m.has(slice)) {
      for (const s of [...m.keys()]) if ((s + 1) * SLICE <= horizon) m.delete(s)
      m.set(slice, new Set())
    }
    if (!want) m.get(slice)?.add(o.key)
    let hd = handles.get(o.token) ?? dd.create()
    // the key's two halves: one fixed, so that distinct keys share one half
    const pos = [...m.keys()].sort((a, b) => a - b).indexOf(slice)
    const wasSealed = pos < dd.slices(hd) && dd.sliceIndex(hd, pos) === slice && dd.sealed(hd, pos)
    const r = dd.add(hd, t, o.key * 0x9e3779b1 | 0, 7, horizon)
    if (wasSealed && r < 0) sealedHits++
    expect(r < 0, `token ${o.token} key ${o.key} at ${t}`).to.equal(want)
    if (r >= 0) hd = r
    handles.set(o.token, hd)
    // the handle lists the model's slices, in order, with their sizes
    const slices = [...m.keys()].sort((a, b) => a - b)
    expect(Array.from({ length: dd.slices(hd) }, (_, j) => dd.sliceIndex(hd, j))).to.deep.equal(slices)
    for (let j = 0; j < slices.length; j++) {
      expect(dd.sliceSize(hd, j)).to.equal(m.get(slices[j])?.size)
      if (dd.sealed(hd, j)) sealed++
      // an expired sealed slice's keys may be gone with its slice's array (snapshots skip it)
      if ((slices[j] + 1) * SLICE <= horizon) continue
      const keys: number[] = []
      dd.forEachKey(hd, j, (hi) => keys.push(hi))
      expect(keys.length).to.equal(dd.sliceSize(hd, j))
      expect(new Set(keys).size).to.equal(m.get(slices[j])?.size)
    }
  }
  return { sealed, sealedHits }
}

describe('SlicedDedup against a model', () => {
  it('reports a duplicate exactly when the key is in the swap\'s live slice', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => { check(ops) }), { seed: SEED, numRuns: 200 })
  })

  it('the same with long runs, where most slices get sealed and looked up again', function () {
    this.timeout(60_000)
    let sealed = 0
    let sealedHits = 0
    fc.assert(fc.property(fc.array(op, { minLength: 200, maxLength: 300 }), (ops) => {
      const r = check(ops)
      sealed += r.sealed
      sealedHits += r.sealedHits
    }), { seed: SEED, numRuns: 20 })
    // the sealed path was taken: slices sealed, duplicates found in sorted runs
    expect(sealed).to.be.greaterThan(500)
    expect(sealedHits).to.be.greaterThan(20)
  })
})
