/**
 * redpanda/docker-compose.yml and its config files, checked against the code without Docker:
 * the YAML parses; every volumer service runs a real `volumer` subcommand with flags its --help
 * lists; every VOLUMER_* variable is one src/cli reads; Prometheus scrapes every processor and
 * edge on the port each listens on; Grafana's provisioning paths exist and point at the mounted
 * dashboard; the Dockerfile copies paths that exist; docs/deployment.md names every host port.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIR = join(ROOT, 'redpanda')

interface Service {
  image?: string
  build?: { context: string, dockerfile: string }
  command?: string[]
  environment?: Record<string, string>
  ports?: string[]
  volumes?: string[]
  depends_on?: Record<string, { condition: string }> | string[]
  healthcheck?: { test: string[] }
}
interface Compose { services: Record<string, Service>, volumes?: Record<string, unknown> }

const compose = yaml.load(readFileSync(join(DIR, 'docker-compose.yml'), 'utf8')) as Compose
const services = compose.services
const volumerServices = Object.entries(services).filter(([, s]) => s.image === 'volumer:local')

const helpCache = new Map<string, string>()
/** `volumer <cmd> --help` (cached): the flags and env vars the CLI documents */
function help (cmd: string): string {
  let text = helpCache.get(cmd)
  if (text === undefined) {
    const args = cmd === '' ? ['--help'] : [cmd, '--help']
    text = execFileSync(process.execPath, [join(ROOT, 'bin', 'volumer.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    helpCache.set(cmd, text)
  }
  return text
}

/** the port a volumer service listens on for `flag` (--metrics-port, --port): command → env → documented default */
function listenPort (s: Service, flag: string, env: string): number {
  const cmd = s.command ?? []
  const i = cmd.indexOf(flag)
  if (i >= 0) return Number(cmd[i + 1])
  const fromEnv = s.environment?.[env]
  if (fromEnv !== undefined) return Number(fromEnv)
  const m = new RegExp(`${flag} N[^\\n]*default (\\d+)`).exec(help(cmd[0]))
  if (m === null) throw new Error(`no default for ${flag} in volumer ${cmd[0]} --help`)
  return Number(m[1])
}

/** the address a volumer service binds for `flag` (--metrics-host, --host): command → env → documented default */
function listenHost (s: Service, flag: string, env: string): string {
  const cmd = s.command ?? []
  const i = cmd.indexOf(flag)
  if (i >= 0) return cmd[i + 1]
  const fromEnv = s.environment?.[env]
  if (fromEnv !== undefined) return fromEnv
  const m = new RegExp(`${flag} H[^\\n]*default ([0-9.:]+)`).exec(help(cmd[0]))
  if (m === null) throw new Error(`no default for ${flag} in volumer ${cmd[0]} --help`)
  return m[1]
}

function cliSourceText (): string {
  const dir = join(ROOT, 'src', 'cli')
  return readdirSync(dir).filter(f => f.endsWith('.ts')).map(f => readFileSync(join(dir, f), 'utf8')).join('\n')
}

function containerPorts (s: Service): Map<number, number> {
  const out = new Map<number, number>() // host → container
  for (const p of s.ports ?? []) {
    const [host, container] = p.split(':').map(Number)
    out.set(host, container)
  }
  return out
}

describe('docker compose stack (redpanda/)', function () {
  this.timeout(120_000)

  it('has every service of the stack, and the volumer ones build from the repository Dockerfile', () => {
    for (const name of ['redpanda', 'console', 'postgres', 'topology', 'processor-1', 'processor-2', 'edge-1', 'edge-2', 'prometheus', 'grafana']) {
      expect(services, name).to.have.property(name)
    }
    expect(volumerServices.length).to.be.at.least(6)
    for (const [name, s] of volumerServices) {
      expect(s.build, name).to.not.equal(undefined)
      expect(resolve(DIR, s.build!.context)).to.equal(resolve(ROOT))
      expect(existsSync(join(resolve(DIR, s.build!.context), s.build!.dockerfile)), `${name} dockerfile`).to.equal(true)
    }
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {})
      for (const d of deps) expect(services, `${name} depends on ${d}`).to.have.property(d)
    }
  })

  it('runs real volumer subcommands with flags their --help lists', () => {
    const commands = new Set([...help('').matchAll(/^ {2}([a-z]+) {2,}/gm)].map(m => m[1]))
    expect(commands).to.include.members(['processor', 'edge', 'topology', 'produce'])
    for (const [name, s] of volumerServices) {
      const cmd = s.command ?? []
      expect(commands.has(cmd[0]), `${name}: "${cmd[0]}" is a volumer command`).to.equal(true)
      const text = help(cmd[0])
      if (cmd[0] === 'topology') expect(['apply', 'check']).to.include(cmd[1])
      for (const arg of cmd.filter(a => a.startsWith('--'))) {
        const flag = arg.split('=')[0]
        expect(text, `${name}: ${flag} in "volumer ${cmd[0]} --help"`).to.match(new RegExp(`(^|\\s)${flag}(\\s|$)`, 'm'))
      }
    }
    // the topology step is the one the brief names, and runs before anything that needs topics
    expect(services.topology.command).to.deep.equal(['topology', 'apply', '--brokers', 'redpanda:9092'])
    for (const name of ['processor-1', 'processor-2', 'edge-1', 'edge-2']) {
      expect((services[name].depends_on as Record<string, { condition: string }>).topology.condition).to.equal('service_completed_successfully')
    }
  })

  it('gives the two processors distinct instance ids in one group', () => {
    const ids = ['processor-1', 'processor-2'].map(n => {
      const cmd = services[n].command!
      expect(cmd[0]).to.equal('processor')
      return cmd[cmd.indexOf('--instance-id') + 1]
    })
    expect(ids[0]).to.not.equal(ids[1])
    expect(services['processor-1'].environment?.VOLUMER_GROUP).to.equal(services['processor-2'].environment?.VOLUMER_GROUP)
    expect(['edge-1', 'edge-2'].every(n => services[n].command![0] === 'edge')).to.equal(true)
  })

  it('sets only VOLUMER_* variables that src/cli reads', () => {
    const source = cliSourceText()
    const used = new Set<string>()
    for (const [, s] of volumerServices) for (const k of Object.keys(s.environment ?? {})) used.add(k)
    expect(used.size).to.be.greaterThan(3)
    for (const k of used) {
      expect(k, 'only VOLUMER_* variables configure volumer').to.match(/^VOLUMER_/)
      expect(source.includes(`'${k}'`), `${k} is read in src/cli`).to.equal(true)
    }
  })

  it('points volumer at the Redpanda listeners and schema registry that exist', () => {
    const rp = (services.redpanda.command ?? []).join(' ')
    for (const [name, s] of volumerServices) {
      expect(s.environment?.VOLUMER_BROKERS, name).to.equal('redpanda:9092')
      expect(s.environment?.VOLUMER_REGISTRY_URL, name).to.equal('http://redpanda:8081')
    }
    expect(rp).to.contain('internal://redpanda:9092')
    expect(rp).to.contain('--schema-registry-addr=internal://0.0.0.0:8081')
    const consoleCfg = yaml.load(readFileSync(join(DIR, 'console-config.yml'), 'utf8')) as { kafka: { brokers: string[], schemaRegistry: { urls: string[] } } }
    expect(consoleCfg.kafka.brokers).to.deep.equal(['redpanda:9092'])
    expect(consoleCfg.kafka.schemaRegistry.urls).to.deep.equal(['http://redpanda:8081'])
    expect(services.console.volumes?.[0]).to.match(/^\.\/console-config\.yml:/)
  })

  it('Prometheus scrapes all four volumer servers on the ports they listen on', () => {
    const prom = yaml.load(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string, metrics_path?: string, static_configs: Array<{ targets: string[] }> }> }
    const scraped = new Map<string, { port: number, path: string }>()
    for (const job of prom.scrape_configs) {
      for (const t of job.static_configs.flatMap(c => c.targets)) {
        const [host, port] = t.split(':')
        expect(services, `target ${t} is a compose service`).to.have.property(host)
        scraped.set(host, { port: Number(port), path: job.metrics_path ?? '/metrics' })
      }
    }
    for (const [name, s] of volumerServices) {
      const cmd = s.command![0]
      if (cmd !== 'processor' && cmd !== 'edge') continue
      const want = cmd === 'processor' ? listenPort(s, '--metrics-port', 'VOLUMER_METRICS_PORT') : listenPort(s, '--port', 'VOLUMER_EDGE_PORT')
      expect(scraped.get(name), `${name} is scraped`).to.deep.equal({ port: want, path: '/metrics' })
      // the published port and the health check reach the same listener
      expect([...containerPorts(s).values()], `${name} publishes ${want}`).to.include(want)
      expect(s.healthcheck?.test.join(' '), `${name} health check`).to.contain(`127.0.0.1:${want}/readyz`)
      // Prometheus is another container: a listener on the default loopback would be unreachable
      const host = cmd === 'processor' ? listenHost(s, '--metrics-host', 'VOLUMER_METRICS_HOST') : listenHost(s, '--host', 'VOLUMER_EDGE_HOST')
      expect(host, `${name} binds every interface`).to.equal('0.0.0.0')
    }
    expect([...scraped.keys()].filter(h => /^(processor|edge)-/.test(h)).sort()).to.deep.equal(['edge-1', 'edge-2', 'processor-1', 'processor-2'])
  })

  it('Grafana provisioning: paths exist, the dashboard folder is mounted where the provider looks, the datasource is the Prometheus service', () => {
    const mounts = new Map<string, string>() // container path → host path
    for (const v of services.grafana.volumes ?? []) {
      const [src, dst] = v.split(':')
      const host = resolve(DIR, src)
      expect(existsSync(host), `${src} exists`).to.equal(true)
      mounts.set(dst, host)
    }
    const provisioning = mounts.get('/etc/grafana/provisioning')
    expect(provisioning, 'provisioning mounted').to.be.a('string')
    const dsDir = join(provisioning!, 'datasources')
    const dbDir = join(provisioning!, 'dashboards')
    expect(statSync(dsDir).isDirectory() && statSync(dbDir).isDirectory()).to.equal(true)
    const providers = readdirSync(dbDir).flatMap(f => (yaml.load(readFileSync(join(dbDir, f), 'utf8')) as { providers: Array<{ options: { path: string } }> }).providers)
    expect(providers.length).to.be.greaterThan(0)
    for (const p of providers) {
      const host = mounts.get(p.options.path)
      expect(host, `provider path ${p.options.path} is a mount`).to.be.a('string')
      expect(existsSync(join(host!, 'volumer.json')), 'volumer.json in the provider folder').to.equal(true)
    }
    const home = services.grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH
    if (home !== undefined) expect(existsSync(join(mounts.get('/var/lib/grafana/dashboards')!, home.split('/').pop()!))).to.equal(true)
    const datasources = readdirSync(dsDir).flatMap(f => (yaml.load(readFileSync(join(dsDir, f), 'utf8')) as { datasources: Array<{ uid: string, url: string, type: string }> }).datasources)
    const prom = datasources.find(d => d.type === 'prometheus')
    expect(prom?.uid).to.equal('prometheus')
    const url = new URL(prom!.url)
    expect(services, 'datasource host').to.have.property(url.hostname)
    expect((services[url.hostname].command ?? []).join(' ')).to.contain(`--web.listen-address=0.0.0.0:${url.port}`)
    const promMounts = (services.prometheus.volumes ?? []).map(v => v.split(':'))
    const cfg = promMounts.find(([, dst]) => dst === '/etc/prometheus/prometheus.yml')
    expect(cfg !== undefined && existsSync(resolve(DIR, cfg[0]))).to.equal(true)
  })

  it('the Dockerfile copies paths that exist and runs bin/volumer.js', () => {
    const text = readFileSync(join(DIR, 'Dockerfile'), 'utf8')
    const copies = [...text.matchAll(/^COPY (?!--from)(.+)$/gm)].map(m => m[1].trim().split(/\s+/).slice(0, -1)).flat()
    expect(copies).to.include.members(['package.json', 'package-lock.json', 'src', 'bin', 'schemas', 'topology', 'src/edge/dashboard'])
    for (const c of copies) expect(existsSync(join(ROOT, c)), `COPY ${c}`).to.equal(true)
    expect(text).to.match(/^FROM node:20/m)
    expect(text).to.contain('npm ci')
    expect(text).to.contain('npm run build')
    expect(text).to.contain('ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/volumer.js"]')
  })

  it('docs/deployment.md documents every published host port', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'deployment.md'), 'utf8')
    for (const [name, s] of Object.entries(services)) {
      for (const host of containerPorts(s).keys()) expect(doc, `${name} port ${host}`).to.match(new RegExp(`\\b${host}\\b`))
    }
  })
})
