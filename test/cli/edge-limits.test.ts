import { expect } from 'chai'
import { edgeLimitsFrom } from '../../src/cli/edge-limits.js'
import { UsageError } from '../../src/cli/cli-error.js'

describe('edge limit flags (volumer edge / run)', () => {
  it('turns the flags into createEdgeServer options, in bytes', () => {
    const o = edgeLimitsFrom({ 'max-indexes': '64', 'top-cache-mb': '4', 'http-max-pending-mb': '32', 'ws-max-buffer-kb': '2048', 'ws-max-buffered-total-mb': '128', 'ws-snapshot-kb-per-s': '256', 'ws-max-sole-ranked-lists': '4' })
    expect(o).to.deep.equal({
      maxIndexes: 64,
      topCacheBytes: 4 * 1024 * 1024,
      http: { maxPendingBytes: 32 * 1024 * 1024 },
      ws: { closeAboveBytes: 2048 * 1024, maxBufferedTotalBytes: 128 * 1024 * 1024, snapshotBytesPerSecond: 256 * 1024, snapshotBurstBytes: 1024 * 1024, maxSoleRankedLists: 4 }
    })
  })

  it('leaves every default alone when nothing is given, and reads VOLUMER_* variables', () => {
    expect(edgeLimitsFrom({})).to.deep.equal({ ws: {} })
    process.env.VOLUMER_WS_MAX_SOLE_RANKED_LISTS = '3'
    try {
      expect(edgeLimitsFrom({}).ws?.maxSoleRankedLists).to.equal(3)
    } finally { delete process.env.VOLUMER_WS_MAX_SOLE_RANKED_LISTS }
  })

  it('refuses a value out of range, naming the flag', () => {
    expect(() => edgeLimitsFrom({ 'ws-max-buffer-kb': '100' })).to.throw(UsageError, /--ws-max-buffer-kb/)
    expect(() => edgeLimitsFrom({ 'max-indexes': '0' })).to.throw(UsageError, /--max-indexes/)
    expect(() => edgeLimitsFrom({ 'top-cache-mb': 'lots' })).to.throw(UsageError, /--top-cache-mb/)
  })
})
