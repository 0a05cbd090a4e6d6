/**
 * A small JSON Schema (2020-12 subset) validator for the OpenAPI test: type (incl. lists),
 * enum, required, properties, additionalProperties (bool or schema), items, oneOf, $ref into
 * the document, minimum, maximum, pattern, minLength, maxLength, maxItems. Returns the list of problems (empty = valid).
 * Unknown keywords fail loudly so the document cannot drift into what this checker ignores.
 */
const KNOWN = new Set(['type', 'enum', 'required', 'properties', 'additionalProperties', 'items', 'oneOf', '$ref',
  'minimum', 'maximum', 'pattern', 'minLength', 'maxLength', 'maxItems', 'description', 'default', 'examples'])

function typeOf (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

export function validate (doc: any, schema: any, value: unknown, path = '$'): string[] {
  const errs: string[] = []
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) errs.push(`${path}: schema keyword ${k} not supported by the checker`)
  if (schema.$ref !== undefined) {
    const target = (schema.$ref as string).replace(/^#\//, '').split('/').reduce((o: any, k: string) => o?.[k], doc)
    if (target === undefined) return [`${path}: unresolved ${String(schema.$ref)}`]
    return validate(doc, target, value, path)
  }
  if (schema.oneOf !== undefined) {
    const ok = (schema.oneOf as any[]).filter(s => validate(doc, s, value, path).length === 0).length
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf`)
    return errs
  }
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type]
    const t = typeOf(value)
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: expected ${types.join('|')}, got ${t}`]
  }
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) errs.push(`${path}: ${JSON.stringify(value)} not in enum`)
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${path}: below minimum`)
    if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${path}: above maximum`)
  }
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern as string, 'u').test(value)) errs.push(`${path}: ${JSON.stringify(value)} does not match ${String(schema.pattern)}`)
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errs.push(`${path}: shorter than ${String(schema.minLength)}`)
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errs.push(`${path}: longer than ${String(schema.maxLength)}`)
  }
  if (Array.isArray(value) && schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(`${path}: more than ${String(schema.maxItems)} items`)
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((v, i) => errs.push(...validate(doc, schema.items, v, `${path}[${i}]`)))
  if (typeOf(value) === 'object') {
    const o = value as Record<string, unknown>
    for (const r of (schema.required ?? []) as string[]) if (!(r in o)) errs.push(`${path}: missing ${r}`)
    const props = (schema.properties ?? {}) as Record<string, unknown>
    for (const [k, v] of Object.entries(o)) {
      if (k in props) errs.push(...validate(doc, props[k], v, `${path}.${k}`))
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`)
      else if (typeof schema.additionalProperties === 'object') errs.push(...validate(doc, schema.additionalProperties, v, `${path}.${k}`))
    }
  }
  return errs
}
