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
 * 2. transactions: one transactional producer running `--txns` back-to-back cycles of
 *    begin → send `--txn-records` records → commit; reports commit() latency and the whole
 *    cycle's latency (p50/p95/p99/max, ms).
 *
 * Brokers from VOLUMER_KAFKA_BROKERS (default 127.0.0.1:19092). Topics are created per run and
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
const brokers = (process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',')

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

async function benchTransactions (): Promise<Record<string, unknown>> {
  const producer = kafka.producer({
    'linger.ms': linger,
    kafkaJS: { transactionalId: `volumer-bench-${suffix}`, idempotent: true, maxInFlightRequests: 1 },
  })
  await producer.connect()
  const value = randomBytes(size)
  const records = Array.from({ length: txnRecords }, (_, i) => ({ key: String(i), value }))
  const commitMs: number[] = []
  const cycleMs: number[] = []
  for (let i = 0; i < txns + 5; i++) {
    const t0 = performance.now()
    const tx = await producer.transaction()
    await tx.send({ topic: txnTopic, messages: records })
    const t1 = performance.now()
    await tx.commit()
    const t2 = performance.now()
    if (i >= 5) { commitMs.push(t2 - t1); cycleMs.push(t2 - t0) } // first 5 are warm-up
  }
  await producer.disconnect()
  return { txns, recordsPerTxn: txnRecords, commitMs: summary(commitMs), cycleMs: summary(cycleMs) }
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
    transactions: await benchTransactions(),
  }
  const json = JSON.stringify(result, null, 2)
  console.log(json)
  if (values.out) writeFileSync(values.out, json + '\n')
} finally {
  await admin.deleteTopics({ topics: [produceTopic, txnTopic] }).catch(() => {})
  await admin.disconnect()
}
