/**
 * What the registry persists: an append-only list of records, replayed in order at start.
 * The shapes mirror Confluent's `_schemas` topic so the log-backed storage can use the same
 * key/value layout:
 *
 *   schema  key {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}
 *           value {"subject":s,"version":v,"id":n,"schema":"<avro json>","deleted":false}
 *   config  key {"keytype":"CONFIG","subject":s|null,"magic":0}
 *           value {"compatibilityLevel":"BACKWARD"}
 *
 * A later record with the same key supersedes an earlier one (that is what compaction keeps).
 */
export interface SchemaVersionRecord {
  kind: 'schema'
  subject: string
  version: number
  id: number
  /** the schema text exactly as first registered */
  schema: string
  deleted: boolean
}

export interface ConfigRecord {
  kind: 'config'
  /** null: the global default */
  subject: string | null
  compatibility: CompatibilityLevel
}

export type SchemaRecord = SchemaVersionRecord | ConfigRecord

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

export function isCompatibilityLevel (v: unknown): v is CompatibilityLevel {
  return typeof v === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(v)
}

/**
 * Storage port of the registry: the registry core owns this interface. Implementations only
 * append and replay; the core keeps every index in memory (a registry holds hundreds of
 * schemas, not millions). One registry process writes a given storage at a time.
 */
export interface SchemaStorage {
  /** Every record appended so far, oldest first. Called once, at open. */
  load(): Promise<SchemaRecord[]>
  /** Durably appends one record; resolves once it would be returned by a later load(). */
  append(record: SchemaRecord): Promise<void>
  close(): Promise<void>
}

/** The in-memory storage: a real implementation for the embedded mode and tests. */
export function createMemorySchemaStorage (initial: SchemaRecord[] = []): SchemaStorage & { records(): readonly SchemaRecord[] } {
  const records: SchemaRecord[] = initial.map(r => ({ ...r }))
  return {
    async load () { return records.map(r => ({ ...r })) },
    async append (record) { records.push({ ...record }) },
    async close () {},
    records () { return records },
  }
}
