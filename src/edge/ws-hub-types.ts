import type { ByteBudget } from './byte-budget.js'
import type { TokenEntry } from './stats-store.js'
import type { TopGroup } from './ws-ranked-lists.js'

/**
 * The WebSocket hub's shapes: the socket it talks through, its options and their defaults, its
 * close codes, and the connection and subscription records (ws-hub.ts holds the policy).
 */
export interface WsSocket {
  /** uWS: 0 = buffered (backpressure), 1 = sent, 2 = dropped (over maxBackpressure) */
  send (message: string): number
  getBufferedAmount (): number
  end (code: number, reason: string): void
  close (): void
}

export interface WsHubOptions {
  /** subscriptions (tokens + ranked lists) one connection may hold (default 256) */
  maxSubscriptions: number
  /** ranked-list subscriptions one connection may hold, within maxSubscriptions (default 16) */
  maxTopSubscriptions: number
  /** largest client message the protocol accepts, bytes (default 16 KiB); larger frames up to uWS's maxPayloadLength get MESSAGE_TOO_LARGE */
  maxMessageBytes: number
  /** client messages per second, sustained (default 20) */
  messagesPerSecond: number
  /** client messages allowed in a burst (default 40) */
  messageBurst: number
  /** RATE_LIMITED answers in a row before the connection is closed (default 20) */
  maxRateViolations: number
  /** buffered bytes above which updates are coalesced instead of sent (default 256 KiB) */
  coalesceAboveBytes: number
  /** buffered bytes above which the connection is closed (default 1 MiB) */
  closeAboveBytes: number
  /** buffered bytes of all connections together above which a connection over coalesceAboveBytes is closed (default 64 MiB) */
  maxBufferedTotalBytes: number
  /** snapshot bytes one connection is sent per second, sustained (default 512 KiB) */
  snapshotBytesPerSecond: number
  /** snapshot bytes one connection may be sent at once (default 2 MiB: 256 tokens of 11 windows) */
  snapshotBurstBytes: number
  /** ranked lists one connection may be the only one to follow, each holding an index slot (default 8 of maxIndexes 32) */
  maxSoleRankedLists: number
  /** a buffer above coalesceAboveBytes with messages pending for this long closes the connection, ms (default 10,000) */
  slowClientTimeoutMs: number
  /** least time between two pushes of one ranked list, ms (default 250 = at most 4/s) */
  rankedIntervalMs: number
  /** an app-level heartbeat goes to a connection that was sent nothing for this long, ms (default 15,000) */
  heartbeatMs: number
}

export const DEFAULT_WS_HUB_OPTIONS: Readonly<WsHubOptions> = Object.freeze({
  maxSubscriptions: 256,
  maxTopSubscriptions: 16,
  maxMessageBytes: 16 * 1024,
  messagesPerSecond: 20,
  messageBurst: 40,
  maxRateViolations: 20,
  coalesceAboveBytes: 256 * 1024,
  closeAboveBytes: 1024 * 1024,
  maxBufferedTotalBytes: 64 * 1024 * 1024,
  snapshotBytesPerSecond: 512 * 1024,
  snapshotBurstBytes: 2 * 1024 * 1024,
  maxSoleRankedLists: 8,
  slowClientTimeoutMs: 10_000,
  rankedIntervalMs: 250,
  heartbeatMs: 15_000
})

export const CLOSE_SLOW_CONSUMER = 4008
export const CLOSE_RATE_LIMIT = 4029
export const CLOSE_SHUTDOWN = 1001

export interface TokenSub {
  readonly kind: 'token'
  readonly id: string
  readonly conn: Conn
  readonly key: string
  seq: number
  /** the next message for it is a snapshot (sent, or waiting in pending) */
  snap: boolean
}

export interface TopSub {
  readonly kind: 'top'
  readonly id: string
  readonly conn: Conn
  readonly group: TopGroup<TopSub>
  seq: number
  snap: boolean
}

/** a token's candles of one interval (issue #22): updates carry the candles that changed */
export interface CandleSub {
  readonly kind: 'candles'
  readonly id: string
  readonly conn: Conn
  /** chain:token:interval, the candle store's series */
  readonly series: string
  seq: number
  snap: boolean
  /** starts of the candles changed since the last message (a late swap may change an older one) */
  changed: number[]
}

export type Sub = TokenSub | TopSub | CandleSub

export interface Conn {
  readonly id: number
  ws: WsSocket | null
  readonly subs: Map<string, Sub>
  readonly pending: Map<string, Sub>
  /** since when the buffer has been above coalesceAboveBytes with messages pending (0 = not) */
  blockedSince: number
  /** buffered bytes last seen (summed over connections for maxBufferedTotalBytes) */
  buffered: number
  readonly snapshots: ByteBudget
  lastSentAt: number
  bucket: number
  bucketAt: number
  violations: number
  closing: boolean
  topCount: number
}

export interface WsHub {
  readonly clients: number
  readonly subscriptions: number
  /** bytes buffered for all connections, as last seen (capped by maxBufferedTotalBytes) */
  readonly bufferedBytes: number
  newConn (): Conn
  open (conn: Conn, ws: WsSocket): void
  message (conn: Conn, data: ArrayBuffer, isBinary: boolean): void
  drain (conn: Conn): void
  closed (conn: Conn): void
  /** a token changed (entry null = removed) */
  onStoreChange (key: string, entry: TokenEntry | null): void
  /** a candle of a series (chain:token:interval) changed */
  onCandleChange (series: string, start: number): void
  /** periodic: ranked pushes, slow-client and heartbeat checks (the server calls it on a timer) */
  tick (): void
  closeAll (): void
}
