import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { VolumerError } from './errors.js'

/**
 * Starts `server` listening and resolves with the bound port. A port that cannot be taken
 * (EADDRINUSE, EACCES) rejects with BAD_CONFIG naming host and port: the 'error' event used to
 * reach the CLI as a bare Error and crash it with a stack.
 */
export async function listenHttp (server: Server, port: number, host: string): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => { server.off('error', reject); resolve() })
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new VolumerError('BAD_CONFIG', `cannot listen on ${host}:${port} (${code})`, { cause: err })
  }
  return (server.address() as AddressInfo).port
}
