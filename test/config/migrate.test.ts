/** The config migration mechanism, with migrations of the test's own (a rename and a moved key): src/config/migrate*.ts. */
import { spawn } from 'node:child_process'
import { chmod, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse, parseDocument } from 'yaml'
import { fileMigrationNote, migrateConfigFile, migrationNote, textVersion } from '../../src/config/migrate-file.js'
import { CONFIG_VERSION, migrateDocument, moveKey, renameKey, type Migration } from '../../src/config/migrate.js'
import { validateConfigText } from '../../src/config/validate.js'
import { VERSION } from '../../src/core/version.js'
import { migrateAfterConfirm } from '../../src/update/confirm-cli.js'
import { config as configCli } from '../../src/cli/config.js'
import { tempDir } from '../helpers/tmp.js'

const OLD = `# header: the installer's notes
# second line of the header

site: shop1 # the store
box: closet
board: sim

# the site's clock
timezone: Europe/Moscow

alerts:
  # who reads the SMS
  language: ru
  contacts: []
`

// 1 -> 2 renames a key, 2 -> 3 moves one into a new section
const MIGRATIONS: Migration[] = [
  { to: 2, what: 'alerts.language renamed alerts.lang', apply: (d) => renameKey(d, ['alerts', 'language'], 'lang') },
  { to: 3, what: 'timezone moved into clock', apply: (d) => moveKey(d, ['timezone'], ['clock']) },
]
const opts = { current: 3, migrations: MIGRATIONS, check: () => [] }

t.test('a file in the current format is left alone, byte for byte', async (t) => {
  const doc = parseDocument(OLD)
  t.same(migrateDocument(doc, { current: 1, migrations: [] }), { from: 1, to: 1, steps: [] })
  t.equal(doc.toString(), OLD)
  t.equal(textVersion(OLD), 1, 'absent means 1')
  t.equal(textVersion(`configVersion: 2\n${OLD}`), 2)
})

