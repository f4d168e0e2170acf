/**
 * What the installer set on this box at its first boot, carried into the slot an update has just written
 * (docs/updates.md): `firstboot` applies the boot partition's files into the running root's /etc and
 * removes the secrets from the card, so a new slot, a copy of the image, would come up without the admin
 * password, the Wi-Fi, SSH and its keys, and the host name: a box unreachable after its update. The config
 * and the state need nothing: they live on the data partition. Done after the slot has read back as the
 * bundle's and before it is marked, so a power cut here leaves the boot state as it was.
 */
import { spawnSync } from 'node:child_process'
import { chmod, chown, copyFile, lstat, mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../core/atomic-file.js'

/** Files and links (relative to the root) firstboot writes or enables; carried when the running root has them. */
export const CARRIED = [
  'etc/hostname',
  'etc/wpa_supplicant/wpa_supplicant-wlan0.conf',
  'etc/systemd/system/multi-user.target.wants/wpa_supplicant@wlan0.service',
  'etc/ssh/authorized_keys.d/admin',
  'etc/systemd/system/multi-user.target.wants/ssh.service',
  'etc/systemd/system/sshd.service',
  // the box's SSH identity: clients would refuse a box whose host key changed
  ...['ed25519', 'ecdsa', 'rsa'].flatMap((k) => [`etc/ssh/ssh_host_${k}_key`, `etc/ssh/ssh_host_${k}_key.pub`]),
]
/** Users whose password (their /etc/shadow line) is carried; the new system's other lines stay its own. */
export const CARRIED_USERS = ['admin']

/** Copies CARRIED from the root `from` into the root `to`, and the users' shadow lines; returns what it carried. */
export async function carrySettings(from: string, to: string): Promise<string[]> {
  const carried: string[] = []
  for (const rel of CARRIED) {
    const src = join(from, rel)
    const st = await lstat(src).catch(() => null)
    if (!st) continue
    const dst = join(to, rel)
    await mkdir(dirname(dst), { recursive: true })
    await rm(dst, { force: true })
    if (st.isSymbolicLink()) {
      await symlink(await readlink(src), dst)
    } else if (st.isFile()) {
      await copyFile(src, dst)
      await chmod(dst, st.mode & 0o7777)
      await chown(dst, st.uid, st.gid).catch(() => {}) // only root may; tests run as anyone
    } else continue
    carried.push(rel)
  }
  const shadow = await carryShadow(join(from, 'etc/shadow'), join(to, 'etc/shadow'))
  if (shadow.length) carried.push(`etc/shadow (${shadow.join(', ')})`)
  return carried
}

/** Puts the running system's shadow lines of CARRIED_USERS into the new one, in place of its own. */
async function carryShadow(from: string, to: string): Promise<string[]> {
  const old = await readFile(from, 'utf8').catch(() => null)
  const now = await readFile(to, 'utf8').catch(() => null)
  if (old === null || now === null) return []
  const line = (text: string, user: string) => text.split('\n').find((l) => l.startsWith(`${user}:`))
  const users = CARRIED_USERS.filter((u) => line(old, u) && line(now, u) && line(old, u) !== line(now, u))
  if (users.length === 0) return []
  const next = now.split('\n').map((l) => {
    const user = users.find((u) => l.startsWith(`${u}:`))
    return user ? (line(old, user) as string) : l
  })
  const st = await lstat(to)
  await writeFileAtomic(to, next.join('\n'), st.mode & 0o7777)
  await chown(to, st.uid, st.gid).catch(() => {})
  return users
}

/** On the box: mounts the written slot, carries the settings from `/`, unmounts; a plain file (tests): nothing. */
export async function carryIntoSlot(device: string, mountPoint = '/run/linewatch-update-slot'): Promise<string[]> {
  if (!(await lstat(device)).isBlockDevice()) return []
  await mkdir(mountPoint, { recursive: true })
  const m = spawnSync('mount', ['-t', 'ext4', device, mountPoint], { encoding: 'utf8' })
  if (m.status !== 0) throw new Error(`mount ${device}: ${(m.stderr || m.error?.message || `exit ${m.status}`).trim()}`)
  try {
    return await carrySettings('/', mountPoint)
  } finally {
    spawnSync('sync')
    const u = spawnSync('umount', [mountPoint], { encoding: 'utf8' })
    if (u.status !== 0) throw new Error(`umount ${mountPoint}: ${(u.stderr || `exit ${u.status}`).trim()}`)
  }
}
