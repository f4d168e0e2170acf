/**
 * HTTPS for the page and the API. A box serves HTTPS by default on a real
 * board (`http.tls: auto`), with the installer's certificate (`http.cert`,
 * `http.key`) or else one of its own: a self-signed P-256 certificate made
 * once, at first need, by the system's `openssl` (Debian's ca-certificates
 * brings it; nothing to add to the image), kept in `<state>/tls/` (0600) so
 * two boxes never share a key. Its SHA-256 fingerprint is what a person
 * compares in the browser's warning: `linewatch firstboot` prints it on the
 * console, `linewatch doctor` and the start-up log say it.
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Config } from '../config/schema.js'
import { ownLikeFolder } from '../core/atomic-file.js'

const run = promisify(execFile)

export interface TlsFiles {
  cert: string
  key: string
  /** SHA-256 of the certificate, as browsers show it (AA:BB:…). */
  fingerprint: string
  /** Whether it is the box's own self-signed certificate. */
  own: boolean
}

/** Whether the HTTP side serves HTTPS. */
export function httpsWanted(config: Pick<Config, 'board' | 'http'>): boolean {
  return config.http.tls === 'on' || (config.http.tls === 'auto' && config.board !== 'sim')
}

export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}

/** The installer's certificate when the config names one, else the box's own (made now if missing). */
export async function tlsFiles(config: Pick<Config, 'http'>, stateDir: string, name = hostname()): Promise<TlsFiles> {
  if (config.http.cert && config.http.key) return { cert: config.http.cert, key: config.http.key, fingerprint: fingerprintOf(await readFile(config.http.cert, 'utf8')), own: false }
  return boxCertificate(stateDir, name)
}

/** `<state>/tls/cert.pem` and `key.pem`: read, or made by openssl when missing or unreadable. */
export async function boxCertificate(stateDir: string, name: string): Promise<TlsFiles> {
  const dir = join(stateDir, 'tls')
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  try {
    const pem = await readFile(cert, 'utf8')
    await readFile(key)
    return { cert, key, fingerprint: fingerprintOf(pem), own: true }
  } catch {
    // missing or damaged (a power cut during the first making): made again
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const cn = /^[a-z0-9][a-z0-9.-]{0,62}$/i.test(name) ? name : 'linewatch'
  const san = [`DNS:${cn}`, `DNS:${cn}.local`, 'DNS:localhost', 'IP:127.0.0.1', 'IP:::1'].join(',')
  const tmp = { cert: `${cert}.tmp`, key: `${key}.tmp` }
  try {
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650', '-subj', `/CN=${cn}/O=linewatch`, '-addext', `subjectAltName=${san}`, '-keyout', tmp.key, '-out', tmp.cert], { timeout: 60_000 })
  } catch (err) {
    await rm(tmp.key, { force: true })
    await rm(tmp.cert, { force: true })
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    throw new Error(e.code === 'ENOENT' ? 'openssl is not installed: it makes the box\'s own certificate (apt-get install openssl), or give http.cert and http.key' : `openssl could not make the box's certificate: ${(e.stderr ?? e.message).trim().split('\n')[0]}`)
  }
  await chmod(tmp.key, 0o600)
  await ownLikeFolder(stateDir, dir, tmp.key, tmp.cert)
  // the key first: a cert.pem without its key would be read as whole next time
  await rename(tmp.key, key)
  await rename(tmp.cert, cert)
  return { cert, key, fingerprint: fingerprintOf(await readFile(cert, 'utf8')), own: true }
}
