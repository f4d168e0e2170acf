/**
 * The image tests' harness (test/helpers/image-script.ts): what a shell test printed becomes assertions, and its
 * serial console's bytes cannot hide them. A lone carriage return in a TAP comment made tap drop a failed update
 * run's assertions and pass it.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { assertCheckLines, printable, runImageScript } from '../helpers/image-script.js'

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
