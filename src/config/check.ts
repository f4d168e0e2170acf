/**
 * The config's validator. `npm run build` compiles it once with Ajv's standalone code generator
 * (scripts/write-validator.ts → dist/src/config/check.generated.js): `ajv.compile` of this schema takes ~0.5 s
 * of CPU on x86 (several on a Pi) at every `linewatch run` and `validate`, and its compiler's structures stay.
 * The generated module says which schema it was made from (a SHA-256 of its JSON); one made from another
 * schema (a `tsc` without `npm run build`), or none at all (tap runs the sources), means compiling it here.
 * In the bundle the box runs, scripts/bundle.ts has made that check once, at build time: the box then loads
 * the generated module alone, and neither Ajv nor the config's TypeBox schema (~2 MB of heap together).
 */
import { createHash } from 'node:crypto'
import type { ValidateFunction } from 'ajv'
import type { Config } from './schema.js'

/** The options the validator is built with, here and at build time alike. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false } as const

export const schemaHash = (schema: unknown): string => createHash('sha256').update(JSON.stringify(schema)).digest('hex')

interface Generated {
  schemaHash: string
  validate: ValidateFunction<Config>
}

/** The generated validator at `url` if it was made from the schema with this hash; null otherwise (or if there is none). */
export async function generatedValidator(url: URL, hash: string): Promise<ValidateFunction<Config> | null> {
  try {
    const m = (await import(url.href)) as Generated
    return m.schemaHash === hash ? m.validate : null
  } catch {
    return null
  }
}

/** Replaced by `true` by scripts/bundle.ts (esbuild's define) after it checked the generated validator's hash. */
declare const LINEWATCH_VALIDATOR_CHECKED: boolean

async function configValidator(): Promise<ValidateFunction<Config>> {
  const url = new URL('./check.generated.js', import.meta.url)
  if (typeof LINEWATCH_VALIDATOR_CHECKED !== 'undefined' && LINEWATCH_VALIDATOR_CHECKED) {
    return ((await import(url.href)) as Generated).validate
  } else {
    const schema = (await import('./schema.js')).jsonSchema()
    return (await generatedValidator(url, schemaHash(schema))) ?? new (await import('ajv')).Ajv(AJV_OPTIONS).compile<Config>(schema)
  }
}

export const checkConfig: ValidateFunction<Config> = await configValidator()
