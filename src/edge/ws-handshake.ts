import type { ErrorCode } from '../errors.js'

/**
 * The opening handshake checks of RFC 6455 §4.2.1 that uWebSockets.js 20.30 leaves out: it
 * answers 101 to any GET with a Sec-WebSocket-Key, whatever its version, Upgrade or Connection
 * header say (issue #20 §2). A client speaking another version is told which one this server
 * speaks (426 + `Sec-WebSocket-Version: 13`, §4.4); anything else malformed gets 400.
 */

export interface Handshake {
  upgrade: string
  connection: string
  version: string
  key: string
}

export interface HandshakeRefusal {
  status: 400 | 426
  code: ErrorCode
  message: string
  headers: Array<[string, string]>
}

/** the headers a 426 carries (RFC 7231 §6.5.15 and RFC 6455 §4.4) */
export const UPGRADE_HEADERS: ReadonlyArray<[string, string]> = Object.freeze([
  ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13']
] as Array<[string, string]>)

// 16 random bytes in base64 (§4.1): 22 characters and '=='
const KEY = /^[A-Za-z0-9+/]{22}==$/

function hasToken (header: string, token: string): boolean {
  for (const t of header.split(',')) if (t.trim().toLowerCase() === token) return true
  return false
}

function bad (message: string): HandshakeRefusal {
  return { status: 400, code: 'BAD_REQUEST', message, headers: [] }
}

/** why the upgrade request is refused, or null when it is a valid version-13 handshake */
export function handshakeProblem (h: Handshake): HandshakeRefusal | null {
  if (!hasToken(h.upgrade, 'websocket')) return bad('a WebSocket handshake needs "Upgrade: websocket"')
  if (!hasToken(h.connection, 'upgrade')) return bad('a WebSocket handshake needs "Connection: Upgrade"')
  if (h.version.trim() !== '13') {
    return { status: 426, code: 'UPGRADE_REQUIRED', message: 'this server speaks WebSocket version 13 (Sec-WebSocket-Version: 13)', headers: [...UPGRADE_HEADERS] }
  }
  if (!KEY.test(h.key.trim())) return bad('Sec-WebSocket-Key must be 16 bytes in base64')
  return null
}
