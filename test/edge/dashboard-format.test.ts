/**
 * The dashboard's pure formatting (src/edge/dashboard/format.js: browser ES module, no DOM, no
 * clock), run in Node: what a token is called on screen, and the previous-window change shown
 * beside a window's value (issue #22 §2's `changePct`, shown only when the edge serves it).
 */
import { expect } from 'chai'

// a plain-JS browser module without type declarations: loaded by URL, used untyped
const FORMAT = new URL('../../src/edge/dashboard/format.js', import.meta.url).href
const fmt = await import(FORMAT)

describe('dashboard format.js', () => {
  it('names a token by its symbol, else by its short address', () => {
    expect(fmt.tokenLabel({ token: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', symbol: 'WETH' })).to.equal('WETH')
    expect(fmt.tokenLabel({ token: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2' })).to.equal('0xc02a…6cc2')
    expect(fmt.tokenLabel({ token: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', symbol: '' })).to.equal('0xc02a…6cc2')
    expect(fmt.tokenLabel({ token: 'So11111111111111111111111111111111111111112', symbol: null })).to.equal('So1111…1112')
    expect(fmt.tokenLabel({ token: 'short' })).to.equal('short')
  })

  it('shows a window\'s previous-window change only when the window carries changePct', () => {
    const w = { volumeUsd: '10', changePct: { volumeUsd: 12.5, txns: null, traders: -3 } }
    expect(fmt.windowChange(w, 'volumeUsd')).to.deep.equal({ text: '+12.50%', dir: 1 })
    expect(fmt.windowChange(w, 'txns')).to.deep.equal({ text: '—', dir: 0 })
    expect(fmt.windowChange(w, 'traders')).to.deep.equal({ text: '−3.00%', dir: -1 })
    expect(fmt.windowChange({ changePct: { volumeUsd: 0 } }, 'volumeUsd')).to.deep.equal({ text: '0.00%', dir: 0 })
    // not served (today's edge), a field it does not list, no window at all: nothing to show
    expect(fmt.windowChange({ volumeUsd: '10' }, 'volumeUsd')).to.equal(undefined)
    expect(fmt.windowChange({ changePct: null }, 'volumeUsd')).to.equal(undefined)
    expect(fmt.windowChange({ changePct: { txns: 1 } }, 'volumeUsd')).to.equal(undefined)
    expect(fmt.windowChange(undefined, 'volumeUsd')).to.equal(undefined)
  })
})
