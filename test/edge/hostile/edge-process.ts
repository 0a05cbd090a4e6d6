import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

export interface EdgeProcess {
  readonly port: number
  readonly pid: number
  /** resident set size of the edge process, bytes (Linux /proc) */
  rss (): number
  stop (): Promise<void>
}

/** starts edge-child.ts in its own Node process and waits until it serves */
export async function startEdgeProcess (env: Record<string, string> = {}): Promise<EdgeProcess> {
  // EDGE_CHILD_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see what the edge spends time on
  const nodeArgs = (env.EDGE_CHILD_NODE_ARGS ?? process.env.EDGE_CHILD_NODE_ARGS ?? '').split(' ').filter(a => a.length > 0)
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(here, 'edge-child.ts')], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const ready = await new Promise<{ port: number, pid: number }>((resolve, reject) => {
    proc.once('exit', code => reject(new Error('edge child exited with ' + String(code))))
    createInterface({ input: proc.stdout! }).on('line', line => {
      const m = JSON.parse(line)
      if (m.type === 'ready') resolve(m)
    })
  })
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  return {
    port: ready.port,
    pid: ready.pid,
    rss () {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'))
      return m === null ? 0 : Number(m[1]) * 1024
    },
    async stop () {
      proc.stdin!.end()
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    }
  }
}

/** one GET /healthz on a fresh connection; resolves with its latency in ms (Infinity if no answer within timeoutMs) */
export async function healthzMs (port: number, timeoutMs = 5000): Promise<number> {
  const t0 = performance.now()
  return await new Promise<number>(resolve => {
    const s: Socket = connect(port, '127.0.0.1')
    let buf = ''
    const done = (v: number): void => { clearTimeout(timer); s.destroy(); resolve(v) }
    const timer = setTimeout(() => done(Infinity), timeoutMs)
    s.on('error', () => done(Infinity))
    s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'))
    s.on('data', d => { buf += d.toString('latin1'); if (buf.includes('"status":"ok"')) done(performance.now() - t0) })
  })
}

/** probes /healthz back to back (10 ms apart) until stop() is called; returns every latency */
export function probeHealthz (port: number): { stop: () => Promise<number[]> } {
  const samples: number[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      samples.push(await healthzMs(port))
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  })()
  return { stop: async () => { running = false; await loop; return samples } }
}

export function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}

export const MiB = 1024 * 1024
