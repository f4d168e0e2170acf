import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import t from 'tap'
import { runPasswd, runToken } from '../../src/auth/cli.js'
import { Credentials } from '../../src/auth/credentials.js'
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js'
import { permissionsOfScopes } from '../../src/auth/permissions.js'
import { tempDir } from '../helpers/tmp.js'

t.test('passwords: scrypt with its cost in the string, a fresh salt each time, checked in full', async (t) => {
  const a = await hashPassword('correct horse 1')
  const b = await hashPassword('correct horse 1')
  t.match(a, /^scrypt\$14\$8\$5\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/)
  t.not(a, b, 'salted')
  t.ok(await verifyPassword('correct horse 1', a))
  t.notOk(await verifyPassword('correct horse 2', a))
  t.notOk(await verifyPassword('correct horse', a))
  t.ok(await verifyPassword('cafe\u0301 password', await hashPassword('café password')), 'the same word typed on another keyboard (NFC)')
  for (const damaged of ['', 'plain', a.replace('scrypt$14', 'scrypt$40'), a.slice(0, -10), `md5$${a}`]) t.notOk(await verifyPassword('correct horse 1', damaged), `damaged hash: ${damaged.slice(0, 20)}`)
})

t.test('the credentials file: 0600, hashes only, read again when another process changed it', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'credentials.json')
  const box = new Credentials(file)
  const cli = new Credentials(file)
  t.ok(box.needsSetup(), 'no file: setup needed')
  t.equal(await cli.setPassword('admin', 'admin password 1', 'admin', 5), true)
  t.equal((await stat(file)).mode & 0o777, 0o600)
  const text = await readFile(file, 'utf8')
  t.notMatch(text, /admin password 1/)
  t.notOk(box.needsSetup(), 'the box sees the password the CLI set')
  t.ok(await box.checkPassword('admin', 'admin password 1'))
  t.equal(await box.checkPassword('admin', 'admin password 2'), null)
  t.equal(await box.checkPassword('nobody', 'admin password 1'), null)
  const token = await cli.addToken('pbx', ['pbx'], 6)
  t.match(token, /^lwt_[A-Za-z0-9_-]{43}$/)
  t.same(box.findToken(token)?.scopes, ['pbx'])
  t.equal(box.findToken(`${token}x`), null)
  t.notMatch(await readFile(file, 'utf8'), token.slice(4))
  await t.rejects(cli.addToken('pbx', ['read'], 7), /exists; revoke it first/)
  await t.rejects(cli.setPassword('Admin!', 'whatever-123', 'admin', 0), /not a user name/)
  await t.rejects(cli.setPassword('x', 'short', 'viewer', 0), /at least 8 characters/)
  t.same([...permissionsOfScopes(['pbx'])], ['route', 'report'])
  t.same([...permissionsOfScopes(['viewer', 'operate'])].sort(), ['metrics', 'operate', 'read'])
  t.equal(await cli.revokeToken('pbx'), true)
  t.equal(box.findToken(token), null, 'revoked: gone for the box too')
  t.same((await readdir(dir)).filter((f) => f.includes('.tmp')), [], 'no temporary file left')
})

t.test('a damaged credentials file locks the setup and is mended by passwd (kept aside)', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'credentials.json')
  await writeFile(file, '{"version":1,"users":[{"name":"admin","role":"root"}],"tokens":[]}')
  const c = new Credentials(file)
  t.notOk(c.needsSetup(), 'damaged is not empty')
  t.match(c.damaged, /unexpected content/)
  t.equal(await c.checkPassword('admin', 'anything-12'), null)
  await c.setPassword('admin', 'a new password', 'admin', 0)
  t.equal(c.damaged, null)
  t.ok(await c.checkPassword('admin', 'a new password'))
  t.equal((await readdir(dir)).filter((f) => f.startsWith('credentials.json.damaged-')).length, 1, 'the damaged file is kept for a person')
})

t.test('linewatch passwd and token: from stdin, usage errors, a clear refusal', async (t) => {
  const dir = tempDir(t)
  const out: string[] = []
  t.teardown(() => void out.length)
  const write = process.stdout.write.bind(process.stdout)
  const ewrite = process.stderr.write.bind(process.stderr)
  const capture = () => {
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write
    process.stderr.write = ((s: string) => (out.push(s), true)) as typeof process.stderr.write
  }
  const release = () => {
    process.stdout.write = write
    process.stderr.write = ewrite
  }
  const passwd = async (args: string[], input: string) => {
    capture()
    try {
      return await runPasswd([...args, '--state', dir], '/nonexistent.yaml', Readable.from([input]))
    } finally {
      release()
    }
  }
  const token = async (args: string[]) => {
    capture()
    try {
      return await runToken([...args, '--state', dir], '/nonexistent.yaml')
    } finally {
      release()
    }
  }
  t.equal(await passwd([], 'first password\nignored second line\n'), 0)
  t.match(out.join(''), /web password set for the new user admin \(admin\)/)
  const c = new Credentials(join(dir, 'credentials.json'))
  t.ok(await c.checkPassword('admin', 'first password'), 'the first line of stdin, without its newline')
  t.equal(await passwd(['wall'], 'wall screen 1\n'), 0)
  t.equal(c.users().find((u) => u.name === 'wall')?.role, 'viewer', 'a new user other than admin reads only')
  t.equal(await passwd(['wall', '--role', 'root'], 'x'), 2)
  t.equal(await passwd(['wall'], 'short\n'), 1)
  t.match(out.at(-1), /at least 8 characters/)
  t.equal(await passwd(['ghost', '--remove'], ''), 1)
  t.equal(await passwd(['wall', '--remove'], ''), 0)
  t.equal(await token(['add', 'pbx']), 2, 'add without --scope')
  t.equal(await token(['add', 'pbx', '--scope', 'everything']), 1)
  t.match(out.at(-1), /unknown scope "everything"/)
  t.equal(await token(['add', 'pbx', '--scope', 'route,report']), 0)
  t.equal(await token(['list', '--json']), 0)
  t.match(JSON.parse(out.at(-1)!), [{ name: 'pbx', scopes: ['route', 'report'] }])
  t.equal(await token(['revoke', 'nope']), 1)
  t.equal(await token(['revoke', 'pbx']), 0)
})
