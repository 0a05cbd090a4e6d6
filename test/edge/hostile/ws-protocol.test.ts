import { expect } from 'chai'
import type { EdgeServer } from '../../../src/edge/edge-server.js'
import { createMemoryStatsFeed } from '../../../src/edge/stats-feed.js'
import { startServer } from '../helpers.js'
import { exchange, frame, handshake, parseFrames, parseResponses, type RawResult } from './raw-protocol.js'

/**
 * Issue #20 §2, WebSocket side: the opening handshake and the framing a hardened server answers,
 * with raw sockets writing exact bytes. What uWebSockets.js 20.30 makes impossible to answer
 * (it drops the TCP connection itself, before any handler runs) is pinned as it really behaves,
 * as docs/websocket.md "Protocol errors" says, so that a uWS change is noticed here first.
 */

const OP_TEXT = 0x1
const OP_CLOSE = 0x8
const OP_PING = 0x9
const OP_PONG = 0xa

describe('edge hostile clients: WebSocket protocol (issue #20 §2)', function () {
  let server: EdgeServer

  before(async () => {
    server = await startServer(createMemoryStatsFeed({ replayBatch: 64 }))
    await server.caughtUp
  })

  after(async () => { await server.close() })

  describe('opening handshake', () => {
    const refused: Array<[string, Record<string, string | undefined>, number]> = [
      ['Sec-WebSocket-Version: 8', { 'Sec-WebSocket-Version': '8' }, 426],
      ['Sec-WebSocket-Version: 99', { 'Sec-WebSocket-Version': '99' }, 426],
      ['no Sec-WebSocket-Version', { 'Sec-WebSocket-Version': undefined }, 426],
      ['Upgrade: foo', { Upgrade: 'foo' }, 400],
      ['no Upgrade header', { Upgrade: undefined }, 400],
      ['Connection: close', { Connection: 'close' }, 400],
      ['a key that is not 16 bytes of base64', { 'Sec-WebSocket-Key': 'c2hvcnQ=' }, 400],
      ['Upgrade: websocket without a key', { 'Sec-WebSocket-Key': undefined }, 400]
    ]
    for (const [name, headers, status] of refused) {
      it(`${name}: ${status}, no 101, connection closed`, async () => {
        const r = await exchange(server.port, handshake('/v1/ws', headers), 2000)
        const rs = parseResponses(r.bytes)
        expect(rs.map(x => x.status)).to.deep.equal([status])
        expect(JSON.parse(rs[0].body).error.code).to.equal(status === 426 ? 'UPGRADE_REQUIRED' : 'BAD_REQUEST')
        if (status === 426) {
          expect(rs[0].headers.get('sec-websocket-version')).to.equal('13')
          expect(rs[0].headers.get('upgrade')).to.equal('websocket')
        }
        expect(r.closed).to.equal(true)
      })
    }

    it('a plain GET of /v1/ws: 426 naming the version', async () => {
      const r = await exchange(server.port, 'GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 2000, b => parseResponses(b).length === 1)
      const rs = parseResponses(r.bytes)
      expect(rs.map(x => x.status)).to.deep.equal([426])
      expect(rs[0].headers.get('sec-websocket-version')).to.equal('13')
    })

    it('a valid version-13 handshake (mixed-case tokens, Connection list) is upgraded', async () => {
      const r = await exchange(server.port, handshake('/v1/ws', { Upgrade: 'WebSocket', Connection: 'keep-alive, Upgrade' }), 2000,
        b => parseFrames(b).length >= 1)
      expect(parseResponses(r.bytes)[0].status).to.equal(101)
      expect(JSON.parse(parseFrames(r.bytes)[0].payload.toString()).type).to.equal('hello')
    })
  })

  async function afterUpgrade (send: Buffer, waitMs = 1000, until?: (b: Buffer) => boolean): Promise<RawResult> {
    // the handshake first, then the frame in a later packet (see the same-packet case below)
    return await exchange(server.port, handshake('/v1/ws'), waitMs, until, send)
  }

  const closeFrames = (r: RawResult): Array<number | null> => parseFrames(r.bytes).filter(f => f.opcode === OP_CLOSE).map(f => f.closeCode)

  describe('messages and frames', () => {
    it('a ping after the handshake is answered with a pong', async () => {
      const r = await afterUpgrade(frame(OP_PING, 'hi'), 2000, b => parseFrames(b).some(f => f.opcode === OP_PONG))
      expect(parseFrames(r.bytes).find(f => f.opcode === OP_PONG)?.payload.toString()).to.equal('hi')
    })

    it('a message over maxPayloadLength (64 KiB) closes with 1009 (was: a TCP drop, no close frame)', async () => {
      const r = await afterUpgrade(frame(OP_TEXT, Buffer.alloc(70 * 1024, 0x61)), 2000, b => parseFrames(b).some(f => f.opcode === OP_CLOSE))
      expect(closeFrames(r)).to.deep.equal([1009])
    })

    it('a fragmented message over 64 KiB in total closes with 1009', async () => {
      const part = Buffer.alloc(40 * 1024, 0x61)
      const r = await afterUpgrade(Buffer.concat([frame(OP_TEXT, part, { fin: false }), frame(0x0, part)]), 2000,
        b => parseFrames(b).some(f => f.opcode === OP_CLOSE))
      expect(closeFrames(r)).to.deep.equal([1009])
    })

    it('a message of exactly 64 KiB is read (and refused by the protocol, not the framing)', async () => {
      const r = await afterUpgrade(frame(OP_TEXT, Buffer.alloc(64 * 1024, 0x61)), 2000, b => parseFrames(b).length >= 2)
      const msgs = parseFrames(r.bytes).filter(f => f.opcode === OP_TEXT).map(f => JSON.parse(f.payload.toString()))
      expect(msgs.map(m => m.type)).to.deep.equal(['hello', 'error'])
      expect(msgs[1].code).to.equal('MESSAGE_TOO_LARGE')
    })
  })

  describe('test-mode echo endpoint (npm run test:autobahn)', () => {
    it('exists only when echoPath is set, checks the handshake, and echoes text and binary', async () => {
      const plain = await exchange(server.port, handshake('/echo'), 2000, b => parseResponses(b).length === 1)
      expect(parseResponses(plain.bytes)[0].status, 'no echo without echoPath').to.not.equal(101)
      const echo = await startServer(createMemoryStatsFeed({ replayBatch: 64 }), { echoPath: '/echo' })
      try {
        const refused = await exchange(echo.port, handshake('/echo', { 'Sec-WebSocket-Version': '8' }), 2000)
        expect(parseResponses(refused.bytes)[0].status).to.equal(426)
        const msgs = Buffer.concat([frame(OP_TEXT, 'héllo'), frame(0x2, Buffer.from([0, 1, 2]))])
        // the frames go in a second packet, after the 101 (uWS 20.30 drops bytes in the handshake's packet)
        const r2 = await new Promise<Buffer>(resolve => {
          import('node:net').then(({ connect }) => {
            const s = connect(echo.port, '127.0.0.1')
            let got = Buffer.alloc(0)
            s.on('data', d => {
              const first = got.length === 0
              got = Buffer.concat([got, d])
              if (first) s.write(msgs)
              if (parseFrames(got).length >= 2) { s.destroy(); resolve(got) }
            })
            s.write(handshake('/echo'))
          }, () => {})
        })
        expect(parseResponses(r2)[0].status).to.equal(101)
        expect(parseFrames(r2).map(f => [f.opcode, f.payload.toString('hex')])).to.deep.equal([
          [OP_TEXT, Buffer.from('héllo').toString('hex')], [0x2, '000102']])
      } finally {
        await echo.close()
      }
    })
  })

  // uWS 20.30 ends these connections itself, before the edge sees a message: a TCP close with no
  // close frame (RFC 6455 §7.1.7 "fail the WebSocket connection" allows dropping the connection;
  // the codes 1002/1007/1009 are not sent). Pinned as documented in docs/websocket.md.
  describe('uWS 20.30 limits: violations uWS drops without a close frame', () => {
    const dropped: Array<[string, Buffer]> = [
      ['a message over the uWS ceiling (4 × 64 KiB)', frame(OP_TEXT, Buffer.alloc(257 * 1024, 0x61))],
      ['invalid UTF-8 in a text message', frame(OP_TEXT, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xed, 0xa0, 0x80]))],
      ['an RSV bit set', frame(OP_TEXT, '{"op":"ping"}', { rsv: 1 })],
      ['a reserved opcode (3)', frame(0x3, 'x')],
      ['a 126-byte ping', frame(OP_PING, Buffer.alloc(126, 0x61))]
    ]
    for (const [name, bytes] of dropped) {
      it(`${name}: TCP close, no close frame (documented)`, async () => {
        const r = await afterUpgrade(bytes, 2000)
        expect(r.closed).to.equal(true)
        expect(closeFrames(r)).to.deep.equal([])
      })
    }

    it('an unmasked client frame is not refused: uWS reads 4 payload bytes as a mask key (documented)', async () => {
      const r = await afterUpgrade(frame(OP_TEXT, '{"op":"ping","id":7}', { mask: false }), 1000)
      expect(r.closed).to.equal(false)
      // no pong and no error: uWS still waits for the 4 bytes it took the mask key to be
      expect(parseFrames(r.bytes).map(f => JSON.parse(f.payload.toString()).type)).to.deep.equal(['hello'])
    })

    it('a frame in the same packet as the handshake is not processed (documented)', async () => {
      const r = await exchange(server.port, Buffer.concat([Buffer.from(handshake('/v1/ws')), frame(OP_PING, 'same')]), 1000)
      expect(parseResponses(r.bytes)[0].status).to.equal(101)
      expect(parseFrames(r.bytes).filter(f => f.opcode === OP_PONG)).to.deep.equal([])
    })
  })
})
