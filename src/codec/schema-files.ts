import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The Avro schemas in schemas/ at the repository root (src/codec -> ../../schemas; the same
 * relative path holds from dist/codec after a build).
 */
export const SCHEMA_NAMES = ['swap', 'stats', 'state-changelog', 'token'] as const
export type SchemaName = (typeof SCHEMA_NAMES)[number]

const dir = fileURLToPath(new URL('../../schemas/', import.meta.url))
const cache = new Map<SchemaName, string>()

/** The schema text of schemas/<name>.avsc, read once. */
export function loadSchemaText (name: SchemaName): string {
  let text = cache.get(name)
  if (text === undefined) {
    text = readFileSync(dir + name + '.avsc', 'utf8')
    cache.set(name, text)
  }
  return text
}

/** Confluent TopicNameStrategy: the value schema of topic `t` is registered under `t-value`. */
export function valueSubject (topic: string): string {
  return topic + '-value'
}
