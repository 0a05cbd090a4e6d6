import { connect, type Socket } from 'node:net'
import { LogError } from './log-errors.js'

/**
 * Topic configs over the Kafka protocol. @confluentinc/kafka-javascript (1.10) exposes no
 * DescribeConfigs / IncrementalAlterConfigs, and the topology command needs both, so this speaks
 * the two requests itself, in their oldest versions still served by Kafka 4 and Redpanda
 * (non-flexible encodings, no tagged fields). Any broker answers for topic resources.
 *
 *   frame:   int32 size | request header v1 | body
 *   header:  int16 api_key | int16 api_version | int32 correlation_id | nullable string client_id
 *   response: int32 size | int32 correlation_id | body
 *
 *   DescribeConfigs v1 (key 32)
 *     request:  [resource_type int8, resource_name string, config_names nullable [string]] include_synonyms bool
 *     response: throttle int32 [error int16, error_msg nullable string, resource_type int8, resource_name string,
 *               [name string, value nullable string, read_only bool, source int8, sensitive bool,
 *                [synonym name string, value nullable string, source int8]]]
 *   IncrementalAlterConfigs v0 (key 44)
 *     request:  [resource_type int8, resource_name string, [name string, op int8 (0 = SET), value nullable string]]
 *               validate_only bool
 *     response: throttle int32 [error int16, error_msg nullable string, resource_type int8, resource_name string]
 */

const RESOURCE_TOPIC = 2
const API_DESCRIBE_CONFIGS = 32
const API_INCREMENTAL_ALTER_CONFIGS = 44
const OP_SET = 0
const ERROR_UNKNOWN_TOPIC = 3

class Writer {
  #buf = Buffer.alloc(256)
  #pos = 0

