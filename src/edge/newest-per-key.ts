import type { LogRecord } from '../log/log.js'

/**
 * The records of one poll's batch (one partition, in offset order) that compaction would keep:
 * the last of each key, still in offset order, with the key as text; records without a key
 * are left out. The edge's feeds decode and apply only these. A topic read right after a
 * backfill holds many records per key that compaction has not reached yet: bench:steady's
 * 0.2 h mode (12-08) read 144,465 stats records for 19,023 tokens and 855,782 candle records,
 * spawn → ready 37 s, every record decoded (docs/edge.md, "Rehydration").
 */
export function newestPerKey (records: readonly LogRecord[]): Array<{ key: string, record: LogRecord }> {
  const seen = new Set<string>()
  const out: Array<{ key: string, record: LogRecord }> = []
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]
    if (record.key === null) continue
    const key = record.key.toString('utf8')
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ key, record })
  }
  return out.reverse()
}
