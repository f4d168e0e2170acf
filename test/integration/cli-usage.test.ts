/**
 * Usage errors, the way docs/cli.md promises them: an unknown option, an option without its value or an argument
 * too many is one line and exit 2 (never a stack trace), `--help` after any command is the usage, and a usage
 * error changes nothing on disk.
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { linewatch } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = linewatch(args)
  r.proc.stdin!.end()
  const { code } = await r.exited
  return { code, out: r.output() }
}

t.test('a missing value, an argument too many, an unknown option: one line, exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['run', '--config'], /^linewatch: Option '-c, --config <value>' argument missing\n$/],
    [['run', 'extra'], /^linewatch: Unexpected argument 'extra'/],
    [['doctor', '--config'], /argument missing/],
    [['demo', '--http-port'], /argument missing/],
    [['sim', 'day', 'extra'], /Unexpected argument 'extra'/],
    [['route', '--url'], /argument missing/],
    [['config', 'migrate', '--config'], /argument missing/],
    [['firstboot', '--boot'], /argument missing/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['schema', 'extra'], /^usage: linewatch schema\n$/],
    [['validate', 'a.yaml', 'b.yaml'], /^usage: linewatch validate FILE\n$/],
    [['sim', 'modem', '--port', '/dev/null', '--baud', 'abc'], /^--baud: one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, not abc\n$/],
    [['sim', 'modem', '--port', '/dev/null', '--baud', '12'], /not 12/],
  ]
  for (const [args, want] of cases) {
    const { code, out } = await cli(args)
    t.equal(code, 2, `linewatch ${args.join(' ')}: exit 2`)
    t.match(out, want, `linewatch ${args.join(' ')}: ${want}`)
    t.notMatch(out, /\n\s+at /, `linewatch ${args.join(' ')}: no stack trace`)
  }
})

t.test('--help after a command prints the usage, exit 0', async (t) => {
  for (const args of [['run', '--help'], ['demo', '-h'], ['token', '--help']]) {
    const { code, out } = await cli(args)
    t.equal(code, 0, `linewatch ${args.join(' ')}`)
    t.match(out, /^linewatch \S+ — call-center line watch box\n\nusage:/)
  }
})

t.test('token: a usage error makes no state folder', async (t) => {
  const dir = tempDir(t, 'lw-token-usage-')
  for (const args of [['token'], ['token', 'foo'], ['token', 'add', 'x'], ['token', 'list', 'extra']]) {
    const state = join(dir, args.join('-'))
    const { code, out } = await cli([...args, '--state', state])
    t.equal(code, 2, `linewatch ${args.join(' ')}`)
    t.match(out, /^usage: linewatch token add NAME/)
    t.notOk(existsSync(state), `linewatch ${args.join(' ')}: no ${state}`)
  }
})

t.test('firstboot: a boot folder that is not there is an error, not "nothing to apply"', async (t) => {
  const dir = tempDir(t, 'lw-firstboot-none-')
  const { code, out } = await cli(['firstboot', '--boot', join(dir, 'absent'), '--etc', join(dir, 'etc'), '--state', join(dir, 'state')])
  t.equal(code, 1)
  t.equal(out, `${join(dir, 'absent')}: no such folder (is the boot partition mounted?)\n`)
  // an empty one is still "nothing to apply"
  await mkdir(join(dir, 'boot'))
  const empty = await cli(['firstboot', '--boot', join(dir, 'boot'), '--etc', join(dir, 'etc'), '--state', join(dir, 'state')])
  t.equal(empty.code, 0)
  t.match(empty.out, /boot: nothing to apply\n$/)
})
