import { VolumerError } from '../errors.js'
import { createRegistryCore, RegistryError, type RegistryCore } from '../registry/registry-core.js'
import { createMemorySchemaStorage, type SchemaStorage } from '../registry/schema-record.js'
import type { SchemaRegistry } from './schema-registry.js'

/**
 * SchemaRegistry without a network hop: drives the same registry core the HTTP server does,
 * so ids, versions and compatibility behave identically in the embedded mode.
 */
export async function createInProcessSchemaRegistry (opts: { storage?: SchemaStorage, core?: RegistryCore } = {}): Promise<SchemaRegistry> {
  const core = opts.core ?? await createRegistryCore(opts.storage ?? createMemorySchemaStorage())
  return {
    async register (subject, schema) {
      try {
        return await core.register(subject, schema)
      } catch (err) {
        throw toVolumerError(err)
      }
    },
    async getById (id) {
      try {
        return core.getById(id)
      } catch (err) {
        throw toVolumerError(err)
      }
    },
    async close () {
      // a core passed in belongs to its owner (e.g. a registry server)
      if (opts.core === undefined) await core.close()
    },
  }
}

/** Maps a Confluent error (status + error_code) to Volumer's codes; the one place that does. */
export function registryErrorToVolumer (status: number, errorCode: number, message: string, cause?: unknown): VolumerError {
  if (errorCode === 40403 || errorCode === 40401 || errorCode === 40402) return new VolumerError('UNKNOWN_SCHEMA', message, { cause })
  if (errorCode === 42201 || errorCode === 422) return new VolumerError('BAD_SCHEMA', message, { cause })
  if (errorCode === 409 || status === 409) return new VolumerError('INCOMPATIBLE_SCHEMA', message, { cause })
  if (status >= 500 || status === 408 || status === 429) return new VolumerError('REGISTRY_UNAVAILABLE', message, { cause, retriable: true })
  return new VolumerError('BAD_SCHEMA', message, { cause })
}

function toVolumerError (err: unknown): unknown {
  if (err instanceof RegistryError) return registryErrorToVolumer(err.status, err.errorCode, err.message, err)
  return err
}
