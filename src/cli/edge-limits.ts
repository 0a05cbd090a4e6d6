import type { EdgeServerOptions } from '../edge/edge-server.js'
import { intFlag, resolve } from './flags.js'

/**
 * The edge's resource limits as flags (shared by `volumer edge` and `volumer run`): what an
 * operator facing many or hostile clients would change. Defaults are the edge's own
 * (docs/websocket.md, docs/http-api.md); sizes are whole KiB or MiB so a typo cannot ask for bytes.
 */
export const EDGE_LIMIT_FLAGS = {
  'max-indexes': { type: 'string' },
  'top-cache-mb': { type: 'string' },
  'http-max-pending-mb': { type: 'string' },
  'ws-max-buffer-kb': { type: 'string' },
  'ws-max-buffered-total-mb': { type: 'string' },
  'ws-snapshot-kb-per-s': { type: 'string' },
  'ws-max-sole-ranked-lists': { type: 'string' }
} as const

export const EDGE_LIMITS_HELP = `  --max-indexes N        ranked-list indexes the edge keeps (VOLUMER_MAX_INDEXES; default 32)
  --top-cache-mb N       encoded /v1/top answers kept until a record changes them (VOLUMER_TOP_CACHE_MB; default 16)
  --http-max-pending-mb N  HTTP response bytes waiting for slow readers, all connections; past it a
                         connection is closed (VOLUMER_HTTP_MAX_PENDING_MB; default 64)
  --ws-max-buffer-kb N   WebSocket bytes buffered for one client before it is closed 4008
                         (VOLUMER_WS_MAX_BUFFER_KB; default 1024)
  --ws-max-buffered-total-mb N  WebSocket bytes buffered for all clients together
                         (VOLUMER_WS_MAX_BUFFERED_TOTAL_MB; default 64)
  --ws-snapshot-kb-per-s N  snapshot bytes per second one WebSocket client is sent; burst 4 s' worth
                         (VOLUMER_WS_SNAPSHOT_KB_PER_S; default 512)
  --ws-max-sole-ranked-lists N  ranked lists one WebSocket client may be the only follower of
                         (VOLUMER_WS_MAX_SOLE_RANKED_LISTS; default 8)
`

const KiB = 1024
const MiB = 1024 * 1024

/** the limits given, validated (exit 2 naming the flag); options not given keep the edge's defaults */
export function edgeLimitsFrom (values: Record<string, unknown>): Partial<EdgeServerOptions> {
  const int = (flag: string, env: string, min: number, max: number): number | undefined => {
    const text = resolve(values, flag, env)
    return text === undefined ? undefined : intFlag(flag, text, min, max)
  }
  const maxIndexes = int('max-indexes', 'VOLUMER_MAX_INDEXES', 1, 4096)
  const topCacheMb = int('top-cache-mb', 'VOLUMER_TOP_CACHE_MB', 0, 65536)
  const pendingMb = int('http-max-pending-mb', 'VOLUMER_HTTP_MAX_PENDING_MB', 1, 65536)
  const bufferKb = int('ws-max-buffer-kb', 'VOLUMER_WS_MAX_BUFFER_KB', 512, 1024 * 1024)
  const totalMb = int('ws-max-buffered-total-mb', 'VOLUMER_WS_MAX_BUFFERED_TOTAL_MB', 1, 65536)
  const snapKb = int('ws-snapshot-kb-per-s', 'VOLUMER_WS_SNAPSHOT_KB_PER_S', 16, 1024 * 1024)
  const sole = int('ws-max-sole-ranked-lists', 'VOLUMER_WS_MAX_SOLE_RANKED_LISTS', 1, 4096)
  const ws: NonNullable<EdgeServerOptions['ws']> = {}
  if (bufferKb !== undefined) ws.closeAboveBytes = bufferKb * KiB
  if (totalMb !== undefined) ws.maxBufferedTotalBytes = totalMb * MiB
  if (snapKb !== undefined) { ws.snapshotBytesPerSecond = snapKb * KiB; ws.snapshotBurstBytes = 4 * snapKb * KiB }
  if (sole !== undefined) ws.maxSoleRankedLists = sole
  const out: Partial<EdgeServerOptions> = { ws }
  if (maxIndexes !== undefined) out.maxIndexes = maxIndexes
  if (topCacheMb !== undefined) out.topCacheBytes = topCacheMb * MiB
  if (pendingMb !== undefined) out.http = { maxPendingBytes: pendingMb * MiB }
  return out
}
