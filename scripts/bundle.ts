/**
 * Part of `npm run build`: what bin/linewatch.js runs, the compiled firmware bundled into a few files
 * (dist/bundle/) with esbuild. The box's heap held every module's source text and record (~1,500 modules,
 * TypeBox's ESM build alone ~700): bundled, the idle box is 8 MB smaller on Node 20 and 15 MB on Node 22
 * (docs/performance.md). Each subcommand's dynamic import stays a chunk of its own (splitting), so
 * `linewatch route` still loads none of the firmware. Identifiers are not mangled: stack traces stay readable.
 * Native and lazily required packages stay outside (require()d from node_modules at run time).
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { schemaHash } from '../src/config/check.js'
import { jsonSchema } from '../src/config/schema.js'

const dist = new URL('../', import.meta.url).pathname // dist/scripts/ → dist/
const out = `${dist}bundle`
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
// the validator npm run build generated must be the schema's: checked here once, so the box need not build the
// schema and hash it at every start (src/config/check.ts, LINEWATCH_VALIDATOR_CHECKED below)
const generated = (await import(`${dist}src/config/check.generated.js`)) as { schemaHash: string }
if (generated.schemaHash !== schemaHash(jsonSchema())) throw new Error('dist/src/config/check.generated.js was made from another schema: run npm run build')
const result = await build({
  // side by side: the deck's worker is started by its file name, next to the chunk that starts it
  entryPoints: { main: `${dist}src/main.js`, 'deck-worker': `${dist}src/lcr/deck-worker.js` },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true, // which inputs each file holds: test/integration/lazy-load.test.ts reads it
  logLevel: 'warning',
  define: { LINEWATCH_VALIDATOR_CHECKED: 'true' },
  // native addons, and the packages the box require()s only when a config asks for them
  external: ['better-sqlite3', 'node-libgpiod', '@serialport/bindings-cpp', 'johnny-five', 'firmata-io', 'modbus-serial'],
  // the CommonJS packages inside an ES module bundle still call require() for Node's own modules
  banner: { js: "import { createRequire as __linewatchRequire } from 'node:module'; const require = __linewatchRequire(import.meta.url);" },
})
// loaded by its URL next to the code that asks for it (src/config/check.ts)
copyFileSync(`${dist}src/config/check.generated.js`, `${out}/check.generated.js`)
writeFileSync(`${out}/meta.json`, JSON.stringify(result.metafile))
