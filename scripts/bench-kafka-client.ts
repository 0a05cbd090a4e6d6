/**
 * Bare-client baseline for @confluentinc/kafka-javascript against the local broker, measured
 * before anyone blames the engine (KAFKA-NOTES.md): no Volumer code is involved.
 *
 *   node --import tsx scripts/bench-kafka-client.ts [--messages 200000] [--size 200]
 *        [--linger 5] [--batch 1000] [--txns 200] [--txn-records 10] [--out FILE]
 *
 * 1. produce: non-transactional producer (acks=all, idempotence off as in the client's default),
 *    `--messages` records of `--size` bytes sent as `--batch`-record send() calls, up to 8 calls
 *    in flight, linger.ms `--linger`; reports records/s and MB/s from first send to last ack.
 *    The same load once more through the callback API (produce() + delivery reports).
 * 2. transactions: one transactional producer running `--txns` cycles of begin → send
 *    `--txn-records` records (awaited) → commit, first back to back, then one cycle every 100 ms;
 *    reports begin+send, commit() and whole-cycle latency (p50/p95/p99/max, ms).
 *
 * Brokers from VOLUMER_BROKERS (default 127.0.0.1:19092). Topics are created per run and
 * deleted at the end.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import kafkaPkg from '@confluentinc/kafka-javascript'

const { Kafka, logLevel } = kafkaPkg.KafkaJS

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    size: { type: 'string', default: '200' },
    linger: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1000' },
    txns: { type: 'string', default: '200' },
    'txn-records': { type: 'string', default: '10' },
    out: { type: 'string' },
  },
})
const messages = Number(values.messages)
const size = Number(values.size)
const linger = Number(values.linger)
const batch = Number(values.batch)
const txns = Number(values.txns)
const txnRecords = Number(values['txn-records'])
const brokers = (process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',')

const kafka = new Kafka({ kafkaJS: { brokers, clientId: 'volumer-bench', logLevel: logLevel.ERROR } })
const suffix = randomBytes(4).toString('hex')
const produceTopic = `volumer-bench-produce-${suffix}`
const txnTopic = `volumer-bench-txn-${suffix}`

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function summary (ms: number[]): Record<string, number> {
  const s = [...ms].sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 100) / 100
  return { p50: r(quantile(s, 0.5)), p95: r(quantile(s, 0.95)), p99: r(quantile(s, 0.99)), max: r(s[s.length - 1]) }
}

async function benchProduce (): Promise<Record<string, unknown>> {
  const producer = kafka.producer({ 'linger.ms': linger, kafkaJS: { acks: -1 } })
  await producer.connect()
  // One value reused: the client copies it into librdkafka's buffers, so this measures the
  // client and the broker, not the benchmark's allocation.
  const value = randomBytes(size)
  const records = Array.from({ length: batch }, (_, i) => ({ key: String(i % 64), value }))
  // Warm-up: metadata, connection and the first batch's latency are not throughput.
  await producer.send({ topic: produceTopic, messages: records })
  const inFlight = new Set<Promise<unknown>>()
  const start = performance.now()
  for (let sent = 0; sent < messages; sent += batch) {
    const p = producer.send({ topic: produceTopic, messages: records.slice(0, Math.min(batch, messages - sent)) })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
    if (inFlight.size >= 8) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const seconds = (performance.now() - start) / 1000
  await producer.disconnect()
  return {
    messages,
    size,
    lingerMs: linger,
    batch,
    seconds: Math.round(seconds * 1000) / 1000,
    msgsPerSec: Math.round(messages / seconds),
    mbPerSec: Math.round((messages * size) / seconds / 1e4) / 100,
  }
}

// The same load through the client's callback API (node-rdkafka style): produce() per record,
// delivery reports polled every 10 ms. No promise per record, so this is the client's ceiling;
// the gap to benchProduce is the KafkaJS-compatible layer's cost.
async function benchProduceNative (): Promise<Record<string, unknown>> {
  const producer = new kafkaPkg.Producer({
    'bootstrap.servers': brokers.join(','),
    'linger.ms': linger,
    acks: -1,
    dr_cb: true,
    'queue.buffering.max.messages': 200_000,
  })
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())))
  producer.setPollInterval(10)
  const value = randomBytes(size)
  const keys = Array.from({ length: 64 }, (_, i) => Buffer.from(String(i)))
  let delivered = 0
  let failed = 0
  let done: () => void = () => {}
  const all = new Promise<void>((resolve) => { done = resolve })
  producer.on('delivery-report', (err) => {
    if (err) failed++
    if (++delivered === messages) done()
  })
  const start = performance.now()
  for (let i = 0; i < messages; i++) {
    for (;;) {
      try {
        producer.produce(produceTopic, null, value, keys[i & 63])
        break
      } catch {
        // local queue full (ERR__QUEUE_FULL): let delivery reports drain it
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    }
  }
  await all
  const seconds = (performance.now() - start) / 1000
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()))
  return {
    messages,
    failed,
    seconds: Math.round(seconds * 1000) / 1000,
    msgsPerSec: Math.round(messages / seconds),
    mbPerSec: Math.round((messages * size) / seconds / 1e4) / 100,
  }
}

// intervalMs 0 = back to back (worst case: each AddPartitionsToTxn can meet the previous
// transaction's markers still being written, CONCURRENT_TRANSACTIONS, and librdkafka backs off);
// 100 = the processor's cadence (one transaction per 100 ms cycle, as Kafka Streams under EOS).
async function benchTransactions (intervalMs: number): Promise<Record<string, unknown>> {
  const producer = kafka.producer({
    'linger.ms': linger,
    kafkaJS: { transactionalId: `volumer-bench-${suffix}-${intervalMs}`, idempotent: true, maxInFlightRequests: 1 },
  })
  await producer.connect()
  const value = randomBytes(size)
  const records = Array.from({ length: txnRecords }, (_, i) => ({ key: String(i), value }))
  const sendMs: number[] = []
  const commitMs: number[] = []
  const cycleMs: number[] = []
  for (let i = 0; i < txns + 5; i++) {
    if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs))
    const t0 = performance.now()
    const tx = await producer.transaction()
    await tx.send({ topic: txnTopic, messages: records })
    const t1 = performance.now()
    await tx.commit()
    const t2 = performance.now()
    if (i >= 5) { sendMs.push(t1 - t0); commitMs.push(t2 - t1); cycleMs.push(t2 - t0) } // first 5 are warm-up
  }
  await producer.disconnect()
  return { txns, recordsPerTxn: txnRecords, intervalMs, beginAndSendMs: summary(sendMs), commitMs: summary(commitMs), cycleMs: summary(cycleMs) }
}

const admin = kafka.admin()
await admin.connect()
await admin.createTopics({ topics: [{ topic: produceTopic, numPartitions: 1, replicationFactor: 1 }, { topic: txnTopic, numPartitions: 1, replicationFactor: 1 }] })
try {
  const result = {
    client: '@confluentinc/kafka-javascript (KafkaJS API)',
    brokers: brokers.join(','),
    at: new Date().toISOString(),
    produce: await benchProduce(),
    produceCallbackApi: await benchProduceNative(),
    transactionsBackToBack: await benchTransactions(0),
    transactionsEvery100ms: await benchTransactions(100),
  }
  const json = JSON.stringify(result, null, 2)
  console.log(json)
  if (values.out) writeFileSync(values.out, json + '\n')
} finally {
  await admin.deleteTopics({ topics: [produceTopic, txnTopic] }).catch(() => {})
  await admin.disconnect()
}
