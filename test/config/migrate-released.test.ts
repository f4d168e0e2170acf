/**
 * Every released version's example config (test/fixtures/config-released/<version>.yaml, as shipped) migrates to
 * the current configVersion and validates: a schema change that would refuse an installed box's file fails here
 * until it raises CONFIG_VERSION with a migration in src/config/migrate.ts.
 */
import { readdir, readFile } from 'node:fs/promises'
import t from 'tap'
import { parseDocument } from 'yaml'
import { CONFIG_VERSION, MIGRATIONS, migrateDocument } from '../../src/config/migrate.js'
import { validateConfigText, formatProblem } from '../../src/config/validate.js'
import { VERSION } from '../../src/core/version.js'

const dir = new URL('../fixtures/config-released/', import.meta.url)
const released = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()

t.test('this version has its example among the released ones (add it when you release)', async (t) => {
  t.ok(released.includes(`${VERSION}.yaml`), `test/fixtures/config-released/${VERSION}.yaml`)
})

t.test('the migrations are one step each, in order, up to the current version', async (t) => {
  t.same(MIGRATIONS.map((m) => m.to), Array.from({ length: CONFIG_VERSION - 1 }, (_, i) => i + 2))
})

for (const name of released) {
  t.test(`${name}: read migrated, and written migrated, it validates at configVersion ${CONFIG_VERSION}`, async (t) => {
    const text = await readFile(new URL(name, dir), 'utf8')
    const read = validateConfigText(text)
    t.same(read.problems.map(formatProblem), [])
    t.equal(read.config?.configVersion, CONFIG_VERSION)
    const doc = parseDocument(text)
    t.match(migrateDocument(doc), { to: CONFIG_VERSION })
    const written = validateConfigText(doc.toString())
    t.same(written.problems.map(formatProblem), [])
    t.same(written.config, read.config, 'the file as rewritten means what the file read in memory meant')
  })
}

t.test('the example is in the current format', async (t) => {
  const text = await readFile(new URL('../../examples/linewatch.yaml', import.meta.url), 'utf8')
  t.match(text, new RegExp(`^configVersion: ${CONFIG_VERSION}$`, 'm'))
})
