/**
 * Manual produce as a customer does it without Volumer's CLI: Debian's `kcat` (rpk cannot be
 * installed here, see docs/services.md). One plain JSON swap with a `key|value` line, one Avro
 * swap in the Confluent wire format (bytes built with the registry's schema id) sent as a whole
 * file; both must decode with createSwapDecoder and validate. Also pins down why the docs tell
 * kcat users to set `topic.partitioner=murmur2_random`.
 */
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { createSwapEncoder, readSchemaId, type SwapRecord } from '../../src/codec/index.js'
import { partitionForKey } from '../../src/log/murmur2.js'
import { swapRecordToJson } from '../../src/generator/index.js'
import { BROKERS, createProduceFixture, SWAP_PARTITIONS, type ProduceFixture } from './produce-helpers.js'

function kcat (args: string[], stdin?: string): Promise<{ code: number, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', BROKERS, ...args], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') { reject(new Error('kcat is not installed: run scripts/setup.sh')); return }
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stderr })
    })
    child.stdin?.on('error', () => { /* kcat may exit without reading stdin (-V, file input) */ })
    child.stdin?.end(stdin ?? '')
  })
}

const swap = (id: string, token: string): SwapRecord => ({
  id,
  chain: 'ethereum',
  blockNumber: 12_634_810,
  logIndex: 7,
  blockTime: Date.parse('2021-06-16T01:51:54.000Z'),
  token,
  quoteToken: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2',
  pool: '0x8c4fb4303567a1b46377776465d60d1db469f27d',
  trader: '0xe4dc669a5ff28802e976fe2d38dbff1a28cd5f6c',
  side: 'BUY',
  amount: '1.6552301435347717',
  amountUsd: '144.434107',
})

/** a token whose key lands on different partitions under CRC32 (librdkafka's default) and murmur2 */
function tokenWithDifferentPartitions (): string {
  for (let i = 0; ; i++) {
    const token = '0x' + i.toString(16).padStart(40, '0')
    const key = Buffer.from('ethereum:' + token)
    if ((crc32(key) >>> 0) % SWAP_PARTITIONS !== partitionForKey(key, SWAP_PARTITIONS)) return token
  }
}

describe('manual produce with kcat (Kafka)', function () {
  this.timeout(120_000)
  let fx: ProduceFixture
  let dir: string

  before(async function () {
    const probe = await kcat(['-V']).catch(() => undefined)
    if (probe === undefined) this.skip()
    fx = await createProduceFixture('produce-kcat')
    dir = mkdtempSync(join(tmpdir(), 'volumer-kcat-'))
  })
  after(async () => {
    await fx?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('a JSON swap (-K"|") and an Avro swap (wire-format file, -k) both decode and validate, on the murmur2 partition', async () => {
    const token = tokenWithDifferentPartitions()
    const key = 'ethereum:' + token
    const json = swap('0xjson:7', token)
    const avro = swap('0xavro:7', token)
    // 1. JSON, the SPEC's form: one `key|value` line on stdin
    const a = await kcat(['-P', '-t', fx.topic, '-K', '|', '-X', 'topic.partitioner=murmur2_random'], `${key}|${swapRecordToJson(json)}\n`)
    expect(a.code, a.stderr).to.equal(0)
    // 2. Avro: magic byte, schema id, Avro body — binary, so a whole file is one message
    const encoder = await createSwapEncoder(fx.registry, fx.prefix + 'swaps-value')
    const bytes = encoder.encode(avro)
    expect(bytes[0]).to.equal(0)
    expect(readSchemaId(bytes)).to.equal(encoder.id)
    const file = join(dir, 'swap.avro.bin')
    writeFileSync(file, bytes)
    const b = await kcat(['-P', '-t', fx.topic, '-k', key, '-X', 'topic.partitioner=murmur2_random', file])
    expect(b.code, b.stderr).to.equal(0)

    const got = await fx.records()
    expect(got).to.have.length(2)
    const byId = new Map<string, { partition: number, key: string | null, record: SwapRecord }>()
    for (const r of got) {
      const record = await fx.decode(r.value)
      byId.set(record.id, { partition: r.partition, key: r.key, record })
    }
    const expectedPartition = partitionForKey(Buffer.from(key), SWAP_PARTITIONS)
    for (const want of [json, avro]) {
      const g = byId.get(want.id)
      if (g === undefined) expect.fail(`${want.id} missing`)
      expect(g.record).to.deep.equal(want)
      expect(g.key).to.equal(key)
      expect(g.partition, 'same partition as volumer produce and Java clients').to.equal(expectedPartition)
    }
  })

  it('without topic.partitioner=murmur2_random, kcat puts the key on its CRC32 partition (why the docs set it)', async () => {
    const token = tokenWithDifferentPartitions()
    const key = 'ethereum:' + token
    const res = await kcat(['-P', '-t', fx.topic, '-K', '|'], `${key}|${swapRecordToJson(swap('0xcrc:7', token))}\n`)
    expect(res.code, res.stderr).to.equal(0)
    const rec = (await fx.records()).find((r) => r.value.toString('utf8').includes('0xcrc:7'))
    if (rec === undefined) expect.fail('record missing')
    expect(rec.partition).to.equal((crc32(Buffer.from(key)) >>> 0) % SWAP_PARTITIONS)
    expect(rec.partition).to.not.equal(partitionForKey(Buffer.from(key), SWAP_PARTITIONS))
  })
})