  #ensure (n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.#pos + n) size *= 2
    const next = Buffer.alloc(size)
    this.#buf.copy(next, 0, 0, this.#pos)
    this.#buf = next
  }

  int8 (v: number): this { this.#ensure(1); this.#buf.writeInt8(v, this.#pos); this.#pos += 1; return this }
  int16 (v: number): this { this.#ensure(2); this.#buf.writeInt16BE(v, this.#pos); this.#pos += 2; return this }
  int32 (v: number): this { this.#ensure(4); this.#buf.writeInt32BE(v, this.#pos); this.#pos += 4; return this }
  string (v: string | null): this {
    if (v === null) return this.int16(-1)
    const len = Buffer.byteLength(v)
    this.int16(len)
    this.#ensure(len)
    this.#buf.write(v, this.#pos)
    this.#pos += len
    return this
  }

  /** the frame: size prefix + what was written */
  frame (): Buffer {
    const out = Buffer.alloc(4 + this.#pos)
    out.writeInt32BE(this.#pos, 0)
    this.#buf.copy(out, 4, 0, this.#pos)
    return out
  }
}

class Reader {
  #buf: Buffer
  #pos = 0
  constructor (buf: Buffer) { this.#buf = buf }
  int8 (): number { const v = this.#buf.readInt8(this.#pos); this.#pos += 1; return v }
  int16 (): number { const v = this.#buf.readInt16BE(this.#pos); this.#pos += 2; return v }
  int32 (): number { const v = this.#buf.readInt32BE(this.#pos); this.#pos += 4; return v }
  string (): string | null {
    const len = this.int16()
    if (len < 0) return null
    const v = this.#buf.toString('utf8', this.#pos, this.#pos + len)
    this.#pos += len
    return v
  }
}

export interface TopicConfigResult {
  readonly topic: string
  /** null when the topic does not exist */
  readonly configs: Record<string, string> | null
}

export class KafkaConfigClient {
  readonly #brokers: ReadonlyArray<{ host: string, port: number }>
  readonly #clientId: string
  readonly #timeoutMs: number
  #correlation = 0
  /** the broker that answered last: asked first next time */
  #preferred = 0

  /**
   * brokers: the bootstrap list ("host:port,host:port"). Any broker answers DescribeConfigs and
   * IncrementalAlterConfigs for a topic, so a request goes to each in turn until one answers:
   * with only the first one, a processor could not start while that one node was down
   * (issue #23, chaos test).
   */
  constructor (brokers: string, clientId: string, timeoutMs = 10_000) {
    this.#brokers = brokers.split(',').map(b => b.trim()).filter(b => b !== '').map(b => {
      const i = b.lastIndexOf(':')
      return { host: i < 0 ? b : b.slice(0, i), port: i < 0 ? 9092 : Number(b.slice(i + 1)) }
    })
    if (this.#brokers.length === 0) throw new LogError('BAD_CONFIG', 'no broker to send config requests to')
    this.#clientId = clientId
    this.#timeoutMs = timeoutMs
  }

  async describeTopicConfigs (topics: readonly string[]): Promise<TopicConfigResult[]> {
    const w = this.#header(API_DESCRIBE_CONFIGS, 1)
    w.int32(topics.length)
    for (const t of topics) w.int8(RESOURCE_TOPIC).string(t).int32(-1)
    w.int8(0)
    const r = await this.#call(w)
    r.int32() // throttle
    const out: TopicConfigResult[] = []
    for (let n = r.int32(), i = 0; i < n; i++) {
      const error = r.int16()
      const message = r.string()
      r.int8()
      const topic = r.string() ?? ''
      const configs: Record<string, string> = {}
      for (let m = r.int32(), j = 0; j < m; j++) {
        const name = r.string() ?? ''
        const value = r.string()
        r.int8(); r.int8(); r.int8() // read_only, source, sensitive
        for (let s = r.int32(), k = 0; k < s; k++) { r.string(); r.string(); r.int8() }
        if (value !== null) configs[name] = value
      }
      if (error === ERROR_UNKNOWN_TOPIC) out.push({ topic, configs: null })
      else if (error !== 0) throw protocolError('DescribeConfigs', topic, error, message)
      else out.push({ topic, configs })
    }
    return out
  }

  async setTopicConfigs (topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(configs)
    const w = this.#header(API_INCREMENTAL_ALTER_CONFIGS, 0)
    w.int32(1).int8(RESOURCE_TOPIC).string(topic).int32(entries.length)
    for (const [name, value] of entries) w.string(name).int8(OP_SET).string(value)
    w.int8(0)
    const r = await this.#call(w)
    r.int32()
    for (let n = r.int32(), i = 0; i < n; i++) {
      const error = r.int16()
      const message = r.string()
      r.int8()
      const name = r.string() ?? topic
      if (error !== 0) throw protocolError('IncrementalAlterConfigs', name, error, message)
    }
  }

  #header (apiKey: number, version: number): Writer {
    return new Writer().int16(apiKey).int16(version).int32(++this.#correlation).string(this.#clientId)
  }

  /**
   * Each broker in turn, starting with the one that answered last, until one answers; a
   * connection that fails or times out moves on (both requests are idempotent: a SET of the same
   * values, a read). Errors in an answer are not retried.
   */
  async #call (request: Writer): Promise<Reader> {
    const failures: LogError[] = []
    for (let k = 0; k < this.#brokers.length; k++) {
      const at = (this.#preferred + k) % this.#brokers.length
      try {
        const r = await this.#callOne(this.#brokers[at], request)
        this.#preferred = at
        return r
      } catch (err) {
        if (!(err instanceof LogError) || err.code !== 'BROKER_UNAVAILABLE') throw err
        failures.push(err)
      }
    }
    if (failures.length === 1) throw failures[0]
    throw new LogError('BROKER_UNAVAILABLE', `config request failed on every broker: ${failures.map(f => f.message).join('; ')}`,
      { retriable: true, cause: failures[failures.length - 1] })
  }

  /** one request on a fresh connection: topology runs rarely, simplicity beats pooling */
  #callOne ({ host, port }: { host: string, port: number }, request: Writer): Promise<Reader> {
    return new Promise<Reader>((resolve, reject) => {
      const socket: Socket = connect({ host, port })
      const chunks: Buffer[] = []
      let received = 0
      const fail = (err: unknown): void => {
        socket.destroy()
        reject(err instanceof LogError ? err : new LogError('BROKER_UNAVAILABLE',
          `config request to ${host}:${port} failed: ${(err as Error).message}`, { retriable: true, cause: err }))
      }
      socket.setTimeout(this.#timeoutMs, () => fail(new Error('timed out')))
      socket.on('error', fail)
      socket.on('data', chunk => {
        chunks.push(chunk)
        received += chunk.length
        if (received < 4) return
        const all = Buffer.concat(chunks)
        const size = all.readInt32BE(0)
        if (all.length < 4 + size) return
        socket.end()
        const r = new Reader(all.subarray(4, 4 + size))
        r.int32() // correlation id: one request per connection
        resolve(r)
      })
      socket.write(request.frame())
    })
  }
}

function protocolError (api: string, topic: string, error: number, message: string | null): LogError {
  return new LogError(error === ERROR_UNKNOWN_TOPIC ? 'UNKNOWN_TOPIC' : 'LOG_ERROR',
    `${api} for topic "${topic}" failed with Kafka error ${error}${message === null ? '' : ': ' + message}`)
}
