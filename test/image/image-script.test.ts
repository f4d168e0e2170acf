/**
 * The image tests' harness (test/helpers/image-script.ts): what a shell test printed becomes assertions, and its
 * serial console's bytes cannot hide them. A lone carriage return in a TAP comment made tap drop a failed update
 * run's assertions and pass it.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { assertCheckLines, printable, runImageScript } from '../helpers/image-script.js'
import { missing } from '../helpers/real.js'

const repo = new URL('../../', import.meta.url).pathname
const bin = new URL('../../node_modules/tap/dist/esm/run.mjs', import.meta.url).pathname
const console_ = 'Begin: Mounting root\r\x1b[0;32m  OK  \x1b[0m] Started\r\n\x1b[!p\x1b]104\x07\x1b[?7h\x1b[6nlogin: \x00\x07\x08'

t.test('a console log becomes plain lines: no CR, no escape, no control character', async (t) => {
  const text = printable(console_)
  t.equal(text, 'Begin: Mounting root\n  OK  ] Started\nlogin: ')
  t.notMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/)
})

t.test("a script's ok/FAILED lines are assertions, and its console bytes come out printable", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-image-script-'))
  const script = join(dir, 'check.sh')
  writeFileSync(script, `printf 'ok: first boot\\n'\nprintf '%s' '${console_.replace(/'/g, '')}'\nprintf '\\nFAILED: the first boot is not on slot a\\n'\nexit 1\n`)
  const out = await runImageScript([script])
  t.equal(out.code, 1)
  t.notMatch(out.text, /\r|\x1b/)
  const seen: [unknown, string][] = []
  const checks = assertCheckLines({ ok: (v, msg) => seen.push([v, msg]) }, out.text)
  t.same(seen, [[true, 'first boot'], [false, 'the first boot is not on slot a']])
  t.equal(checks.length, 2)
})

t.test("tap's runner keeps the assertions after a comment of that text (the failure it hid)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-image-tap-'))
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'))
  const tap = new URL('../../node_modules/tap/dist/esm/index.js', import.meta.url).pathname
  const run = (comment: string) => {
    writeFileSync(join(dir, 'hidden.test.mjs'), `import t from ${JSON.stringify(tap)}\nt.test('s', async (t) => { t.comment(${JSON.stringify(comment)}); t.ok(false, 'must fail') })\n`)
    // in its own folder (tap saves results under the project), the repository's packages linked in for the
    // runner's plugins; the raw text here passes (exit 0)
    return spawnSync(process.execPath, [bin, 'hidden.test.mjs', '--disable-coverage', '--reporter=tap'], { cwd: dir, encoding: 'utf8' })
  }
  const r = run(printable(console_))
  t.match(r.stdout, /not ok 1 - must fail/, 'the failing assertion is reported')
  t.not(r.status, 0, 'and the run fails')
})

/**
 * A serial console as serial-console.py meets it: a getty (login, password) and then a shell that runs each line,
 * where `hang` never ends until Ctrl-C and a line typed meanwhile waits for it (as a real shell's terminal input does).
 */
function fakeConsole(path: string) {
  const seen = { interrupts: 0, logins: 0 }
  // the console's state outlives a connection, as QEMU's serial line does
  let state: 'login' | 'password' | 'shell' = 'login'
  let busy = false
  const queued: string[] = []
  const server = createServer((sock: Socket) => {
    let line = ''
    const run = (cmd: string) => {
      if (state === 'login') return cmd ? ((state = 'password'), sock.write('Password: ')) : sock.write('\r\nlogin: ')
      if (state === 'password') return (state = 'shell'), seen.logins++, sock.write('$ ')
      if (busy) return queued.push(cmd)
      if (cmd === 'exit') return (state = 'login'), sock.write('logout\r\n\r\nlogin: ')
      if (cmd.includes('LW-"READY"')) return sock.write('LW-READY\r\n')
      if (cmd.startsWith('hang')) return (busy = true)
      const end = /LW-"END-(\d+)"/.exec(cmd)
      if (end) sock.write(`out\r\nLW-END-${end[1]} 0\r\n`)
    }
    sock.on('data', (d) => {
      for (const ch of d.toString('latin1')) {
        if (ch === '\x03') {
          seen.interrupts++
          busy = false
          sock.write('^C\r\n')
          for (const q of queued.splice(0)) run(q)
        } else if (ch === '\r') {
          run(line)
          line = ''
        } else line += ch
      }
    })
  })
  return { seen, server: server.listen(path) }
}

t.test('serial-console.py: a session that times out leaves the console at the login prompt for the next one', { skip: missing('python3') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-serial-'))
  const path = join(dir, 'serial.sock')
  const { seen, server } = fakeConsole(path)
  t.teardown(() => void server.close())
  await new Promise((r) => server.once('listening', r))
  const session = (timeout: number, ...commands: string[]) =>
    runImageScript([join(repo, 'image/serial-console.py'), path, 'admin', 'pw', String(timeout), ...commands], process.env, 'python3')
  const first = await session(3, 'hang')
  t.equal(first.code, 1, 'the hung command times out')
  t.match(first.text, /timed out waiting for LW-END-0/)
  t.equal(seen.interrupts, 1, 'and is interrupted (Ctrl-C) before the logout')
  const second = await session(10, 'echo hi')
  t.equal(second.code, 0, `the next session logs in and runs its command: ${second.text}`)
  t.match(second.text, /== echo hi\nout\n== exit 0/)
  t.equal(seen.logins, 2)
})
