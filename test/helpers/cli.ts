/**
 * Runs the CLI as a child process and collects its exit code and output: from source
 * (`node --import tsx src/cli/main.ts …`, the default) or as users run it (`bin/volumer.js`).
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { REPO_ROOT } from './sample-data.js'

const MAIN = resolve(REPO_ROOT, 'src/cli/main.ts')
export const BIN = resolve(REPO_ROOT, 'bin/volumer.js')

export interface CliResult { code: number | null, stdout: string, stderr: string }

export interface CliOptions {
  /** added to this process's environment */
  env?: Record<string, string>
  stdin?: string
  entry?: 'source' | 'bin'
}

export function spawnCli (args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const argv = opts.entry === 'bin' ? [BIN, ...args] : ['--import', 'tsx', MAIN, ...args]
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: opts.env === undefined ? process.env : { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
    child.stdin.on('error', () => { /* the CLI may exit before reading stdin (bad flags) */ })
    child.stdin.end(opts.stdin ?? '')
  })
}

/** The CLI from source, with `stdin` as its standard input. */
export function runCli (args: string[], stdin?: string): Promise<CliResult> {
  return spawnCli(args, { stdin })
}
