import { createHash, randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import WebSocket from 'ws'
import { waitFor } from './fixtures.js'

/** a `ws` client that records every message, for tests that read the protocol in order */
export class TestClient {
  readonly ws: WebSocket
  readonly msgs: any[] = []
  closed: { code: number, reason: string } | null = null
  #cursor = 0

  private constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => { this.msgs.push(isBinary ? { binary: true } : JSON.parse(data.toString())) })
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() } })
    ws.on('error', () => {})
  }

  static async open (port: number): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`)
    const c = new TestClient(ws)
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
    await c.next(m => m.type === 'hello')
    return c
  }

  send (msg: unknown): void { this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)) }

  /** the next message (after the previous `next`) matching pred; messages skipped over are returned by `skipped` */
  async next (pred: (m: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    let found: any
    await waitFor(() => {
      while (this.#cursor < this.msgs.length) {
        const m = this.msgs[this.#cursor++]
        if (pred(m)) { found = m; return true }
      }
      return false
    }, 'a websocket message', timeoutMs)
    return found
  }

  /** a round trip: every message the server sent before answering this ping has arrived */
  async sync (): Promise<void> {
    const id = Math.random()
    this.send({ op: 'ping', id })
    await this.next(m => m.type === 'pong' && m.id === id)
  }

  /** messages received since the last `next`, without consuming them */
  pending (): any[] { return this.msgs.slice(this.#cursor) }

  async close (): Promise<void> {
    if (this.closed !== null) return
    await new Promise<void>(resolve => { this.ws.once('close', () => resolve()); this.ws.close() })
  }
}

/** one masked client text frame (RFC 6455 §5.2) */
export function clientFrame (payload: Buffer, opcode = 1): Buffer {
  const mask = randomBytes(4)
  const len = payload.length
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b })()])
  const body = Buffer.alloc(len)
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3]
  return Buffer.concat([head, mask, body])
}

/**
 * A WebSocket client on a raw TCP socket: does the handshake, can send frames, and can stop
 * reading entirely (socket paused) to play the slow consumer that fills the server's buffers.
 */
export async function rawWsClient (port: number): Promise<{ socket: Socket, send: (obj: unknown) => void, closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('error', reject) })
  const key = randomBytes(16).toString('base64')
  socket.write(`GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
  let head = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      head += d.toString('latin1')
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData)
        socket.pause() // from here on nobody reads: the slow consumer
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) reject(new Error('bad handshake: ' + head.slice(0, 80)))
        else resolve()
      }
    }
    socket.on('data', onData)
  })
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  socket.on('error', () => {})
  return { socket, send: obj => socket.write(clientFrame(Buffer.from(JSON.stringify(obj)))), closed }
}
