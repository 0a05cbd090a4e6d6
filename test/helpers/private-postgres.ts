/**
 * A private Postgres cluster through scripts/postgres.sh (own port, own data dir in a temp
 * dir), for tests that stop and start the server: the shared one on 55432 serves other suites.
 */
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from './sample-data.js'

const run = promisify(execFile)

export interface PrivatePostgres {
  readonly url: string
  stop (): Promise<void>
  start (): Promise<void>
  /** stops the server and deletes its data */
  close (): Promise<void>
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export async function startPrivatePostgres (): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'volumer-proc-pg-'))
  chmodSync(dir, 0o755) // the server runs as user postgres and must reach its data dir
  const port = await freePort()
  const env = { ...process.env, VOLUMER_PG_PORT: String(port), VOLUMER_RUN_DIR: dir, VOLUMER_PG_DATA: join(dir, 'pg') }
  const script = async (cmd: string): Promise<void> => { await run('bash', [join(REPO_ROOT, 'scripts', 'postgres.sh'), cmd], { env }) }
  await script('start')
  await script('wait')
  return {
    url: `postgres://postgres@127.0.0.1:${port}/volumer`,
    stop: async () => { await script('stop') },
    start: async () => { await script('start'); await script('wait') },
    close: async () => {
      await script('reset').catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
