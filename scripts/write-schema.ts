// Writes schema/linewatch.schema.json from the TypeBox source (npm run schema).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { jsonSchema } from '../src/config/schema.js'
import { packageRoot } from '../src/core/version.js'

const file = join(packageRoot(), 'schema', 'linewatch.schema.json')
writeFileSync(file, `${JSON.stringify(jsonSchema(), null, 2)}\n`)
process.stdout.write(`wrote ${file}\n`)
