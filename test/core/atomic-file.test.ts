/**
 * writeFileAtomic (src/core/atomic-file.ts): the mode exactly as asked whatever the umask, the times kept
 * when asked, and a failure before the rename leaves the old file whole and no temporary file.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { writeFileAtomic } from '../../src/core/atomic-file.js'
import { tempDir } from '../helpers/tmp.js'

t.test('the mode is the one asked for, not narrowed by the umask; a number is the mode', async (t) => {
  const dir = tempDir(t)
  const old = process.umask(0o077)
  try {
    await writeFileAtomic(join(dir, 'hostname'), 'shop1\n', { mode: 0o644 })
    await writeFileAtomic(join(dir, 'secret'), 'x', 0o600)
  } finally {
    process.umask(old)
  }
  t.equal(statSync(join(dir, 'hostname')).mode & 0o777, 0o644)
  t.equal(statSync(join(dir, 'secret')).mode & 0o777, 0o600)
  t.same(readdirSync(dir).sort(), ['hostname', 'secret'], 'no temporary file left')
})

t.test('times kept when asked', async (t) => {
  const dir = tempDir(t)
  const mtime = new Date('2026-01-02T03:04:05Z')
  await writeFileAtomic(join(dir, 'a.yaml'), 'site: a\n', { times: { atime: mtime, mtime } })
  t.equal(statSync(join(dir, 'a.yaml')).mtimeMs, mtime.getTime())
})

t.test('a failure after the temporary file is written leaves the old file whole and removes the temporary one', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'state.json')
  writeFileSync(file, 'old')
  await t.rejects(writeFileAtomic(file, 'new', { tmp: `${file}.tmp-test`, afterTemp: () => Promise.reject(new Error('cut')) }), /cut/)
  t.equal(readFileSync(file, 'utf8'), 'old')
  t.same(readdirSync(dir), ['state.json'])
  // a leftover of a killed run under the fixed name is cleared by the next write
  writeFileSync(`${file}.tmp-test`, 'half')
  await writeFileAtomic(file, 'new', { tmp: `${file}.tmp-test` })
  t.equal(readFileSync(file, 'utf8'), 'new')
  t.same(readdirSync(dir), ['state.json'])
})
