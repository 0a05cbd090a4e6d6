import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { CheckpointStore } from './checkpoint-store.js'

/**
 * Wraps any CheckpointStore with Prometheus metrics (handles created once, here):
 *   volumer_store_save_seconds          histogram of save() durations (successful ones)
 *   volumer_store_load_seconds          histogram of latest() durations
 *   volumer_store_state_bytes           gauge: size of the last saved state
 *   volumer_store_errors_total{op,code} failed calls by operation and error code
 */
export function instrumentCheckpointStore (store: CheckpointStore, registry: Registry): CheckpointStore {
  // measured in bench/results/store.json: 20 MB saves take 0.15-1.5 s, small ones ms
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  const save = new Histogram({ name: 'volumer_store_save_seconds', help: 'checkpoint save duration', buckets, registers: [registry] })
  const load = new Histogram({ name: 'volumer_store_load_seconds', help: 'checkpoint load (latest) duration', buckets, registers: [registry] })
  const bytes = new Gauge({ name: 'volumer_store_state_bytes', help: 'size of the last saved checkpoint state', registers: [registry] })
  const errors = new Counter({ name: 'volumer_store_errors_total', help: 'failed checkpoint store calls', labelNames: ['op', 'code'], registers: [registry] })

  function failed (op: string, err: unknown): never {
    // read the code structurally: errors may come from another copy of errors.ts (a bundled
    // adapter, a test loader), where instanceof would say no
    const code = (err as { code?: unknown } | null)?.code
    errors.inc({ op, code: typeof code === 'string' ? code : 'UNKNOWN' })
    throw err
  }

  return {
    migrate: () => store.migrate().catch(err => failed('migrate', err)),
    async save (cp) {
      const end = save.startTimer()
      try {
        await store.save(cp)
      } catch (err) {
        failed('save', err)
      }
      end()
      bytes.set(cp.state.byteLength)
    },
    async latest (group, partition) {
      const end = load.startTimer()
      try {
        const cp = await store.latest(group, partition)
        end()
        return cp
      } catch (err) {
        failed('latest', err)
      }
    },
    latestInfo: (group, partition) => store.latestInfo(group, partition).catch(err => failed('latestInfo', err)),
    close: () => store.close(),
  }
}
