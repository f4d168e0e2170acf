/**
 * Secrets kept out of the config file: `mqtt.passwordFile`, `http.tokenFile`,
 * `sitePhone.webhook.tokenFile` and `modems[].simPinFile` name a file (relative to the config file) whose
 * first line is the secret, so the YAML can be shown, copied or committed
 * without it. The TLS files (`mqtt.ca`, `.cert`, `.key`, `http.cert`, `.key`) are made absolute the
 * same way. A file that cannot be read is a config problem that names the file,
 * never its contents.
 */
import { access, constants, readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { errorMessage } from '../core/errors.js'
import type { Config } from './schema.js'

export interface SecretProblem {
  path: string
  message: string
}

/** Reads each secret file into the key beside it and resolves the TLS paths; returns the problems (none: the config is complete). */
export async function resolveSecrets(config: Config, configDir: string): Promise<SecretProblem[]> {
  const problems: SecretProblem[] = []
  const at = (p: string) => (isAbsolute(p) ? p : resolve(configDir, p))
  const secret = async (path: string, file: string | undefined, inline: string | undefined, minLength: number): Promise<string | undefined> => {
    if (file === undefined) return inline
    if (inline !== undefined) {
      problems.push({ path, message: 'give the secret inline or in a file, not both' })
      return inline
    }
    try {
      const value = (await readFile(at(file), 'utf8')).split(/\r?\n/)[0]!.trim()
      if (value.length < minLength) problems.push({ path, message: `${at(file)}: its first line must be the secret, at least ${minLength} characters` })
      return value
    } catch (err) {
      // the reason from the system (ENOENT, EACCES), not the file's contents
      problems.push({ path, message: `cannot read ${at(file)}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` })
      return undefined
    }
  }
  const m = config.mqtt
  m.password = await secret('mqtt.passwordFile', m.passwordFile, m.password, 1)
  for (const k of ['ca', 'cert', 'key'] as const) {
    if (m[k] === undefined) continue
    m[k] = at(m[k]!)
    await access(m[k]!, constants.R_OK).catch((err: NodeJS.ErrnoException) => problems.push({ path: `mqtt.${k}`, message: `cannot read ${m[k]}: ${err.code ?? errorMessage(err)}` }))
  }
  if ((m.cert === undefined) !== (m.key === undefined)) problems.push({ path: m.cert === undefined ? 'mqtt.cert' : 'mqtt.key', message: 'missing: a client certificate needs both cert and key' })
  const h = config.http
  for (const k of ['cert', 'key'] as const) {
    if (h[k] === undefined) continue
    h[k] = at(h[k]!)
    await access(h[k]!, constants.R_OK).catch((err: NodeJS.ErrnoException) => problems.push({ path: `http.${k}`, message: `cannot read ${h[k]}: ${err.code ?? errorMessage(err)}` }))
  }
  if ((h.cert === undefined) !== (h.key === undefined)) problems.push({ path: h.cert === undefined ? 'http.cert' : 'http.key', message: 'missing: a certificate needs both cert and key' })
  config.http.token = await secret('http.tokenFile', config.http.tokenFile, config.http.token, 16)
  const hook = config.sitePhone.webhook
  if (hook) hook.token = await secret('sitePhone.webhook.tokenFile', hook.tokenFile, hook.token, 8)
  for (const [i, modem] of config.modems.entries()) {
    modem.simPin = await secret(`modems[${i}].simPinFile`, modem.simPinFile, modem.simPin, 4)
    if (modem.simPinFile !== undefined && modem.simPin !== undefined && !/^[0-9]{4,8}$/.test(modem.simPin)) {
      problems.push({ path: `modems[${i}].simPinFile`, message: `${at(modem.simPinFile)}: its first line must be the PIN, 4 to 8 digits` })
    }
  }
  return problems
}
