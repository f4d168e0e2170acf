/**
 * The config's validator. `npm run build` compiles it once with Ajv's standalone code generator
 * (scripts/write-validator.ts → dist/src/config/check.generated.js): `ajv.compile` of this schema takes ~0.5 s
 * of CPU on x86 (several on a Pi) at every `linewatch run` and `validate`, and its compiler's structures stay.
 * The generated module says which schema it was made from (a SHA-256 of its JSON); one made from another
 * schema (a `tsc` without `npm run build`), or none at all (tap runs the sources), means compiling it here.
 */
import { createHash } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import { jsonSchema, type Config } from './schema.js'

/** The options the validator is built with, here and at build time alike. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false } as const

export const schemaHash = (schema: unknown): string => createHash('sha256').update(JSON.stringify(schema)).digest('hex')

/** The generated validator at `url` if it was made from the schema with this hash; null otherwise (or if there is none). */
export async function generatedValidator(url: URL, hash: string): Promise<ValidateFunction<Config> | null> {
  try {
    const m = (await import(url.href)) as { schemaHash: string; validate: ValidateFunction<Config> }
    return m.schemaHash === hash ? m.validate : null
  } catch {
    return null
  }
}

const schema = jsonSchema()
export const checkConfig: ValidateFunction<Config> =
  (await generatedValidator(new URL('./check.generated.js', import.meta.url), schemaHash(schema))) ?? new Ajv(AJV_OPTIONS).compile<Config>(schema)
