/**
 * Swap decode throughput on the `swaps` hot path, one core, the shared sample cycled in memory:
 *   - avro:            Confluent wire format -> record (our codec, sync after prepare)
 *   - avro+validate:   ... -> validated Swap (what the processor does per record)
 *   - json+validate:   a JSON value (rpk produce) -> validated Swap
 *   - kafkajs-sr:      @kafkajs/confluent-schema-registry's decode (async, per message), for comparison
 *   - encode:          SwapRecord -> wire format (the generator's side)
 *
 *   node --import tsx bench/codec.bench.ts      prints the figures, writes bench/results/codec.json
 *   CODEC_BENCH_MS=500 …                        shorter runs (default 1500 ms per case)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readInputText } from '../src/cli/input-file.js'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import SchemaRegistryKafkajs from '@kafkajs/confluent-schema-registry'
import { createHttpSchemaRegistry } from '../src/codec/http-schema-registry.js'
import { createSwapDecoder, createSwapEncoder, swapToRecord, type SwapRecord } from '../src/codec/swap-codec.js'
import { createRegistryServer } from '../src/registry/registry-server.js'
import { validateSwapObject } from '../src/swap/parse-swap.js'
import { isSwapReject } from '../src/swap/swap-reject.js'

const SAMPLE = process.env.VOLUMER_SAMPLE_DATA ?? join(process.cwd(), 'samples', 'ethereum-mainnet-swaps-2021-06.ndjson.gz')
const MS = Number(process.env.CODEC_BENCH_MS ?? 1500)

function timeSync (n: number, fn: () => void): number {
  fn() // warm-up
  let done = 0
  const start = performance.now()
  let el = 0
  while (el < MS) { fn(); done += n; el = performance.now() - start }
  return Math.round(done / (el / 1000))
}

async function timeAsync (n: number, fn: () => Promise<void>): Promise<number> {
  await fn()
  let done = 0
  const start = performance.now()
  let el = 0
  while (el < MS) { await fn(); done += n; el = performance.now() - start }
  return Math.round(done / (el / 1000))
}

const server = await createRegistryServer({ port: 0 })
try {
  const registry = createHttpSchemaRegistry({ url: server.url })
  const enc = await createSwapEncoder(registry)
  const dec = createSwapDecoder({ registry })
  const lines = readInputText(SAMPLE).split('\n').filter(l => l.length > 0)
  const records: SwapRecord[] = lines.map(l => {
    const s = validateSwapObject(JSON.parse(l))
    if (isSwapReject(s)) throw new Error(s.message)
    return swapToRecord(s)
  })
  const avroBufs = records.map(r => enc.encode(r))
  const jsonBufs = lines.map(l => Buffer.from(l))
  await dec.prepare(avroBufs)
  const n = avroBufs.length
  let sink = 0

  const avro = timeSync(n, () => { for (let i = 0; i < n; i++) sink += (dec.decode(avroBufs[i]) as SwapRecord).logIndex })
  const avroValidate = timeSync(n, () => {
    for (let i = 0; i < n; i++) { const s = validateSwapObject(dec.decode(avroBufs[i])); if (isSwapReject(s)) throw new Error(s.message); sink += s.logIndex }
  })
  const jsonValidate = timeSync(n, () => {
    for (let i = 0; i < n; i++) { const s = validateSwapObject(dec.decode(jsonBufs[i])); if (isSwapReject(s)) throw new Error(s.message); sink += s.logIndex }
  })
  const encode = timeSync(n, () => { for (let i = 0; i < n; i++) sink += enc.encode(records[i]).length })

  const SR = (SchemaRegistryKafkajs as unknown as { SchemaRegistry: new (o: { host: string }) => { decode (b: Buffer): Promise<SwapRecord> } }).SchemaRegistry
  const kafkajs = new SR({ host: server.url })
  const kafkajsDecode = await timeAsync(n, async () => { for (let i = 0; i < n; i++) sink += (await kafkajs.decode(avroBufs[i])).logIndex })
  const ourAsync = await timeAsync(n, async () => { for (let i = 0; i < n; i++) sink += (await dec.decodeAsync(avroBufs[i]) as SwapRecord).logIndex })

  const avroBytes = avroBufs.reduce((a, b) => a + b.length, 0) / n
  const jsonBytes = jsonBufs.reduce((a, b) => a + b.length, 0) / n
  const result = {
    bench: 'codec',
    what: 'swap decode/encode, shared sample (9,842 swaps) cycled in memory, one core; swaps/s',
    avroDecodePerSec: avro,
    avroDecodeValidatePerSec: avroValidate,
    jsonDecodeValidatePerSec: jsonValidate,
    avroDecodeAsyncPerSec: ourAsync,
    kafkajsSchemaRegistryDecodePerSec: kafkajsDecode,
    avroEncodePerSec: encode,
    avroBytesPerSwap: Math.round(avroBytes * 10) / 10,
    jsonBytesPerSwap: Math.round(jsonBytes * 10) / 10,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    at: new Date().toISOString(),
  }
  console.log(JSON.stringify(result, null, 2))
  if (sink === -1) console.log('')
  const out = fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(out, { recursive: true })
  writeFileSync(out + 'codec.json', JSON.stringify(result, null, 2) + '\n')
} finally {
  await server.close()
}
