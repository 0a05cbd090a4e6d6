/**
 * SPEC 3 since 12-07: a duplicate repeats the id AND the blockTime of a swap counted within the
 * horizon. The engine against the oracle on the cases that changed (a same-id swap with another
 * blockTime counts, raw and bucketed), and snapshots of version 3, whose dedup keys are the id
 * alone, restored and re-keyed (snapshot.ts): the fixtures below were written by the engine at
 * 77785a4 (the last version-3 build) from the swaps in `swaps()`.
 */
import { expect } from 'chai'
import { createEngine, restoreEngine, parseWindowList, type Engine } from '../../src/engine/index.js'
import { Oracle } from './oracle.js'
import { makeSwap, type SwapFields } from '../helpers/swap-factory.js'

const LIST = '1m,5m,1h'
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const SKEW = 60_000

function sw (over: Partial<SwapFields>): ReturnType<typeof makeSwap> {
  return makeSwap({
    id: 'a:1', chain: 'ethereum', blockNumber: 100, logIndex: 1, blockTime: T0 - 20_000,
    token: '0xaa', quoteToken: undefined, pool: undefined, trader: '0xt1', side: 'BUY',
    amount: '1.5', amountUsd: '3000.123456', ...over
  })
}

/** 0xaa: three swaps (bucketed); 0xbb: one swap (kept raw) */
function swaps (): Array<ReturnType<typeof makeSwap>> {
  return [
    sw({}),
    sw({ id: 'a:2', blockTime: T0 - 10_000, logIndex: 2, side: 'SELL', trader: '0xt2', amount: '0.25', amountUsd: '10.5' }),
    sw({ id: 'a:3', blockTime: T0 - 3_000_000, logIndex: 3, amount: '2', amountUsd: '4000' }),
    sw({ id: 'b:1', token: '0xbb', blockTime: T0 - 5_000, logIndex: 4, amount: '7', amountUsd: '70' }),
  ]
}

const V3_ENGINE =
  'VkxNRQMBAAAAAABM7UAAAGDdlrd5QgAAAAAAABBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwACADFtAAAAAABM7UAAAAAA' +
  'AECPQAIANW0AAAAAgE8SQQAAAAAAQI9AAgAxaAAAAABAd0tBAAAAAACIs0ACAAAACABldGhlcmV1bQQAMHhhYQAA9ACUt3lC' +
  'AADv2pa3eUIAAAAAAABZQAAAAAAAAABAAAAAAAAARUACAAAAAAAAAAADAAAAAAD0AJS3eUIAAAAAAAAAAKAPAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAABAn0AAAAAAAECfQAAAAAAAQJ9AAAD0AJS3eUIAAAAAAABZQAMAAAAAAAAAAECfQAAA9ACUt3lCAAAA' +
  'AAAAWUADAAAAAAB+2Ja3eUIAAAAAAMpbB7gLAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABlzR0BAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAEAAAAAAAAAUfF/R1RAn0BR8X9HVECfQFHxf0dUQJ9AAAB+' +
  '2Ja3eUIAAAAAAABZQAEAAABR8X9HVECfQAAAftiWt3lCAAAAAAAAWUABAAAAAADv2pa3eUIAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAZc0dCgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgLLmDgAAAAAAAAAAAAAAAAAAAAABAAAAAQAA' +
  'AAAAAAABAAAAAAAAAAAARUAAAAAAAABFQAAAAAAAAEVAAADv2pa3eUIAAAAAAABZQAIAAAAAAAAAAABFQAAA79qWt3lCAAAA' +
  'AAAAWUACAAAAAAAAAAIAAADt56EiKmsllAAA79qWt3lCAAAAAAAA8P8AAO/alrd5QrvtnHxMo0DfAAB+2Ja3eUIAAH7Ylrd5' +
  'QgAAAAAAAPD/AwAAAADedynBTI5FAAD0AJS3eUKOEG5pRHOoJgAAftiWt3lCNWm3XcYFpRsAAO/alrd5QgAAAAAIAGV0aGVy' +
  'ZXVtBAAweGJiAIAn3Ja3eUIAgCfclrd5QgAAAAAAAFlAAAAAAAAAEEAAAAAAAAAkQAoAAAAAAAAAAACAJ9yWt3lCAAAAAAAA' +
  'AAAARgAAAAAAAAAAAAAAAAAAAAAAAAAHAAAAAAAAAAAAAAAAAAAAAAAkQAAAAAAAAFlAAAAAAAAAEEC77Zx8TKNA3xRNmwHY' +
  '37T0AAAAAA=='
const V3_TOKEN_AA =
  'VkxNRQMCAgAAAAAAAECPQAAAAAAAiLNACABldGhlcmV1bQQAMHhhYQAA9ACUt3lCAADv2pa3eUIAAAAAAABZQAAAAAAAAABA' +
  'AAAAAAAARUACAAAAAAAAAAADAAAAAAD0AJS3eUIAAAAAAAAAAKAPAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAn0AAAAAAAECf' +
  'QAAAAAAAQJ9AAAD0AJS3eUIAAAAAAABZQAMAAAAAAAAAAECfQAAA9ACUt3lCAAAAAAAAWUADAAAAAAB+2Ja3eUIAAAAAAMpb' +
  'B7gLAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABlzR0BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAEAAAAAAAAAAQAAAAEAAAAAAAAAUfF/R1RAn0BR8X9HVECfQFHxf0dUQJ9AAAB+2Ja3eUIAAAAAAABZQAEAAABR8X9HVECf' +
  'QAAAftiWt3lCAAAAAAAAWUABAAAAAADv2pa3eUIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAZc0dCgAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAgLLmDgAAAAAAAAAAAAAAAAAAAAABAAAAAQAAAAAAAAABAAAAAAAAAAAARUAAAAAAAABF' +
  'QAAAAAAAAEVAAADv2pa3eUIAAAAAAABZQAIAAAAAAAAAAABFQAAA79qWt3lCAAAAAAAAWUACAAAAAAAAAAIAAADt56EiKmsl' +
  'lAAA79qWt3lCAAAAAAAA8P8AAO/alrd5QrvtnHxMo0DfAAB+2Ja3eUIAAH7Ylrd5QgAAAAAAAPD/AwAAAADedynBTI5FAAD0' +
  'AJS3eUKOEG5pRHOoJgAAftiWt3lCNWm3XcYFpRsAAO/alrd5QgAAAAA='
