/**
 * After `make services-up` every volumer command works without connection flags (issue 23): each
 * runs as a user runs it (bin/volumer.js) with no --brokers, --registry or --pg-url and none of
 * their VOLUMER_* variables, against the services of scripts/services.sh at their default
 * addresses (Kafka 127.0.0.1:19092, Postgres 127.0.0.1:55432, the registry on 127.0.0.1:18081,
 * started here with `volumer registry` and no flags when scripts/registry.sh has not started it).
 * Only --topic-prefix and --group keep its topics and checkpoints apart from other suites.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { createKafkaLog } from '../../src/log/kafka-log.js'
import { DEFAULT_BROKERS, DEFAULT_PG_URL, DEFAULT_REGISTRY_URL, prefixedTopics } from '../../src/cli/connections.js'
import { BROKERS, PG_URL, kafkaJsAdmin, waitUntil } from '../helpers/cluster.js'
import { REPO_ROOT } from '../helpers/sample-data.js'

const BIN = join(REPO_ROOT, 'bin', 'volumer.js')

/** this process's environment without any connection setting: only the defaults can connect */
function bareEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^VOLUMER_(BROKERS|KAFKA_BROKERS|REGISTRY_URL|PG_URL)$/.test(k)) env[k] = v
  env.VOLUMER_LOG_LEVEL = 'info'
  return env
}

interface Started { child: ChildProcess, stderr: () => string, exited: Promise<number | null> }

function start (args: string[]): Started {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', BIN, ...args], { cwd: REPO_ROOT, env: bareEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d })
  child.stdout!.resume()
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, stderr: () => err, exited }
}

async function run (args: string[]): Promise<{ code: number | null, stderr: string }> {
  const s = start(args)
  const code = await s.exited
  return { code, stderr: s.stderr() }
}

async function registryAnswers (): Promise<boolean> {
  try {
    const res = await fetch(new URL('/subjects', DEFAULT_REGISTRY_URL), { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch { return false }
}

describe('every command runs without connection flags against the project\'s services', function () {
  this.timeout(180_000)
  const prefix = `cli-defaults-${randomBytes(4).toString('hex')}-`
  const group = prefix + 'processor'
  let registry: Started | undefined
  const running: Started[] = []

  before(async function () {
    if (BROKERS !== DEFAULT_BROKERS || PG_URL !== DEFAULT_PG_URL) {
      console.log(`    skipped: the services are not at the defaults (VOLUMER_BROKERS=${BROKERS}, VOLUMER_PG_URL=${PG_URL})`)
      this.skip()
    }
    if (!(await registryAnswers())) {
      // `volumer registry` with no flags is itself one of the commands under test
      registry = start(['registry'])
      await waitUntil(registryAnswers, `volumer registry on ${DEFAULT_REGISTRY_URL}`, 60_000, 200)
    }
  })

  after(async function () {
    for (const s of running) if (s.child.exitCode === null) { s.child.kill('SIGKILL'); await s.exited }
    if (registry !== undefined) { registry.child.kill('SIGTERM'); await registry.exited }
    if (BROKERS !== DEFAULT_BROKERS) return
    const log = await createKafkaLog({ brokers: BROKERS, clientId: 'volumer-test' })
    const admin = await log.createAdmin()
    const t = prefixedTopics(prefix)
    try { await admin.deleteTopics([t.swaps, t.dlq, t.state, t.stats]) } finally { await admin.close(); await log.close() }
    const groups = kafkaJsAdmin(BROKERS)
    await groups.connect()
    await groups.deleteGroups([group]).catch(() => {})
    await groups.disconnect()
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
    await pool.query('DELETE FROM volumer_checkpoints WHERE group_id = $1', [group]).catch(() => {})
    await pool.end()
  })

  it('topology apply, produce, processor (ready, checkpoints in Postgres) and edge (caught up)', async () => {
    const topo = await run(['topology', 'apply', '--topic-prefix', prefix])
    expect(topo.code, topo.stderr).to.equal(0)
    const check = await run(['topology', 'check', '--topic-prefix', prefix])
    expect(check.code, check.stderr).to.equal(0)

    const produce = await run(['produce', '--topic-prefix', prefix, '--generate', '--count', '200', '--tokens', '20', '--seed', '7'])
    expect(produce.code, produce.stderr).to.equal(0)

    const processor = start(['processor', '--topic-prefix', prefix, '--group', group, '--instance-id', 'defaults', '--metrics-port', '0', '--checkpoint-interval', '1s', '--windows', '1m,5m'])
    running.push(processor)
    await waitUntil(() => processor.stderr().includes('"processor ready"') || processor.child.exitCode !== null, 'the processor to be ready', 120_000, 100)
    expect(processor.child.exitCode, processor.stderr()).to.equal(null)
    // its checkpoints reach the default Postgres
    const pool = new pg.Pool({ connectionString: DEFAULT_PG_URL, max: 1 })
    try {
      await waitUntil(async () => (await pool.query('SELECT 1 FROM volumer_checkpoints WHERE group_id = $1', [group])).rowCount! > 0, 'a checkpoint in Postgres', 60_000, 200)
    } finally { await pool.end() }

    const edge = start(['edge', '--topic-prefix', prefix, '--port', '0', '--windows', '1m,5m'])
    running.push(edge)
    await waitUntil(() => edge.stderr().includes('edge caught up with stats') || edge.child.exitCode !== null, 'the edge to catch up', 120_000, 100)
    expect(edge.child.exitCode, edge.stderr()).to.equal(null)
    expect(edge.stderr()).to.match(/"tokens":[1-9]/)

    for (const s of [edge, processor]) {
      s.child.kill('SIGTERM')
      expect(await s.exited, s.stderr()).to.equal(0)
    }
  })
})
