// Writes docs/asyncapi.yaml from the MQTT contract's TypeBox schemas (npm run schema).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { packageRoot } from '../src/core/version.js'
import { asyncApiDocument } from '../src/report/asyncapi.js'

export const ASYNCAPI_HEADER = '# Written by scripts/write-asyncapi.ts (npm run schema) from src/report/contract.ts; do not edit.\n'

const file = join(packageRoot(), 'docs', 'asyncapi.yaml')
writeFileSync(file, ASYNCAPI_HEADER + stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false }))
process.stdout.write(`wrote ${file}\n`)
