/**
 * Shared by the produce integration tests: a private topic prefix with Volumer's topics on the
 * test broker, an in-process schema registry, the CLI as a child process, and decoding of what
 * landed on `<prefix>swaps`.
 */
import { randomBytes } from 'node:crypto'
import { createKafkaLog } from '../../src/log/kafka-log.js'
import type { Log } from '../../src/log/log.js'
import { createRegistryServer, type RegistryServer } from '../../src/registry/registry-server.js'
import { createHttpSchemaRegistry, createSwapDecoder, readSchemaId, swapToRecord, type SchemaRegistry, type SwapDecoder, type SwapRecord } from '../../src/codec/index.js'
import { validateSwapObject } from '../../src/swap/parse-swap.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'
import { applyTestTopology, readAll } from '../helpers/log-fixture.js'
import { BIN, spawnCli, type CliResult } from '../helpers/cli.js'

export const BROKERS = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'
export { BIN }
/** partitions of `swaps` in topology/topics.json */
export const SWAP_PARTITIONS = 12

export type { CliResult }

export interface ProduceFixture {
  readonly prefix: string
  readonly topic: string
  readonly log: Log
  readonly registryServer: RegistryServer
  readonly registry: SchemaRegistry
  readonly decoder: SwapDecoder
  /** `node bin/volumer.js produce ARGS` with this fixture's broker, registry and prefix */
  produce (args: string[], stdin?: string): Promise<CliResult>
  /** every record of `<prefix>swaps` */
  records (): Promise<Array<{ partition: number, key: string | null, value: Buffer }>>
  /** decoded and validated back to the wire form; throws on a record that does not validate */
  decode (value: Buffer): Promise<SwapRecord>
  close (): Promise<void>
}

export async function createProduceFixture (name: string): Promise<ProduceFixture> {
  const prefix = `${name}-${randomBytes(4).toString('hex')}-`
  const log = await createKafkaLog({ brokers: BROKERS, clientId: 'volumer-produce-test' })
  await applyTestTopology(log, prefix)
  const registryServer = await createRegistryServer({ port: 0 })
  const registry = createHttpSchemaRegistry({ url: registryServer.url })
  const decoder = createSwapDecoder({ registry })
  const topic = prefix + 'swaps'
  return {
    prefix,
    topic,
    log,
    registryServer,
    registry,
    decoder,
    produce: (args, stdin) => runCli(['produce', '--topic-prefix', prefix, ...args], {
      VOLUMER_BROKERS: BROKERS,
      VOLUMER_REGISTRY_URL: registryServer.url,
    }, stdin),
    async records () {
      return (await readAll(log, topic)).map((r) => ({ partition: r.partition, key: r.key === null ? null : r.key.toString('utf8'), value: r.value ?? Buffer.alloc(0) }))
    },
    async decode (value) {
      const obj = await decoder.decodeAsync(value)
      const swap = validateSwapObject(obj)
      if (isSwapReject(swap)) throw new Error(`record does not validate: ${swap.code} ${swap.message}`)
      return swapToRecord(swap)
    },
    async close () {
      const admin = await log.createAdmin()
      try {
        await admin.deleteTopics(['swaps', 'swaps-dlq', 'volumer-state', 'stats', 'candles', 'candles-history', 'tokens', '_schemas'].map((t) => prefix + t))
      } finally { await admin.close() }
      await registry.close()
      await registryServer.close()
      await log.close()
    },
  }
}

export function runCli (args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return spawnCli(args, { entry: 'bin', env: { VOLUMER_LOG_LEVEL: 'warn', ...env }, stdin })
}

export { readSchemaId }
