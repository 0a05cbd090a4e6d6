import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { DLQ_REASONS } from '../errors.js'

/** Processor metrics; label handles are resolved per use only on rare paths (DLQ reasons). */
export interface ProcessorMetrics {
  swapsIn: Counter
  counted: Counter
  duplicates: Counter
  late: Counter
  dlq: Counter<'reason'>
  statsOut: Counter
  candlesOut: Counter
  changelogOut: Counter
  fullRewrites: Counter
  cycles: Counter
  commitSeconds: Histogram
  cycleSeconds: Histogram
  checkpointSeconds: Histogram
  checkpointBytes: Gauge
  checkpointFailures: Counter
  restoreSeconds: Histogram
  assignedPartitions: Gauge
  standbyPartitions: Gauge
  tokens: Gauge
  lag: Gauge<'partition'>
  aborts: Counter
  rebalanceCarries: Counter
  fences: Counter
  freezes: Counter
  stalled: Gauge
}

export function createProcessorMetrics (registry: Registry): ProcessorMetrics {
  const r = [registry]
  const dlq = new Counter({ name: 'volumer_processor_dlq_total', help: 'Records sent to the dead-letter topic, by reason code', labelNames: ['reason'], registers: r })
  // Every reason's series exists from the start: rate() and increase() only see a rise between
  // two scrapes of an existing series, so a reason's first burst would otherwise read as zero.
  for (const reason of DLQ_REASONS) dlq.labels(reason).inc(0)
  return {
    swapsIn: new Counter({ name: 'volumer_processor_swaps_in_total', help: 'Swap records consumed from the swaps topic', registers: r }),
    counted: new Counter({ name: 'volumer_processor_swaps_counted_total', help: 'Swaps accepted into the statistics', registers: r }),
    duplicates: new Counter({ name: 'volumer_processor_duplicates_total', help: 'Swaps ignored because their id and blockTime were already counted within the horizon', registers: r }),
    late: new Counter({ name: 'volumer_processor_late_total', help: 'Swaps ignored because their blockTime is older than every window', registers: r }),
    dlq,
    statsOut: new Counter({ name: 'volumer_processor_stats_updates_total', help: 'Stats records produced (updates and tombstones)', registers: r }),
    candlesOut: new Counter({ name: 'volumer_processor_candle_updates_total', help: 'Candle records produced (a candle each time a swap changed it)', registers: r }),
    changelogOut: new Counter({ name: 'volumer_processor_changelog_records_total', help: 'State changelog records produced', registers: r }),
    fullRewrites: new Counter({ name: 'volumer_processor_full_rewrites_total', help: 'Tokens rewritten as FULL changelog records because their partition had no recent checkpoint (DELTAs must not outlive the compaction lag)', registers: r }),
    cycles: new Counter({ name: 'volumer_processor_transactions_total', help: 'Transactions committed', registers: r }),
    commitSeconds: new Histogram({ name: 'volumer_processor_commit_duration_seconds', help: 'Time to commit one transaction (sendOffsets + commit)', buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2], registers: r }),
    cycleSeconds: new Histogram({ name: 'volumer_processor_cycle_duration_seconds', help: 'Time from the start of a cycle to its commit', buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5], registers: r }),
    checkpointSeconds: new Histogram({ name: 'volumer_processor_checkpoint_duration_seconds', help: 'Time to snapshot and store one partition checkpoint', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10], registers: r }),
    checkpointBytes: new Gauge({ name: 'volumer_processor_checkpoint_size_bytes', help: 'Size of the last stored checkpoint', registers: r }),
    checkpointFailures: new Counter({ name: 'volumer_processor_checkpoint_failures_total', help: 'Partition checkpoints skipped or not stored (the changelog end offsets unreadable, e.g. a broker or partition leader down; or the checkpoint store failing); each is tried again at the next interval', registers: r }),
    restoreSeconds: new Histogram({ name: 'volumer_processor_restore_duration_seconds', help: 'Time from a partition\'s assignment until it is restored (checkpoint + changelog, and any wait for a previous owner\'s open transaction)', buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30], registers: r }),
    assignedPartitions: new Gauge({ name: 'volumer_processor_assigned_partitions', help: 'Input partitions this processor owns', registers: r }),
    standbyPartitions: new Gauge({ name: 'volumer_processor_standby_partitions', help: 'Partitions of which this processor keeps a standby copy (--standby): restored and following the state changelog, ready for a fast takeover', registers: r }),
    tokens: new Gauge({ name: 'volumer_processor_tokens', help: 'Tokens with state held by this processor', registers: r }),
    lag: new Gauge({ name: 'volumer_processor_consumer_lag', help: 'Records in the swaps partition not yet processed (as of the last lag sample)', labelNames: ['partition'], registers: r }),
    aborts: new Counter({ name: 'volumer_processor_transaction_aborts_total', help: 'Transactions aborted (rebalance, fencing, errors)', registers: r }),
    rebalanceCarries: new Counter({ name: 'volumer_processor_rebalance_carries_total', help: 'Transactions refused by a rebalance (the group generation moved on before sendOffsets) whose records were carried into the next transaction instead of rebuilding the partitions', registers: r }),
    fences: new Counter({ name: 'volumer_processor_fences_total', help: 'Times the transactional producer was fenced (transaction timed out while frozen, or a duplicate instance id) and replaced', registers: r }),
    stalled: new Gauge({ name: 'volumer_processor_stalled', help: 'Whether the processor is alive but not processing (1): its cycle loop has not come round for the stall time (60 s), or records wait in its partitions and it has read none for that long; it is then not ready', registers: r }),
    freezes: new Counter({ name: 'volumer_processor_freezes_total', help: 'Times the process was found frozen (one gap without CPU time, sampled every 100 ms: SIGSTOP, stalled VM) long enough to risk its group membership; the commit then waited for the next poll', registers: r })
  }
}
