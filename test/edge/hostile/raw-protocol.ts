import { connect, type Socket } from 'node:net'

/**
 * Raw TCP for the protocol suites: exact bytes in, everything the server wrote out, and whether
 * (and how soon) it closed. No HTTP or WebSocket client library sits between the test and the
 * edge, so what a hostile client sends is what uWS parses.
 */

export interface RawResult {
  /** every byte the server wrote, in order */
  bytes: Buffer
  /** the server ended the connection before the test stopped waiting */
  closed: boolean
  ms: number
}

/**
 * writes `data` in one write (one packet on loopback) and collects until close or `waitMs`;
 * `afterHead`, when given, is written in a later packet once the server's response head (up to
 * its blank line) has arrived, and `until` is only consulted after it
 */
export async function exchange (port: number, data: string | Buffer, waitMs = 1000, until?: (got: Buffer) => boolean, afterHead?: Buffer): Promise<RawResult> {
  return await new Promise(resolve => {
    const socket: Socket = connect(port, '127.0.0.1')
    const t0 = Date.now()
    let bytes = Buffer.alloc(0)
    let closed = false
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ bytes, closed, ms: Date.now() - t0 })
    }
    const timer = setTimeout(finish, waitMs)
    let sent = afterHead === undefined
    socket.on('data', d => {
      bytes = Buffer.concat([bytes, d])
      if (!sent && bytes.includes('\r\n\r\n')) { sent = true; socket.write(afterHead as Buffer) }
      if (sent && until?.(bytes) === true) finish()
    })
    socket.on('close', () => { closed = true; finish() })
    socket.on('error', () => {})
    socket.write(data)
  })
}

export interface RawResponse {
  status: number
  headers: Map<string, string>
  body: string
}

/** splits HTTP/1.1 responses (Content-Length framed, as the edge writes them) */
export function parseResponses (bytes: Buffer): RawResponse[] {
  const out: RawResponse[] = []
  let text = bytes.toString('latin1')
  while (text.length > 0) {
    const end = text.indexOf('\r\n\r\n')
    if (end < 0) break
    const lines = text.slice(0, end).split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0])
    if (m === null) break
    const headers = new Map<string, string>()
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':')
      headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim())
    }
    const status = Number(m[1])
    const len = status === 101 || status === 204 || status === 304 ? 0 : Number(headers.get('content-length') ?? '0')
    out.push({ status, headers, body: text.slice(end + 4, end + 4 + len) })
    text = text.slice(end + 4 + len)
    if (status === 101) break
  }
  return out
}

export const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

export function handshake (path: string, headers: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': WS_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers
  }
  let s = `GET ${path} HTTP/1.1\r\n`
  for (const [k, v] of Object.entries(all)) if (v !== undefined) s += `${k}: ${v}\r\n`
  return s + '\r\n'
}

/** a client frame (masked unless told otherwise), RFC 6455 §5.2 */
export function frame (opcode: number, payload: Buffer | string, opts: { fin?: boolean, rsv?: number, mask?: boolean } = {}): Buffer {
  const p = Buffer.from(payload)
  const mask = opts.mask ?? true
  const b0 = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode
  let head: Buffer
  if (p.length < 126) {
    head = Buffer.from([b0, (mask ? 0x80 : 0) | p.length])
  } else if (p.length < 65536) {
    head = Buffer.alloc(4)
    head[0] = b0
    head[1] = (mask ? 0x80 : 0) | 126
    head.writeUInt16BE(p.length, 2)
  } else {
    head = Buffer.alloc(10)
    head[0] = b0
    head[1] = (mask ? 0x80 : 0) | 127
    head.writeBigUInt64BE(BigInt(p.length), 2)
  }
  if (!mask) return Buffer.concat([head, p])
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d])
  for (let i = 0; i < p.length; i++) p[i] ^= key[i & 3]
  return Buffer.concat([head, key, p])
}

export interface ServerFrame {
  opcode: number
  payload: Buffer
  /** close frames: the status code, or null when the frame carried none */
  closeCode: number | null
}

/** server frames (unmasked) after the 101 response's header block */
export function parseFrames (bytes: Buffer): ServerFrame[] {
  const start = bytes.indexOf('\r\n\r\n')
  let o = start < 0 ? 0 : start + 4
  const out: ServerFrame[] = []
  while (o + 2 <= bytes.length) {
    const opcode = bytes[o] & 0x0f
    let n = bytes[o + 1] & 0x7f
    let h = 2
    if (n === 126) { n = bytes.readUInt16BE(o + 2); h = 4 } else if (n === 127) { n = Number(bytes.readBigUInt64BE(o + 2)); h = 10 }
    if (o + h + n > bytes.length) break
    const payload = bytes.subarray(o + h, o + h + n)
    out.push({ opcode, payload, closeCode: opcode === 8 && n >= 2 ? payload.readUInt16BE(0) : null })
    o += h + n
  }
  return out
}
