/**
 * `linewatch update FILE` from a login hands itself to a transient systemd service and follows its
 * progress (src/update/hand-off.ts): a console logout must not kill the update. systemd-run is a
 * stand-in that runs the unit's command the way systemd would (own INVOCATION_ID, output to the
 * journal), here the real CLI writing plain files that stand for the slots.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { update } from '../../src/cli/update.js'
import { HANDOFF_UNIT, shouldHandOff } from '../../src/update/hand-off.js'
import { quiet, rig } from '../helpers/update-rig.js'

const bin = new URL('../../bin/linewatch.js', import.meta.url).pathname
const asRoot = { uid: 0, env: {}, systemd: true }

t.test('only a root login on a systemd machine hands off; a service (INVOCATION_ID) runs it itself', async (t) => {
  t.equal(shouldHandOff(asRoot), true)
  t.equal(shouldHandOff({ ...asRoot, env: { INVOCATION_ID: 'f00' } }), false, 'already a unit')
  t.equal(shouldHandOff({ ...asRoot, uid: 1000 }), false, 'not root: the plain run says what it may not open')
  t.equal(shouldHandOff({ ...asRoot, systemd: false }), false, 'no systemd')
})

/**
 * A systemd-run that records its arguments and runs the command after `--` as a unit would. Given `progress`,
 * it first leaves a mid-write record there for 2 s, as a unit busy writing a slot would: the real update of a
 * small test bundle ends between two polls.
 */
function fakeSystemdRun(dir: string, progress?: string): string {
  const path = join(dir, 'systemd-run')
  const busy = progress ? `printf '%s' '{"stage":"write","done":3145728,"total":6291456,"percent":50}' > "${progress}"; sleep 2
` : ''
  writeFileSync(
    path,
    `#!/bin/sh
printf '%s\\n' "$@" > "${dir}/argv"
${busy}while [ "$1" != "--" ]; do shift; done; shift
cd /
INVOCATION_ID=test exec "$@" > "${dir}/journal" 2>&1
`,
    { mode: 0o755 },
  )
  return path
}

t.test('a handed-off update runs in the unit and its progress is printed here, from the progress file', async (t) => {
  const r = await rig(t)
  const progress = join(r.dir, 'progress.json')
  const systemdRun = fakeSystemdRun(r.dir, progress)
  // named relative to here: the unit runs in /
  const args = [relative(process.cwd(), r.bundle), ...r.args.filter((a) => a !== '--foreground'), '--progress-file', progress]
  const { value: code, out } = await quiet(() => update(args, { where: asRoot, systemdRun, self: [process.execPath, bin] }))
  t.equal(code, 0, out)
  const argv = readFileSync(join(r.dir, 'argv'), 'utf8').trim().split('\n')
  t.same(argv.slice(0, argv.indexOf('--')), ['--unit', HANDOFF_UNIT, '--collect', '--quiet', '--wait'], 'a transient service that systemd-run waits for')
  const cmd = argv.slice(argv.indexOf('--') + 1)
  t.same(cmd.slice(0, 4), [process.execPath, bin, 'update', '--foreground'], 'the unit runs linewatch itself, in the foreground')
  t.equal(cmd[4], r.bundle, 'the bundle by its absolute path (the unit runs in /)')
  t.match(out, new RegExp(`running as ${HANDOFF_UNIT}\\.service; a logout or Ctrl-C here does not stop it`))
  t.match(out, /^write\s+50 %\s+3\.0\/6\.0 MB$/m, "the unit's progress, followed from its file")
  t.match(out, /written to slot b, to be tried at the next boot/, 'the end message')
  t.ok(readFileSync(r.slots.b).subarray(0, r.image.length).equals(r.image), 'the unit wrote slot b')
  t.match(readFileSync(join(r.dir, 'journal'), 'utf8'), /written to slot b/, "the unit's own output went to its journal")
})

t.test("a refused bundle: the unit's message and exit status come back here", async (t) => {
  const r = await rig(t)
  const systemdRun = fakeSystemdRun(r.dir)
  const bytes = readFileSync(r.bundle)
  bytes[bytes.length - 1]! ^= 0xff
  writeFileSync(r.bundle, bytes)
  const args = [r.bundle, ...r.args.filter((a) => a !== '--foreground'), '--progress-file', join(r.dir, 'progress.json')]
  const { value: code, out } = await quiet(() => update(args, { where: asRoot, systemdRun, self: [process.execPath, bin] }))
  t.equal(code, 1)
  t.match(out, /update refused at \w+: /, "the unit's reason")
  t.match(out, new RegExp(`${HANDOFF_UNIT}\\.service ended with 1 \\(journalctl -u ${HANDOFF_UNIT}\\)`))
  t.equal(readFileSync(r.slots.b).subarray(0, 16).every((b) => b === 0), true, 'nothing written')
})

t.test('a missing file is said at once, no unit started', async (t) => {
  const r = await rig(t)
  const systemdRun = fakeSystemdRun(r.dir)
  const { value: code, out } = await quiet(() => update([join(r.dir, 'nope.lwb'), ...r.args.filter((a) => a !== '--foreground')], { where: asRoot, systemdRun }))
  t.equal(code, 1)
  t.match(out, /update: ENOENT/)
  t.throws(() => readFileSync(join(r.dir, 'argv')), 'systemd-run never ran')
})

t.test("with no --progress-file, the progress goes where the box reads it (STATE/update/progress.json), so the page and MQTT show it", async (t) => {
  const r = await rig(t)
  const state = r.args[r.args.indexOf('--state') + 1]!
  mkdirSync(join(state, 'update'), { recursive: true }) // the box made it at its start
  const systemdRun = fakeSystemdRun(r.dir)
  const { value: code, out } = await quiet(() => update([r.bundle, ...r.args.filter((a) => a !== '--foreground')], { where: asRoot, systemdRun, self: [process.execPath, bin] }))
  t.equal(code, 0, out)
  const argv = readFileSync(join(r.dir, 'argv'), 'utf8').trim().split('\n')
  t.equal(argv[argv.indexOf('--progress-file') + 1], join(state, 'update', 'progress.json'))
  t.match(JSON.parse(readFileSync(join(state, 'update', 'progress.json'), 'utf8')), { stage: 'done', ok: true, message: /written to slot b/ })
})

t.test("a machine that is not an A/B card: the unit's reason is printed here, not only in its journal", async (t) => {
  const r = await rig(t)
  const systemdRun = fakeSystemdRun(r.dir)
  const args = r.args.filter((a) => a !== '--foreground')
  args.splice(args.indexOf('--running'), 2)
  const { value: code, out } = await quiet(() => update([r.bundle, ...args, '--progress-file', join(r.dir, 'progress.json')], { where: asRoot, systemdRun, self: [process.execPath, bin] }))
  t.equal(code, 1)
  t.match(out, /cannot tell which slot runs \(not an A\/B card\?\); say it with --running a\|b/)
})
