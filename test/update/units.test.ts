/**
 * The update's systemd units (docs/updates.md): the confirmation runs on a trial boot only and any
 * failure of it reboots (so a new system that cannot even run linewatch falls back); the report runs on
 * other boots and never reboots; the installers start from their path units; systemd-analyze verify is
 * quiet about them where it exists.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { missing } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const dir = new URL('../../systemd/', import.meta.url).pathname
const UNITS = ['linewatch-update-confirm.service', 'linewatch-update-report.service', 'linewatch-update.path', 'linewatch-update.service', 'linewatch-update-bootfile.path', 'linewatch-update-bootfile.service']

function keys(file: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith('[')) continue
    const eq = line.indexOf('=')
    out.set(line.slice(0, eq), line.slice(eq + 1))
  }
  return out
}

t.test('trial boots are confirmed or fall back; other boots only report', async (t) => {
  const c = keys('linewatch-update-confirm.service')
  t.equal(c.get('ConditionPathExists'), '/run/linewatch-trial', 'the mark the initramfs leaves on a trial boot')
  t.equal(c.get('FailureAction'), 'reboot')
  t.match(c.get('ExecStart'), /^\/usr\/bin\/linewatch update --confirm-boot /)
  t.ok(Number(/^(\d+)min$/.exec(c.get('TimeoutStartSec') ?? '')?.[1]) > 120, 'outlasts the longest update.confirmMinutes')
  const r = keys('linewatch-update-report.service')
  t.equal(r.get('ConditionPathExists'), '!/run/linewatch-trial')
  t.equal(r.get('FailureAction'), undefined, 'a known-good system is never rebooted by it')
  t.equal(r.get('Before'), 'linewatch.service', 'the fallback is handed over before the box starts')
  t.equal(keys('linewatch-update.path').get('PathExists'), '/var/lib/linewatch/update/request.json')
  t.match(keys('linewatch-update.service').get('ExecStart'), /--request \/var\/lib\/linewatch\/update\/request.json/)
  t.equal(keys('linewatch-update-bootfile.path').get('PathExists'), '/boot/firmware/linewatch-update.lwb')
  t.match(keys('linewatch-update-bootfile.service').get('ExecStart'), /--boot-file \/boot\/firmware\/linewatch-update.lwb/)
})

t.test('systemd-analyze verify has nothing to say', { skip: missing('systemd-analyze') && 'systemd-analyze is not installed' }, async (t) => {
  const tmp = tempDir(t)
  for (const u of UNITS) writeFileSync(join(tmp, u), readFileSync(join(dir, u), 'utf8').replaceAll('/usr/bin/linewatch', '/bin/true'))
  writeFileSync(join(tmp, 'linewatch.service'), '[Service]\nExecStart=/bin/true\n')
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...UNITS], { cwd: tmp, encoding: 'utf8', timeout: 30000 })
  const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/Failed to (connect|create)|bus|No such file or directory.*\/run|is not a file system mount point/.test(l))
  t.same(said, [], 'nothing to say')
})
