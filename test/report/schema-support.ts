/**
 * The published JSON Schemas (schemas/*.schema.json, draft 2020-12) loaded into Ajv, strict, so a
 * schema that says something Ajv would silently ignore (an unknown keyword, a misplaced one) fails
 * here too. `validate(name, doc)` gives Ajv's errors as lines naming the path, for test messages.
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'

export const SCHEMA_DIR = path.resolve(import.meta.dirname, '../../schemas')

export const schemaFiles = (): ReadonlyArray<string> => readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort()

export const readSchema = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>

/** One Ajv holding every schema (they refer to each other by file name, as their $id says). */
export const schemaAjv = (): InstanceType<typeof Ajv2020.default> => {
  // allowUnionTypes: "type": ["number", "null"] is how the schemas say "null when unbounded";
  // strictRequired off: if/then names properties defined beside it, not inside it.
  const ajv = new Ajv2020.default({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true })
  for (const f of schemaFiles()) ajv.addSchema(readSchema(f))
  return ajv
}

let shared: ReturnType<typeof schemaAjv> | undefined

/** Ajv's errors for `doc` against schemas/<name> (empty: valid), one line each. */
export const schemaErrors = (name: string, doc: unknown): ReadonlyArray<string> => {
  shared ??= schemaAjv()
  const validate = shared.getSchema(name)
  if (validate === undefined) throw new Error(`no schema ${name}`)
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
}
