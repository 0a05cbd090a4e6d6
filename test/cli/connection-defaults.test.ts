/**
 * The CLI's connection defaults are the project's own services (issue 23: `--brokers` defaulted
 * to 9092, `--registry` to 8081 and `--pg-url` to 5432 while the scripts listen on 19092, 18081
 * and 55432, and `scripts/kafka.sh env` printed a variable the CLI did not read). The scripts are
 * asked what they print, so a port changed in one place fails here.
 * test/integration/cli-defaults.test.ts runs every command against the running services.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { connectionsFrom, DEFAULT_BROKERS, DEFAULT_PG_URL, DEFAULT_REGISTRY_URL } from '../../src/cli/connections.js'
import { hostFlag } from '../../src/cli/flags.js'
import { startOpsServer } from '../../src/ops-server.js'
import { Registry } from 'prom-client'
import { spawnCli } from '../helpers/cli.js'
import { REPO_ROOT } from '../helpers/sample-data.js'

const CONNECTION_ENV = ['VOLUMER_BROKERS', 'VOLUMER_KAFKA_BROKERS', 'VOLUMER_REGISTRY_URL', 'VOLUMER_PG_URL']

/** `scripts/<name>.sh env` with none of the VOLUMER_* variables of this process (ports at their defaults) */
function scriptEnv (name: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VOLUMER_') && v !== undefined) env[k] = v
  const out = execFileSync(join(REPO_ROOT, 'scripts', `${name}.sh`), ['env'], { env, encoding: 'utf8', timeout: 30_000 })
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

/** runs fn with the connection variables set to `env` only, restoring them after */
function withEnv<T> (env: Record<string, string>, fn: () => T): T {
  const saved = CONNECTION_ENV.map((k) => [k, process.env[k]] as const)
  for (const k of CONNECTION_ENV) delete process.env[k]
  Object.assign(process.env, env)
  try { return fn() } finally {
    for (const [k, v] of saved) { if (v === undefined) delete process.env[k]; else process.env[k] = v }
  }
}

describe('CLI connection defaults are the project\'s services', function () {
  // each spawns CLIs through tsx: seconds apiece on a loaded 2-core machine
  this.timeout(120_000)

  it('scripts/kafka.sh env prints VOLUMER_BROKERS, the variable the CLI reads, with the default broker', () => {
    expect(scriptEnv('kafka')).to.deep.equal({ VOLUMER_BROKERS: DEFAULT_BROKERS })
  })

  it('scripts/postgres.sh env prints the default --pg-url', () => {
    expect(scriptEnv('postgres')).to.deep.equal({ VOLUMER_PG_URL: DEFAULT_PG_URL })
  })

  it('scripts/registry.sh env prints the default --registry, where `volumer registry` listens by default', () => {
    expect(scriptEnv('registry')).to.deep.equal({ VOLUMER_REGISTRY_URL: DEFAULT_REGISTRY_URL })
  })

  it('scripts/services.sh env prints every connection variable the CLI reads', () => {
    expect(scriptEnv('services')).to.deep.equal({ VOLUMER_BROKERS: DEFAULT_BROKERS, VOLUMER_PG_URL: DEFAULT_PG_URL, VOLUMER_REGISTRY_URL: DEFAULT_REGISTRY_URL })
  })

  it('with no flag and no variable, connections are the defaults', () => {
    const c = withEnv({}, () => connectionsFrom({}))
    expect(c.brokers).to.equal('127.0.0.1:19092')
    expect(c.registryUrl).to.equal('http://127.0.0.1:18081')
  })

  it('reads VOLUMER_KAFKA_BROKERS (the older name) when VOLUMER_BROKERS is unset; VOLUMER_BROKERS and --brokers win', () => {
    expect(withEnv({ VOLUMER_KAFKA_BROKERS: 'old:1' }, () => connectionsFrom({})).brokers).to.equal('old:1')
    expect(withEnv({ VOLUMER_KAFKA_BROKERS: 'old:1', VOLUMER_BROKERS: 'new:2' }, () => connectionsFrom({})).brokers).to.equal('new:2')
    expect(withEnv({ VOLUMER_BROKERS: 'new:2' }, () => connectionsFrom({ brokers: 'flag:3' })).brokers).to.equal('flag:3')
  })

  it('every command\'s --help states the defaults', async () => {
    for (const cmd of ['processor', 'edge', 'produce', 'topology', 'registry']) {
      const r = await spawnCli([cmd, '--help'])
      expect(r.stdout, cmd).to.include(`default ${DEFAULT_BROKERS}`).and.include(`default ${DEFAULT_REGISTRY_URL}`)
    }
    expect((await spawnCli(['processor', '--help'])).stdout).to.include(`default ${DEFAULT_PG_URL}`)
  })
})

describe('bind addresses', function () {
  // each spawns CLIs through tsx: seconds apiece on a loaded 2-core machine
  this.timeout(120_000)

  it('hostFlag accepts IP addresses and host names, and refuses anything else naming the flag', () => {
    for (const ok of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'metrics.internal', 'processor-1']) expect(hostFlag('h', ok)).to.equal(ok)
    for (const bad of ['', 'a b', '127.0.0.1:9464', 'http://x', '-x', 'x..y', '300.1.1.1.']) {
      expect(() => hostFlag('metrics-host', bad), bad).to.throw(/--metrics-host: ".*" is not an IP address or host name/)
    }
  })

  it('the metrics server binds 127.0.0.1 unless told otherwise', async () => {
    const ops = await startOpsServer({ port: 0, registry: new Registry(), ready: () => true })
    try { expect(ops.host).to.equal('127.0.0.1') } finally { await ops.close() }
    const any = await startOpsServer({ port: 0, host: '0.0.0.0', registry: new Registry(), ready: () => true })
    try { expect(any.host).to.equal('0.0.0.0') } finally { await any.close() }
  })

  it('volumer processor refuses a bad --metrics-host or VOLUMER_METRICS_HOST, exit 2, before connecting', async () => {
    const r = await spawnCli(['processor', '--brokers', '127.0.0.1:1', '--metrics-host', 'not a host'])
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.include('--metrics-host: "not a host" is not an IP address or host name')
    const e = await spawnCli(['processor', '--brokers', '127.0.0.1:1'], { env: { VOLUMER_METRICS_HOST: 'http://x' } })
    expect(e.code, e.stderr).to.equal(2)
    expect(e.stderr).to.include('"http://x" is not an IP address or host name')
  })

  it('processor and edge --help say they bind 127.0.0.1 by default', async () => {
    const r = await spawnCli(['processor', '--help'])
    expect(r.stdout).to.match(/--metrics-host H[^\n]*default 127\.0\.0\.1/)
    const edge = await spawnCli(['edge', '--help'])
    expect(edge.stdout).to.match(/--host H[^\n]*default 127\.0\.0\.1/)
  })
})
