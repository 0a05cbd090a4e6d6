/**
 * The schema registry as the codec uses it: register a schema under a subject, fetch a writer
 * schema by id. Two implementations: `createHttpSchemaRegistry` (Confluent REST: Redpanda's
 * built-in registry, Confluent's, or ours from src/registry) and `createInProcessSchemaRegistry`
 * (the same registry core, no HTTP; the embedded mode runs it).
 *
 * Errors are VolumerErrors: UNKNOWN_SCHEMA (no such id), BAD_SCHEMA (not valid Avro),
 * INCOMPATIBLE_SCHEMA (rejected by the subject's compatibility level),
 * REGISTRY_UNAVAILABLE (retriable: network, timeout, 5xx).
 */
export interface SchemaRegistry {
  /** Registers (or finds) `schema` under `subject`; returns its global id. Idempotent. */
  register (subject: string, schema: string): Promise<number>
  /** The schema text with this id. */
  getById (id: number): Promise<string>
  close (): Promise<void>
}
