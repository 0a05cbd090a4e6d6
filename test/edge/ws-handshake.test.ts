import { expect } from 'chai'
import { handshakeProblem, type Handshake } from '../../src/edge/ws-handshake.js'
import { framingProblem } from '../../src/edge/http-framing.js'

const OK: Handshake = { upgrade: 'websocket', connection: 'Upgrade', version: '13', key: 'dGhlIHNhbXBsZSBub25jZQ==' }

describe('ws-handshake: RFC 6455 §4.2.1 checks', () => {
  it('accepts a version-13 handshake, token lists and any case', () => {
    expect(handshakeProblem(OK)).to.equal(null)
    expect(handshakeProblem({ ...OK, upgrade: 'WebSocket', connection: 'keep-alive, upgrade' })).to.equal(null)
  })

  it('426 with Sec-WebSocket-Version: 13 for any other version, or none', () => {
    for (const version of ['8', '99', '', '13, 8']) {
      const r = handshakeProblem({ ...OK, version })
      expect(r?.status, version).to.equal(426)
      expect(r?.headers).to.deep.include(['Sec-WebSocket-Version', '13'])
    }
  })

  it('400 for a wrong Upgrade or Connection header or a malformed key', () => {
    for (const h of [{ upgrade: 'foo' }, { upgrade: '' }, { connection: 'close' }, { connection: '' }, { key: 'c2hvcnQ=' }, { key: '' }]) {
      expect(handshakeProblem({ ...OK, ...h })?.status, JSON.stringify(h)).to.equal(400)
    }
  })
})

describe('http-framing: request framing the edge refuses', () => {
  const headers = (...kv: Array<[string, string]>) => ({ forEach: (cb: (k: string, v: string) => void) => { for (const [k, v] of kv) cb(k, v) } })

  it('accepts no framing headers, one Content-Length, or the same one twice', () => {
    expect(framingProblem(headers(['host', 'x']))).to.equal(null)
    expect(framingProblem(headers(['content-length', '0']))).to.equal(null)
    expect(framingProblem(headers(['content-length', '12'], ['content-length', ' 12 ']))).to.equal(null)
  })

  it('refuses any Transfer-Encoding (even empty, even after an empty one), conflicting or non-decimal Content-Length', () => {
    for (const h of [[['transfer-encoding', 'identity']], [['transfer-encoding', '']], [['transfer-encoding', ''], ['transfer-encoding', 'chunked']], [['content-length', '1'], ['content-length', '2']],
      [['content-length', '1, 2']], [['content-length', '-1']], [['content-length', '0x1']]] as Array<Array<[string, string]>>) {
      expect(framingProblem(headers(...h)), JSON.stringify(h)).to.be.a('string')
    }
  })
})
