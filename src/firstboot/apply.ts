/**
 * The installer's files on the SD card's FAT boot partition, applied at boot
 * (linewatch-firstboot.service, before linewatch.service):
 *
 *   linewatch.yaml        the box's config → /etc/linewatch/linewatch.yaml (kept on the card:
 *                         edit it there and reboot to change it)
 *   factory-reset.txt     any content: empties the state folder (web users and  ┐
 *                         tokens, counters, outbox) and has the box clear its    │
 *                         retained MQTT topics; applied first                    │
 *   admin-password.txt    the password of the `admin` login (console, SSH), and  │ secrets: removed
 *                         of the web user admin unless web-password.txt is there │ from the card once
 *   web-password.txt      the password of the web user admin only                │ applied
 *   wifi.txt              ssid=…, password=…, country=…  (a Wi-Fi uplink)        │
 *   ssh.pub               public key(s) for admin; turns SSH on (off otherwise)  ┘
 *   hostname.txt          the box's host name
 *
 * A config that does not validate is still installed: the service then shows
 * the config error on the system lamp and logs each problem with its line,
 * never silently. Every change to the system goes through `System`, so the
 * tests run it in a temporary folder.
 */
import { createHash } from 'node:crypto'
import { chown, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { validateConfigText, formatProblem } from '../config/index.js'
import { errorMessage } from '../core/errors.js'
import { writeFileAtomic } from '../core/atomic-file.js'
import { Credentials } from '../auth/credentials.js'
import { DEFAULT_STATE_DIR } from '../config/storage.js'
import { CLEAR_RETAINED_MARK } from '../report/clear-retained.js'
import { boxCertificate, httpsWanted } from '../web/tls.js'

export interface System {
  /** Where /etc is (the tests: a temporary folder). */
  etc: string
  /** The state folder; default: the installed config's storage.dir, else /var/lib/linewatch. */
  state?: string
  /** Runs a command; resolves with its exit code. `input` goes to its stdin. */
  run(cmd: string, args: string[], input?: string): Promise<number>
}

export interface Applied {
  file: string
  /** What was done, in words for the journal. */
  action: string
  ok: boolean
}

/** Not a file on the card: the step that makes the page's certificate. */
export const HTTPS_STEP = 'https'

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i

/** Gives a file to a group of this system (its /etc/group), when there is such a group and we may. */
async function chownToGroup(path: string, group: string, etc: string): Promise<void> {
  const line = ((await readIf(join(etc, 'group'))) ?? '').split('\n').find((l) => l.startsWith(`${group}:`))
  const gid = Number(line?.split(':')[2])
  if (Number.isInteger(gid)) await chown(path, -1, gid).catch(() => {})
}

async function readIf(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return null
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

export async function applyBootFiles(boot: string, sys: System): Promise<Applied[]> {
  const out: Applied[] = []
  const step = async (file: string, fn: (text: string) => Promise<Omit<Applied, 'file'>>, secret: boolean) => {
    const path = join(boot, file)
    const text = await readIf(path)
    if (text === null) return
    try {
      out.push({ file, ...(await fn(text)) })
    } catch (err) {
      out.push({ file, action: `not applied: ${errorMessage(err)}`, ok: false })
    }
    // a secret leaves the card even when it could not be applied: it must not sit on a FAT anyone can read
    if (secret) await rm(path, { force: true })
  }

  const stateDir = async () => {
    if (sys.state) return sys.state
    const installed = validateConfigText((await readIf(join(sys.etc, 'linewatch', 'linewatch.yaml'))) ?? '')
    return installed.config?.storage.dir ?? DEFAULT_STATE_DIR
  }

  await step(
    'factory-reset.txt',
    async () => {
      const dir = await stateDir()
      const entries = await readdir(dir).catch(() => [] as string[])
      for (const e of entries) await rm(join(dir, e), { recursive: true, force: true })
      // the box clears its retained topics at its next connection to the broker (src/report/clear-retained.ts)
      await writeFileAtomic(join(dir, CLEAR_RETAINED_MARK), `factory reset at ${new Date().toISOString()}\n`, 0o600)
      return { action: `factory reset: ${entries.length} item(s) removed from ${dir} (web users and tokens among them); the box clears its retained MQTT topics when it next connects`, ok: true }
    },
    true,
  )

  await step(
    'linewatch.yaml',
    async (text) => {
      const target = join(sys.etc, 'linewatch', 'linewatch.yaml')
      const checked = validateConfigText(text)
      const problems = checked.problems.map((p) => formatProblem(p)).join('; ')
      const installed = await readIf(target)
      if (installed !== null && sha(installed) === sha(text)) return { action: checked.config ? 'unchanged' : `unchanged, still invalid: ${problems}`, ok: !!checked.config }
      // it may hold the broker's password: root writes it, the service's group (and the admin account, a member) reads it
      await writeFileAtomic(target, text, 0o640)
      await chownToGroup(target, 'linewatch', sys.etc)
      return checked.config ? { action: `installed as ${target}`, ok: true } : { action: `installed as ${target}, but invalid (the system lamp shows it): ${problems}`, ok: false }
    },
    false,
  )

  const webPasswordGiven = (await readIf(join(boot, 'web-password.txt'))) !== null
  const setWebPassword = async (password: string) => {
    const credentials = new Credentials(join(await stateDir(), 'credentials.json'))
    await credentials.setPassword('admin', password, 'admin', Date.now())
  }

  await step(
    'admin-password.txt',
    async (text) => {
      const password = text.split(/\r?\n/)[0]!.trim()
      if (password.length < 8) throw new Error('the password must have at least 8 characters')
      if (/[:\s]/.test(password)) throw new Error('no spaces or colons in the password')
      const code = await sys.run('chpasswd', [], `admin:${password}\n`)
      if (code !== 0) throw new Error(`chpasswd exited with ${code}`)
      if (webPasswordGiven) return { action: 'the admin password is set (the web password comes from web-password.txt)', ok: true }
      await setWebPassword(password)
      return { action: 'the admin password is set, for the console and SSH and for the web user admin', ok: true }
    },
    true,
  )

  await step(
    'web-password.txt',
    async (text) => {
      await setWebPassword(text.split(/\r?\n/)[0]!)
      return { action: 'the web password of admin is set', ok: true }
    },
    true,
  )

  await step(
    'wifi.txt',
    async (text) => {
      const kv = Object.fromEntries(
        text
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')).trim().toLowerCase(), l.slice(l.indexOf('=') + 1).trim()]),
      ) as Record<string, string>
      if (!kv.ssid) throw new Error('wifi.txt needs ssid=…')
      if (kv.password !== undefined && (kv.password.length < 8 || kv.password.length > 63)) throw new Error('a WPA2 password has 8 to 63 characters')
      if (!/^[A-Z]{2}$/.test(kv.country ?? '')) throw new Error('wifi.txt needs country=XX (two letters, e.g. RU): the radio may not transmit without it')
      const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`
      const network = kv.password === undefined ? `  key_mgmt=NONE` : `  psk=${quote(kv.password)}\n  key_mgmt=WPA-PSK`
      await writeFileAtomic(join(sys.etc, 'wpa_supplicant', 'wpa_supplicant-wlan0.conf'), `# written by linewatch-firstboot from wifi.txt\nctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\ncountry=${kv.country}\nnetwork={\n  ssid=${quote(kv.ssid)}\n${network}\n}\n`, 0o600)
      const code = await sys.run('systemctl', ['enable', 'wpa_supplicant@wlan0.service'])
      return { action: `Wi-Fi "${kv.ssid}" configured${code === 0 ? '' : ' (enabling wpa_supplicant@wlan0 failed)'}`, ok: code === 0 }
    },
    true,
  )

  await step(
    'ssh.pub',
    async (text) => {
      const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+/.test(l))
      if (keys.length === 0) throw new Error('no public key in ssh.pub (a line like "ssh-ed25519 AAAA… name")')
      await writeFileAtomic(join(sys.etc, 'ssh', 'authorized_keys.d', 'admin'), `${keys.join('\n')}\n`, 0o644)
      const code = await sys.run('systemctl', ['enable', '--now', 'ssh.service'])
      return { action: `${keys.length} key(s) for admin; SSH on${code === 0 ? '' : ' (enabling ssh failed)'}`, ok: code === 0 }
    },
    true,
  )

  await step(
    'hostname.txt',
    async (text) => {
      const name = text.trim()
      if (!HOSTNAME.test(name)) throw new Error(`"${name}" is not a host name (letters, digits and -, at most 63)`)
      await writeFileAtomic(join(sys.etc, 'hostname'), `${name}\n`)
      // /etc/hostname is what counts at the next boot; the command only renames the running system
      const code = await sys.run('hostname', [name])
      return { action: `host name ${name}${code === 0 ? '' : ' (from the next boot: the hostname command failed)'}`, ok: true }
    },
    false,
  )
  // HTTPS: the box's own certificate made now, so its fingerprint is on the console before anyone opens the page
  const installed = validateConfigText((await readIf(join(sys.etc, 'linewatch', 'linewatch.yaml'))) ?? '').config
  if (installed && httpsWanted(installed) && !installed.http.cert) {
    const name = ((await readIf(join(sys.etc, 'hostname'))) ?? '').trim() || 'linewatch'
    try {
      const tls = await boxCertificate(await stateDir(), name)
      out.push({ file: HTTPS_STEP, action: `the page's certificate (${tls.cert}), SHA-256 ${tls.fingerprint}: the browser must show the same`, ok: true })
    } catch (err) {
      out.push({ file: HTTPS_STEP, action: `no certificate: ${errorMessage(err)}`, ok: false })
    }
  }
  return out
}