t.test('a rename and a moved key: the data moved, the comments kept, the version set at the top', async (t) => {
  const doc = parseDocument(OLD)
  const r = migrateDocument(doc, { current: 3, migrations: MIGRATIONS })
  t.same(r, { from: 1, to: 3, steps: ['1 -> 2: alerts.language renamed alerts.lang', '2 -> 3: timezone moved into clock'] })
  const text = doc.toString()
  const data = parse(text) as Record<string, unknown>
  t.same(data, { configVersion: 3, site: 'shop1', box: 'closet', board: 'sim', alerts: { lang: 'ru', contacts: [] }, clock: { timezone: 'Europe/Moscow' } })
  t.equal(Object.keys(data)[0], 'configVersion')
  for (const comment of ['# header: the installer\'s notes', '# second line of the header', '# the store', '# the site\'s clock', '# who reads the SMS']) t.match(text, comment)
  t.ok(text.startsWith("# header: the installer's notes\n# second line of the header\n\n# The format of this file"), 'the header stays the first thing in the file, the version below it')
  t.match(text, /^configVersion: 3\n\nsite: shop1 # the store$/m)
  t.ok(text.indexOf('# the site\'s clock') > text.indexOf('clock:'), 'the moved key took its comment along')
})

t.test('a file at an intermediate version takes only the steps after it', async (t) => {
  const doc = parseDocument(`configVersion: 2 # kept comment\n${OLD.replace('language', 'lang')}`)
  const r = migrateDocument(doc, { current: 3, migrations: MIGRATIONS })
  t.same(r, { from: 2, to: 3, steps: ['2 -> 3: timezone moved into clock'] })
  t.match(doc.toString(), /^configVersion: 3 # kept comment$/m)
})

t.test('a newer file is refused, naming both versions', async (t) => {
  const r = migrateDocument(parseDocument(`configVersion: 4\n${OLD}`), { current: 3, migrations: MIGRATIONS })
  t.match(r, { problem: `this file is configVersion 4, written for a newer linewatch; linewatch ${VERSION} reads configVersion 3 at most` })
  // and through the real validation, with its path and line
  const v = validateConfigText(`site: a\nbox: b\nboard: sim\nconfigVersion: ${CONFIG_VERSION + 1}\n`)
  t.equal(v.config, null)
  t.match(v.problems, [{ path: 'configVersion', line: 4, message: `configVersion ${CONFIG_VERSION + 1}, written for a newer linewatch; linewatch ${VERSION} reads configVersion ${CONFIG_VERSION} at most` }])
  t.equal(v.problems.length, 1)
})

t.test('garbage versions are refused with a clear message', async (t) => {
  for (const bad of ['two', '0', '-1', '1.5', '"1"', 'true', '', '[1]', '{a: 1}']) {
    const v = validateConfigText(`site: a\nbox: b\nboard: sim\nconfigVersion: ${bad}\n`)
    t.equal(v.problems.length, 1, bad)
    t.match(v.problems[0], { path: 'configVersion', line: 4, message: /^must be a whole number from 1 \(the file's format; this linewatch reads up to \d+\), not / }, bad)
  }
  t.same(validateConfigText(`site: a\nbox: b\nboard: sim\nconfigVersion: ${CONFIG_VERSION}\n`).problems, [])
})

t.test("run's and validate's line for an older file, and none for a current one", async (t) => {
  t.equal(migrationNote('/etc/linewatch/linewatch.yaml', OLD, 3), '/etc/linewatch/linewatch.yaml is configVersion 1: read migrated to 3 in memory; the file is rewritten once an update is confirmed, or by linewatch config migrate --config /etc/linewatch/linewatch.yaml')
  t.equal(migrationNote('f.yaml', `configVersion: 3\n${OLD}`, 3), null)
  t.equal(migrationNote('f.yaml', OLD, 1), null)
  // the same read from the file, as run and validate ask it
  const file = join(tempDir(t), 'linewatch.yaml')
  await writeFile(file, OLD)
  t.equal(await fileMigrationNote(file, 3), migrationNote(file, OLD, 3))
  t.equal(await fileMigrationNote(file, 1), null)
})

t.test('a migration missing from the list is a loud error, not a silent skip', async (t) => {
  t.throws(() => migrateDocument(parseDocument(OLD), { current: 3, migrations: [MIGRATIONS[1]!] }), /no config migration from configVersion 1 to 2/)
})

t.test('the file is rewritten, the old one kept beside it with its mode', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, OLD)
  await chmod(file, 0o640)
  const edited = new Date('2026-03-01T10:00:00Z')
  await utimes(file, edited, edited)
  const r = await migrateConfigFile(file, opts)
  t.same(r, { outcome: 'migrated', from: 1, to: 3, steps: ['1 -> 2: alerts.language renamed alerts.lang', '2 -> 3: timezone moved into clock'], backup: `${file}.v1` })
  t.equal(await readFile(`${file}.v1`, 'utf8'), OLD)
  const now = await readFile(file, 'utf8')
  t.match(now, /^configVersion: 3$/m)
  t.match(now, '# who reads the SMS\n  lang: ru')
  t.equal((await stat(file)).mode & 0o777, 0o640)
  t.equal((await stat(`${file}.v1`)).mode & 0o777, 0o640)
  t.equal((await stat(file)).mtimeMs, edited.getTime(), "the installer's edit time kept: an office copy newer than it still counts")
  t.same((await readdir(dir)).sort(), ['linewatch.yaml', 'linewatch.yaml.v1'], 'no temp file left')
  t.same(await migrateConfigFile(file, opts), { outcome: 'current', version: 3 }, 'a second run has nothing to do')
})

t.test('a migrated file that would not validate is not written', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, OLD)
  const r = await migrateConfigFile(file, { ...opts, check: () => ['clock: unknown key "clock" (line 9)'] })
  t.match(r, { outcome: 'refused', problems: [/would not be valid; left as it is/, 'clock: unknown key "clock" (line 9)'] })
  t.equal(await readFile(file, 'utf8'), OLD)
  t.same(await readdir(dir), ['linewatch.yaml'])
  t.match(await migrateConfigFile(join(dir, 'none.yaml'), opts), { outcome: 'refused', problems: [/cannot read: .*ENOENT/] })
  await writeFile(file, 'configVersion: 9\nsite: a\n')
  t.match(await migrateConfigFile(file, opts), { outcome: 'refused', problems: [/configVersion: this file is configVersion 9/] })
})

const here = fileURLToPath(new URL('.', import.meta.url))
const tsLoader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'))

/** The child migrating `file`, SIGKILLed once it reached `at`: a power cut at that point. */
function cutAt(file: string, at: 'backup' | 'temp'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsLoader, join(here, 'migrate-child.ts'), file, at], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes(`${at}\n`)) child.kill('SIGKILL')
    })
    child.once('error', reject)
    child.once('exit', () => resolve(out))
  })
}

