import type avro from 'avsc'
import { parseAvroSchema, isCompatible } from './avro-schema.js'
import type { CompatibilityLevel, SchemaRecord, SchemaStorage, SchemaVersionRecord } from './schema-record.js'
import { isCompatibilityLevel } from './schema-record.js'

/**
 * An error in Confluent's REST form: HTTP status plus a numeric `error_code`
 * (40401 subject not found, 40402 version not found, 40403 schema not found,
 * 42201 invalid schema, 42202 invalid version, 42203 invalid compatibility level,
 * 409 incompatible schema, 40408 no subject-level config).
 */
export class RegistryError extends Error {
  readonly status: number
  readonly errorCode: number
  constructor (status: number, errorCode: number, message: string) {
    super(message)
    this.name = 'RegistryError'
    this.status = status
    this.errorCode = errorCode
  }
}

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD'

export interface SubjectVersion {
  subject: string
  version: number
  id: number
  schema: string
}

interface SchemaEntry {
  id: number
  schema: string
  canonical: string
  type: avro.Type
}

/**
 * The registry's state machine, independent of HTTP: the server and the in-process
 * `SchemaRegistry` client both drive it. Indexes are rebuilt from the storage's records at
 * open; each mutation appends one record and then updates the indexes, serialised so ids and
 * versions stay dense.
 */
export interface RegistryCore {
  register (subject: string, schema: string): Promise<number>
  lookup (subject: string, schema: string): SubjectVersion
  getById (id: number): string
  subjects (): string[]
  versions (subject: string): number[]
  getVersion (subject: string, version: number | 'latest'): SubjectVersion
  getCompatibility (subject: string | null, defaultToGlobal: boolean): CompatibilityLevel
  setCompatibility (subject: string | null, level: string): Promise<CompatibilityLevel>
  close (): Promise<void>
}

export async function createRegistryCore (storage: SchemaStorage): Promise<RegistryCore> {
  const byId = new Map<number, SchemaEntry>()
  const byCanonical = new Map<string, SchemaEntry>()
  // subject -> versions (index = version - 1; deleted versions kept as holes so numbers never repeat)
  const subjects = new Map<string, Array<SchemaVersionRecord | undefined>>()
  const configs = new Map<string | null, CompatibilityLevel>()
  let nextId = 1
  let queue: Promise<unknown> = Promise.resolve()

  function apply (rec: SchemaRecord): void {
    if (rec.kind === 'config') {
      configs.set(rec.subject, rec.compatibility)
      return
    }
    if (!byId.has(rec.id)) {
      const parsed = parseAvroSchema(rec.schema)
      const entry: SchemaEntry = { id: rec.id, schema: rec.schema, canonical: parsed.canonical, type: parsed.type }
      byId.set(rec.id, entry)
      if (!byCanonical.has(parsed.canonical)) byCanonical.set(parsed.canonical, entry)
    }
    if (rec.id >= nextId) nextId = rec.id + 1
    let list = subjects.get(rec.subject)
    if (list === undefined) { list = []; subjects.set(rec.subject, list) }
    list[rec.version - 1] = rec.deleted ? undefined : rec
  }

  for (const rec of await storage.load()) apply(rec)

  // one mutation at a time: ids and versions are assigned from the indexes at append time
  function serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn)
    queue = run.catch(() => {})
    return run
  }

  function parse (schema: string): ReturnType<typeof parseAvroSchema> {
    try {
      return parseAvroSchema(schema)
    } catch (err) {
      throw new RegistryError(422, 42201, 'Invalid schema: ' + (err as Error).message)
    }
  }

  function live (subject: string): SchemaVersionRecord[] {
    const list = subjects.get(subject)
    if (list === undefined) return []
    return list.filter((r): r is SchemaVersionRecord => r !== undefined)
  }

  function liveOrThrow (subject: string): SchemaVersionRecord[] {
    const l = live(subject)
    if (l.length === 0) throw new RegistryError(404, 40401, `Subject '${subject}' not found.`)
    return l
  }

  function effectiveLevel (subject: string): CompatibilityLevel {
    return configs.get(subject) ?? configs.get(null) ?? DEFAULT_COMPATIBILITY
  }

  return {
    register (subject, schema) {
      return serial(async () => {
        const parsed = parse(schema)
        const existing = live(subject)
        for (const r of existing) {
          if (byId.get(r.id)?.canonical === parsed.canonical) return r.id
        }
        const level = effectiveLevel(subject)
        if (!isCompatible(level, parsed.type, existing.map(r => byId.get(r.id)!.type))) {
          throw new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject '${subject}' (compatibility ${level})`)
        }
        const known = byCanonical.get(parsed.canonical)
        const id = known?.id ?? nextId
        const version = (subjects.get(subject)?.length ?? 0) + 1
        const rec: SchemaVersionRecord = { kind: 'schema', subject, version, id, schema: known?.schema ?? schema, deleted: false }
        await storage.append(rec)
        apply(rec)
        return id
      })
    },

    lookup (subject, schema) {
      const parsed = parse(schema)
      for (const r of liveOrThrow(subject)) {
        if (byId.get(r.id)?.canonical === parsed.canonical) return { subject, version: r.version, id: r.id, schema: r.schema }
      }
      throw new RegistryError(404, 40403, 'Schema not found')
    },

    getById (id) {
      const e = byId.get(id)
      if (e === undefined) throw new RegistryError(404, 40403, 'Schema ' + id + ' not found')
      return e.schema
    },

    subjects () {
      return [...subjects.keys()].filter(s => live(s).length > 0).sort()
    },

    versions (subject) {
      return liveOrThrow(subject).map(r => r.version)
    },

    getVersion (subject, version) {
      const l = liveOrThrow(subject)
      const r = version === 'latest' ? l[l.length - 1] : l.find(x => x.version === version)
      if (r === undefined) throw new RegistryError(404, 40402, `Version ${version} not found.`)
      return { subject, version: r.version, id: r.id, schema: r.schema }
    },

    getCompatibility (subject, defaultToGlobal) {
      if (subject === null) return configs.get(null) ?? DEFAULT_COMPATIBILITY
      const own = configs.get(subject)
      if (own !== undefined) return own
      if (defaultToGlobal) return configs.get(null) ?? DEFAULT_COMPATIBILITY
      throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`)
    },

    setCompatibility (subject, level) {
      return serial(async () => {
        level = level.toUpperCase()
        if (!isCompatibilityLevel(level)) {
          throw new RegistryError(422, 42203, 'Invalid compatibility level. Valid values are none, backward, forward, full, and their transitive forms')
        }
        const rec: SchemaRecord = { kind: 'config', subject, compatibility: level }
        await storage.append(rec)
        apply(rec)
        return level
      })
    },

    close () {
      return storage.close()
    },
  }
}
