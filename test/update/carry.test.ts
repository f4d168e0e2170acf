/**
 * The installer's settings carried into a freshly written slot (src/update/carry.ts): the admin password,
 * Wi-Fi, SSH (keys, host keys, on/off) and the host name come along; the new system's own files and its
 * other users' passwords stay its own; what the running box never had is not invented.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { carryIntoSlot, carrySettings } from '../../src/update/carry.js'
import { tempDir } from '../helpers/tmp.js'

function put(root: string, rel: string, text: string, mode = 0o644) {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), text, { mode })
}
const read = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8')

t.test('what firstboot set on the running root reaches the new slot', async (t) => {
  const dir = tempDir(t)
  const old = join(dir, 'old')
  const slot = join(dir, 'new')
  put(old, 'etc/hostname', 'shop-12\n')
  put(old, 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf', 'network={ssid="shop"}\n', 0o600)
  put(old, 'etc/ssh/authorized_keys.d/admin', 'ssh-ed25519 AAAA installer\n')
  put(old, 'etc/ssh/ssh_host_ed25519_key', 'PRIVATE\n', 0o600)
  put(old, 'etc/ssh/ssh_host_ed25519_key.pub', 'ssh-ed25519 HOSTKEY\n')
  mkdirSync(join(old, 'etc/systemd/system/multi-user.target.wants'), { recursive: true })
  symlinkSync('/lib/systemd/system/ssh.service', join(old, 'etc/systemd/system/multi-user.target.wants/ssh.service'))
  put(old, 'etc/shadow', 'root:*:19000:0:99999:7:::\nadmin:$y$OLDHASH:20000:0:99999:7:::\nlinewatch:!:20000::::::\n', 0o640)
  // the new slot: the image's own files, one more system user, the image's admin password
  put(slot, 'etc/hostname', 'linewatch\n')
  put(slot, 'etc/ssh/ssh_host_ed25519_key', 'IMAGE KEY\n', 0o600)
  put(slot, 'etc/shadow', 'root:*:19000:0:99999:7:::\nadmin:$y$IMAGEHASH:20100:0:99999:7:::\nlinewatch:!:20100::::::\nnewuser:!:20100::::::\n', 0o640)
  put(slot, 'etc/motd', 'the new system\n')

  const carried = await carrySettings(old, slot)
  t.equal(read(slot, 'etc/hostname'), 'shop-12\n')
  t.equal(read(slot, 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf'), 'network={ssid="shop"}\n')
  t.equal(lstatSync(join(slot, 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf')).mode & 0o777, 0o600, 'the Wi-Fi secret keeps its mode')
  t.equal(read(slot, 'etc/ssh/ssh_host_ed25519_key'), 'PRIVATE\n', "the box's SSH identity, not the image's")
  t.equal(lstatSync(join(slot, 'etc/ssh/ssh_host_ed25519_key')).mode & 0o777, 0o600)
  t.equal(readlinkSync(join(slot, 'etc/systemd/system/multi-user.target.wants/ssh.service')), '/lib/systemd/system/ssh.service', 'SSH stays on (the link, as a link)')
  const shadow = read(slot, 'etc/shadow')
  t.match(shadow, /^admin:\$y\$OLDHASH:/m, "admin's password")
  t.match(shadow, /^newuser:!/m, "the new system's own users stay")
  t.match(shadow, /^linewatch:!:20100:/m, 'other lines are the new system\'s')
  t.notMatch(shadow, /IMAGEHASH/)
  t.equal(lstatSync(join(slot, 'etc/shadow')).mode & 0o777, 0o640, 'shadow keeps its mode')
  t.equal(read(slot, 'etc/motd'), 'the new system\n', 'nothing else is touched')
  t.same(carried.sort(), ['etc/hostname', 'etc/shadow (admin)', 'etc/ssh/authorized_keys.d/admin', 'etc/ssh/ssh_host_ed25519_key', 'etc/ssh/ssh_host_ed25519_key.pub', 'etc/systemd/system/multi-user.target.wants/ssh.service', 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf'].sort())
})

t.test('a box set up with nothing: nothing carried, the new slot unchanged', async (t) => {
  const dir = tempDir(t)
  const old = join(dir, 'old')
  const slot = join(dir, 'new')
  put(old, 'etc/shadow', 'admin:$y$SAME:1::::::\n', 0o640)
  put(slot, 'etc/shadow', 'admin:$y$SAME:1::::::\n', 0o640)
  put(slot, 'etc/hostname', 'linewatch\n')
  t.same(await carrySettings(old, slot), [])
  t.equal(read(slot, 'etc/hostname'), 'linewatch\n')
})

t.test('a slot that is a plain file (the tests and a development machine): nothing to mount', async (t) => {
  const file = join(tempDir(t), 'slot.img')
  writeFileSync(file, '')
  t.same(await carryIntoSlot(file), [])
})
