import avro from 'avsc'
import type { CompatibilityLevel } from './schema-record.js'

/**
 * Avro schema handling for the registry: parse (reject what is not Avro), a canonical text for
 * identity, and compatibility checks. Compatibility uses avsc's schema resolution: a reader
 * type can read a writer's data exactly when `reader.createResolver(writer)` succeeds, which is
 * the Avro specification's resolution rule that Confluent's checks also implement.
 */
export interface ParsedSchema {
  type: avro.Type
  /** JSON with object keys sorted and no whitespace: two texts of one schema compare equal */
  canonical: string
}

export function parseAvroSchema (text: string): ParsedSchema {
  const json = JSON.parse(text) as unknown
  // logical types are kept as their underlying type (avsc ignores unknown ones) - the registry
  // only needs the shape for resolution; the canonical text still carries logicalType.
  const type = avro.Type.forSchema(json as avro.Schema, { wrapUnions: 'auto' })
  return { type, canonical: canonicalJson(json) }
}

function canonicalJson (v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']'
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return '{' + Object.keys(o).sort().map(k => JSON.stringify(k) + ':' + canonicalJson(o[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

function canRead (reader: avro.Type, writer: avro.Type): boolean {
  try {
    reader.createResolver(writer)
    return true
  } catch {
    return false
  }
}

/**
 * Whether `candidate` may be registered after `existing` (oldest first) under `level`.
 * Non-transitive levels compare with the latest version only, as Confluent does.
 */
export function isCompatible (level: CompatibilityLevel, candidate: avro.Type, existing: avro.Type[]): boolean {
  if (level === 'NONE' || existing.length === 0) return true
  const transitive = level.endsWith('_TRANSITIVE')
  const against = transitive ? existing : existing.slice(-1)
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL')
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL')
  for (const old of against) {
    if (backward && !canRead(candidate, old)) return false
    if (forward && !canRead(old, candidate)) return false
  }
  return true
}