const V3_TOKEN_BB =
  'VkxNRQMCAgAAAAAAAECPQAAAAAAAiLNACABldGhlcmV1bQQAMHhiYgCAJ9yWt3lCAIAn3Ja3eUIAAAAAAABZQAAAAAAAABBA' +
  'AAAAAAAAJEAKAAAAAAAAAAAAgCfclrd5QgAAAAAAAAAAAEYAAAAAAAAAAAAAAAAAAAAAAAAABwAAAAAAAAAAAAAAAAAAAAAA' +
  'JEAAAAAAAABZQAAAAAAAABBAu+2cfEyjQN8UTZsB2N+09A=='

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

/** Re-deliveries (same id and blockTime, other fields changed) and same-id swaps at other times. */
function followUps (): Array<ReturnType<typeof makeSwap>> {
  const out = []
  for (const s of swaps()) {
    out.push({ ...s, trader: '0xother', amountUsd: sw({ amountUsd: '1' }).amountUsd }) // duplicate: first counted wins
    out.push({ ...s, blockTime: s.blockTime + 1 }) // another swap
    out.push({ ...s, blockTime: s.blockTime + 1 }) // …now a duplicate itself
  }
  return out
}

function checkAgainstOracle (e: Engine, o: Oracle, what: string): void {
  const outcomes: number[] = []
  const want: number[] = []
  for (const s of followUps()) { outcomes.push(e.ingest(s)); want.push(o.ingest(s)) }
  expect(outcomes, what + ': outcomes').to.deep.equal(want)
  expect(want, 'the oracle: duplicate, counted, duplicate for each').to.deep.equal(new Array(4).fill([1, 0, 1]).flat())
  expect(e.allStats(), what + ': stats').to.deep.equal(o.statsAll())
  for (const dt of [60_000, 600_000, 4_000_000]) {
    e.advance(T0 + dt); o.advance(T0 + dt)
    expect(e.allStats(), what + ` at +${dt} ms`).to.deep.equal(o.statsAll())
  }
}

function oracleWithSwaps (): Oracle {
  const o = new Oracle(parseWindowList(LIST), SKEW, T0)
  for (const s of swaps()) o.ingest(s)
  return o
}

describe('engine dedup on (id, blockTime)', () => {
  it('counts a same-id swap with another blockTime, raw and bucketed, as the oracle does', () => {
    const e = createEngine({ windows: parseWindowList(LIST), skewMs: SKEW, now: T0 })
    for (const s of swaps()) expect(e.ingest(s)).to.equal(0)
    checkAgainstOracle(e, oracleWithSwaps(), 'fresh engine')
  })

  it('restores a version-3 engine snapshot and re-keys its dedup ids with their blockTimes', () => {
    const bytes = b64(V3_ENGINE)
    expect(bytes[4], 'fixture version').to.equal(3)
    const e = restoreEngine(bytes)
    expect(e.allStats()).to.deep.equal(oracleWithSwaps().statsAll())
    checkAgainstOracle(e, oracleWithSwaps(), 'v3 engine snapshot')
  })

  it('restores version-3 token snapshots (bucketed and raw) the same way', () => {
    const e = createEngine({ windows: parseWindowList(LIST), skewMs: SKEW, now: T0 })
    e.restoreToken(b64(V3_TOKEN_AA))
    e.restoreToken(b64(V3_TOKEN_BB))
    checkAgainstOracle(e, oracleWithSwaps(), 'v3 token snapshots')
  })

  it('restores dedup sets written with another slice length (hour slices into 10-minute ones)', () => {
    const e = createEngine({ windows: parseWindowList(LIST), skewMs: SKEW, now: T0 })
    for (const s of swaps()) e.ingest(s)
    const finer = createEngine({ windows: parseWindowList(LIST), skewMs: SKEW, now: T0, dedupSliceMs: 600_000 })
    finer.restoreToken(e.snapshotToken('ethereum', '0xaa') as Uint8Array)
    finer.restoreToken(e.snapshotToken('ethereum', '0xbb') as Uint8Array)
    checkAgainstOracle(finer, oracleWithSwaps(), 'hour slices restored into 10-minute slices')
  })

  it('writes version 4, which restores to the same dedup state', () => {
    const e = createEngine({ windows: parseWindowList(LIST), skewMs: SKEW, now: T0 })
    for (const s of swaps()) e.ingest(s)
    const bytes = e.snapshot()
    expect(bytes[4]).to.equal(4)
    checkAgainstOracle(restoreEngine(bytes), oracleWithSwaps(), 'v4 engine snapshot')
  })
})
