/**
 * The service files: the settings the box relies on are there (a test that
 * fails when someone drops the watchdog or the capability bounds), and
 * systemd-analyze verify finds nothing to say about them where it exists.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { missing } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const dir = new URL('../../systemd/', import.meta.url).pathname

/** key → values (a key may repeat), comments and sections ignored. */
function keys(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const raw of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith('[')) continue
    const eq = line.indexOf('=')
    const k = line.slice(0, eq)
    out.set(k, [...(out.get(k) ?? []), line.slice(eq + 1)])
  }
  return out
}

t.test('linewatch.service: notify with a watchdog, always restarted, locked down', async (t) => {
  const k = keys('linewatch.service')
  const one = (key: string) => k.get(key)?.join(' ')
  t.equal(one('Type'), 'notify')
  t.equal(one('NotifyAccess'), 'all', 'systemd-notify is a child process')
  t.equal(one('WatchdogSec'), '30')
  t.equal(one('Restart'), 'always')
  t.equal(one('OnFailure'), 'linewatch-revive.service', 'the start limit never leaves it down for good')
  t.equal(one('User'), 'linewatch')
  t.equal(one('SupplementaryGroups'), 'dialout gpio')
  t.equal(one('ProtectSystem'), 'strict')
  t.equal(one('StateDirectory'), 'linewatch')
  t.equal(one('CapabilityBoundingSet'), 'CAP_NET_ADMIN CAP_NET_RAW', 'only what routes and probes need')
  t.equal(one('AmbientCapabilities'), 'CAP_NET_ADMIN CAP_NET_RAW')
  t.equal(one('NoNewPrivileges'), 'yes')
  t.match(one('ExecStart'), /^\/usr\/bin\/linewatch run --config \/etc\/linewatch\/linewatch.yaml$/)
  t.match(one('After'), /linewatch-firstboot\.service/, 'after the boot partition files are applied')
  const fb = keys('linewatch-firstboot.service')
  t.same(fb.get('TimeoutStartSec'), ['5min'], 'logins wait for it: never for good')
  t.same([fb.get('Type'), fb.get('ExecStart'), fb.get('Before')], [['oneshot'], ['/usr/bin/linewatch firstboot --boot /boot/firmware --etc /etc'], ['linewatch.service network-pre.target systemd-user-sessions.service']], 'before linewatch, the network, and logins (the password set first)')
})

t.test('the revive unit, users, folders, journal and hardware watchdog', async (t) => {
  t.same(keys('linewatch-revive.service').get('ExecStart'), ['/bin/sleep 300', '/bin/systemctl reset-failed linewatch.service', '/bin/systemctl start --no-block linewatch.service'])
  t.match(readFileSync(join(dir, 'linewatch.sysusers.conf'), 'utf8'), /^m linewatch dialout$/m)
  t.match(readFileSync(join(dir, 'linewatch.sysusers.conf'), 'utf8'), /^m linewatch gpio$/m)
  t.match(readFileSync(join(dir, 'linewatch.tmpfiles.conf'), 'utf8'), /^d \/var\/lib\/linewatch 0750 linewatch linewatch -$/m)
  t.equal(keys('journald-linewatch.conf').get('Storage')?.[0], 'volatile')
  t.equal(keys('watchdog-linewatch.conf').get('RuntimeWatchdogSec')?.[0], '15s')
  t.equal(keys('devices-linewatch.conf').get('DefaultDeviceTimeoutSec')?.[0], '5min', 'a slow boot still gets its devices (the console\'s login)')
  t.match(readFileSync(join(dir, '60-linewatch-gpio.rules'), 'utf8'), /KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"/)
})

t.test('the partitions: a late or missing one never stops the boot, and the units wait for what they use', async (t) => {
  // the image's fstab, as image/build.sh writes it
  const build = readFileSync(new URL('../../image/build.sh', import.meta.url), 'utf8')
  const fstab = /cat > "\$root\/etc\/fstab" <<'EOF'\n([\s\S]*?)\nEOF/.exec(build)?.[1]
  if (!fstab) return t.fail('image/build.sh writes no fstab')
  const mounts = fstab.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 6 && f[2] !== 'tmpfs')
  t.same(mounts.map((f) => f[1]), ['/boot/firmware', '/data', '/etc/linewatch', '/var/lib/linewatch'])
  for (const [, at, , options] of mounts) {
    const o = (options ?? '').split(',')
    // without nofail, a failed mount is emergency mode: the root account is locked, a trial boot could not fall back
    t.ok(o.includes('nofail'), `${at}: nofail`)
    t.ok(o.includes('x-systemd.before=local-fs.target'), `${at}: still mounted before the boot goes on`)
    if (!o.includes('bind')) t.ok(o.includes('x-systemd.device-timeout=5min'), `${at}: a slow card gets 5 min, not 90 s`)
  }
  // every unit that runs linewatch with the config, or touches the state, waits for those bind mounts
  const units = readdirSync(dir).filter((f) => f.endsWith('.service'))
  let checked = 0
  for (const unit of units) {
    const k = keys(unit)
    const exec = (k.get('ExecStart') ?? []).join(' ')
    if (!/\/etc\/linewatch|\/var\/lib\/linewatch|--etc \/etc/.test(exec)) continue
    checked++
    // the confirmation is only ordered after them: without them it must still run, fail and reboot
    const confirm = unit === 'linewatch-update-confirm.service'
    const [key, etc, state] = confirm ? ['After', 'etc-linewatch.mount', 'var-lib-linewatch.mount'] : ['RequiresMountsFor', '/etc/linewatch', '/var/lib/linewatch']
    const needs = (k.get(key) ?? []).join(' ').split(/\s+/)
    if (confirm) {
      t.notOk(k.has('RequiresMountsFor'), `${unit}: not bound to the partitions`)
      t.ok(needs.includes('boot-firmware.mount'), `${unit}: After boot-firmware.mount`)
    }
    t.ok(needs.includes(etc), `${unit}: ${key} ${etc}`)
    if (/\/var\/lib\/linewatch|update|run --config/.test(exec)) t.ok(needs.includes(state), `${unit}: ${key} ${state}`)
  }
  t.ok(checked >= 6, `the linewatch units were found (${checked})`)
})

t.test('systemd-analyze verify has nothing to say', { skip: missing('systemd-analyze') && 'systemd-analyze is not installed' }, async (t) => {
  const tmp = tempDir(t)
  // verify checks that ExecStart's program exists: /usr/bin/linewatch is not installed here
  writeFileSync(join(tmp, 'linewatch.service'), readFileSync(join(dir, 'linewatch.service'), 'utf8').replace('/usr/bin/linewatch', '/bin/true'))
  copyFileSync(join(dir, 'linewatch-revive.service'), join(tmp, 'linewatch-revive.service'))
  writeFileSync(join(tmp, 'linewatch-firstboot.service'), readFileSync(join(dir, 'linewatch-firstboot.service'), 'utf8').replace('/usr/bin/linewatch', '/bin/true'))
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', 'linewatch.service', 'linewatch-revive.service', 'linewatch-firstboot.service'], { cwd: tmp, encoding: 'utf8', timeout: 30000 })
  t.equal(r.status, 0)
  t.equal(r.stderr.trim(), '', 'no warning (an unknown key or a bad value would be one)')
})
