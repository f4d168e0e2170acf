import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { resolveStateDir } from '../../src/config/index.js'
import { tempDir } from '../helpers/tmp.js'

t.test('the configured folder wins, relative to the working directory, and is created', async (t) => {
  const cwd = tempDir(t)
  t.equal(await resolveStateDir('state/here', cwd, join(cwd, 'preferred')), join(cwd, 'state/here'))
  t.ok(existsSync(join(cwd, 'state/here')))
})

t.test('no folder configured: the system folder when it can be written', async (t) => {
  const cwd = tempDir(t)
  t.equal(await resolveStateDir(undefined, cwd, join(cwd, 'var-lib-linewatch')), join(cwd, 'var-lib-linewatch'))
})

t.test('no folder configured and the system folder cannot be made: .linewatch-state under the working directory', async (t) => {
  const cwd = tempDir(t)
  writeFileSync(join(cwd, 'a-file'), '')
  t.equal(await resolveStateDir(undefined, cwd, join(cwd, 'a-file', 'linewatch')), join(cwd, '.linewatch-state'))
  t.ok(existsSync(join(cwd, '.linewatch-state')))
})