t.test('killed mid-migration (after the backup, after the temp file): the file is the old one, whole, and a rerun finishes', { skip: tsLoader.length ? false : 'runs under tap only' }, async (t) => {
  for (const at of ['backup', 'temp'] as const) {
    const dir = tempDir(t)
    const file = join(dir, 'linewatch.yaml')
    await writeFile(file, OLD)
    t.equal(await cutAt(file, at), `${at}\n`, `the child stopped at ${at}, not done`)
    t.equal(await readFile(file, 'utf8'), OLD, `${at}: the old file, untouched`)
    t.equal(textVersion(await readFile(file, 'utf8')), 1)
    const r = await migrateConfigFile(file, { current: 2, migrations: [MIGRATIONS[0]!], check: () => [] })
    t.match(r, { outcome: 'migrated', from: 1, to: 2 }, `${at}: a second try migrates`)
    t.match(await readFile(file, 'utf8'), 'lang: ru')
    t.equal(await readFile(`${file}.v1`, 'utf8'), OLD)
    t.same((await readdir(dir)).sort(), ['linewatch.yaml', 'linewatch.yaml.v1'], 'the leftover temp file is gone')
  }
})

t.test('at a confirmed update: the file migrated and said so, or left as it is and said why', async (t) => {
  const lines: string[] = []
  const say = (s: string) => void lines.push(s)
  await migrateAfterConfirm('/etc/linewatch/linewatch.yaml', async () => ({ outcome: 'migrated', from: 1, to: 2, steps: [], backup: '/etc/linewatch/linewatch.yaml.v1' }), say)
  await migrateAfterConfirm('/etc/linewatch/linewatch.yaml', async () => ({ outcome: 'current', version: 2 }), say)
  await migrateAfterConfirm('/etc/linewatch/linewatch.yaml', async () => {
    throw new Error('EROFS')
  }, say)
  t.same(lines, [
    '/etc/linewatch/linewatch.yaml: migrated from configVersion 1 to 2; the old file is kept as /etc/linewatch/linewatch.yaml.v1\n',
    '/etc/linewatch/linewatch.yaml: not migrated (the box reads it migrated in memory): EROFS\n',
  ])
})

t.test('linewatch config migrate: nothing to do on a current file, 1 on a refused one, 2 on bad usage', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, OLD)
  const out: string[] = []
  const to = { write: (s: string) => out.push(s) }
  t.equal(await configCli(['migrate', '--config', file], to, to), 0)
  await writeFile(file, `configVersion: ${CONFIG_VERSION + 1}\n`)
  t.equal(await configCli(['migrate', '--config', file], to, to), 1)
  t.equal(await configCli(['migrate', '--config', join(dir, 'none.yaml')], to, to), 1)
  t.equal(await configCli([], to, to), 2)
  t.match(out[0], `${file}: configVersion ${CONFIG_VERSION}, the current format: nothing to do`)
  t.match(out[1], `${file}: configVersion: this file is configVersion ${CONFIG_VERSION + 1}, written for a newer linewatch`)
  t.match(out[2], `${join(dir, 'none.yaml')}: cannot read: `)
  t.match(out[3], 'usage: linewatch config migrate [--config FILE]')
  t.equal(out.length, 4)
})
