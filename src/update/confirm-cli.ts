/**
 * `linewatch update --confirm-boot` (linewatch-update-confirm.service, as root): the real probes for
 * confirm.ts. /healthz is open; whether the box is on MQTT needs `GET /api/v1/health`, which needs a
 * token: the one `linewatch update` made for this (`update-confirm`, scope read), revoked once confirmed.
 */
import { spawnSync } from 'node:child_process'
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { parse } from 'yaml'
import { Credentials } from '../auth/credentials.js'
import { DEFAULT_CONFIG } from '../cli/defaults.js'
import { loadConfig, type Config } from '../config/index.js'
import { resolveStateDir } from '../config/storage.js'
import { migrateConfigFile } from '../config/migrate-file.js'
import { errorMessage } from '../core/errors.js'
import { systemClock } from '../core/clock.js'
import { BootStateFile, type Slot } from './boot-state.js'
import { confirmTrial, fallbackReport, type HealthProbes } from './confirm.js'

export const CONFIRM_TOKEN = 'update-confirm'
const tokenFile = (stateDir: string) => join(stateDir, 'update', 'confirm-token')

/** Made by `linewatch update` before the reboot: a read-only token the new system's confirmation uses. */
export async function makeConfirmToken(stateDir: string): Promise<void> {
  const creds = new Credentials(join(stateDir, 'credentials.json'))
  await creds.revokeToken(CONFIRM_TOKEN)
  const token = await creds.addToken(CONFIRM_TOKEN, ['read'], Date.now())
  await mkdir(join(stateDir, 'update'), { recursive: true, mode: 0o700 })
  await writeFile(tokenFile(stateDir), `${token}\n`, { mode: 0o600 })
  // written as root: give them back to the state folder's owner, or the box could not read its users
  const owner = await stat(stateDir)
  await chown(creds.file, owner.uid, owner.gid).catch(() => {})
  // the folder is the box's too: it downloads bundles into it
  await chown(join(stateDir, 'update'), owner.uid, owner.gid).catch(() => {})
}

export async function dropConfirmToken(stateDir: string): Promise<void> {
  await new Credentials(join(stateDir, 'credentials.json')).revokeToken(CONFIRM_TOKEN).catch(() => false)
  await rm(tokenFile(stateDir), { force: true })
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { headers, timeout: 5000, rejectUnauthorized: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d.length + body.length < 65536 ? d : ''))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')))
    req.on('error', reject)
    req.end()
  })
}

/** The real probes, from the config (the defaults when it does not load: the box shows that itself). */
export function realProbes(config: Config | null, brokerSet: boolean, token: () => Promise<string | null>): HealthProbes {
  const port = config?.http.port ?? 8080
  // as the box decides it (http.tls auto: on for a real board, off for board: sim)
  const tls = config ? config.http.tls === 'on' || (config.http.tls === 'auto' && config.board !== 'sim') : true
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`
  return {
    async service() {
      const r = spawnSync('systemctl', ['is-active', 'linewatch.service'], { encoding: 'utf8' })
      const state = (r.stdout ?? '').trim()
      return state === 'active' ? null : `linewatch.service is ${state || 'unknown'}`
    },
    async healthz() {
      const r = await get(`${base}/healthz`)
      return r.status === 200 ? null : `GET /healthz answered ${r.status}`
    },
    async mqtt() {
      if (!brokerSet) return null
      const t = config?.http.token ?? (await token())
      const r = await get(`${base}/api/v1/health`, t ? { authorization: `Bearer ${t}` } : {})
      if (r.status !== 200) return `GET /api/v1/health answered ${r.status}`
      const mqtt = (JSON.parse(r.body) as { mqtt?: string }).mqtt
      return mqtt === 'connected' ? null : `the box is ${mqtt ?? 'not known to be'} connected to its broker`
    },
  }
}

async function chownLikeDir(file: string, dir: string): Promise<void> {
  const owner = await stat(dir)
  await chown(file, owner.uid, owner.gid).catch(() => {})
}

/** After a fallback (root, the old system): the report left for the box to say on MQTT, then cleared from the boot state. */
export async function handOverFallback(states: BootStateFile, stateDir: string): Promise<boolean> {
  const s = await states.read()
  const report = fallbackReport(s)
  if (!report) return false
  await mkdir(join(stateDir, 'update'), { recursive: true, mode: 0o700 })
  const file = join(stateDir, 'update', 'fallback.json')
  await writeFile(file, JSON.stringify(report), { mode: 0o600 })
  await chownLikeDir(file, stateDir)
  await chownLikeDir(join(stateDir, 'update'), stateDir)
  await states.write({ ...s, fallback: null })
  return true
}

export async function confirmBoot(o: { boot: string; running: Slot | null; config?: string; state?: string }): Promise<number> {
  const file = o.config ?? DEFAULT_CONFIG
  const config = await loadConfig(file).catch(() => null)
  const raw = (await readFile(file, 'utf8').then((t) => parse(t) as { mqtt?: { url?: string } } | null).catch(() => null)) ?? null
  const stateDir = o.state ? await resolveStateDir(o.state) : await resolveStateDir(config?.storage.dir)
  const outcome = await confirmTrial({
    states: new BootStateFile(o.boot),
    running: o.running,
    probes: realProbes(config, raw?.mqtt?.url !== undefined, () => readFile(tokenFile(stateDir), 'utf8').then((t) => t.trim(), () => null)),
    clock: systemClock,
    withinMs: (config?.update.confirmMinutes ?? 10) * 60_000,
    reboot: async () => {
      spawnSync('systemctl', ['reboot'], { stdio: 'inherit' })
    },
    log: (line) => process.stdout.write(`${line}\n`),
  })
  if (outcome.outcome === 'not-on-trial') {
    process.stdout.write('not on trial: nothing to confirm\n')
    await handOverFallback(new BootStateFile(o.boot), stateDir)
  }
  if (outcome.outcome === 'confirmed') {
    await dropConfirmToken(stateDir)
    const s = await new BootStateFile(o.boot).read()
    await writeFile(join(stateDir, 'update', 'confirmed.json'), JSON.stringify({ message: `linewatch ${s.versions[s.active] ?? ''} (slot ${s.active}) confirmed healthy after the update` }), { mode: 0o600 })
    await chownLikeDir(join(stateDir, 'update', 'confirmed.json'), stateDir)
    // only now may the file take the new format: before, a fallback to the old system could still come
    await migrateAfterConfirm(file)
  }
  // a reboot asked is a failure of the unit too: FailureAction=reboot backs it up
  return outcome.outcome === 'rebooting' ? 1 : 0
}

/** The config rewritten in the confirmed system's format (migrate-file.ts); a failure leaves it as it was, read migrated. */
export async function migrateAfterConfirm(file: string, migrate = migrateConfigFile, say: (line: string) => void = (line) => void process.stdout.write(line)): Promise<void> {
  const r = await migrate(file).catch((err: unknown) => ({ outcome: 'refused' as const, problems: [errorMessage(err)] }))
  if (r.outcome === 'migrated') say(`${file}: migrated from configVersion ${r.from} to ${r.to}; the old file is kept as ${r.backup}\n`)
  if (r.outcome === 'refused') say(`${file}: not migrated (the box reads it migrated in memory): ${r.problems.join('; ')}\n`)
}
