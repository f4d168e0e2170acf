/**
 * HTTPS: the box's own certificate made once by openssl and kept; a real
 * `linewatch run` serving it (the fingerprint doctor shows is the one the
 * client sees), plain HTTP refused on that port, the session cookie Secure.
 */
import { request } from 'node:https'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import t from 'tap'
import { Credentials } from '../../src/auth/credentials.js'
import { validateConfigText } from '../../src/config/index.js'
import { boxCertificate, httpsWanted } from '../../src/web/tls.js'
import { linewatch, sigterm } from '../helpers/cli.js'
import { waitFor } from '../helpers/flush.js'
import { freePort, missing } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('openssl')

t.test('https by default on a real board, plain on the simulator, as asked otherwise', async (t) => {
  const config = (board: string, http = '') => validateConfigText(`site: s\nbox: b\nboard: ${board}\n${http}`).config!
  t.ok(httpsWanted(config('pi-4b')))
  t.ok(httpsWanted(config('cm4')))
  t.notOk(httpsWanted(config('sim')))
  t.ok(httpsWanted(config('sim', 'http: { tls: on }\n')))
  t.notOk(httpsWanted(config('pi-5', 'http: { tls: off }\n')))
})

t.test("the box's own certificate: P-256, its host name, 0600 key; kept, and made again when damaged", { skip }, async (t) => {
  const dir = tempDir(t)
  const a = await boxCertificate(dir, 'shop1-box')
  const cert = new X509Certificate(await readFile(a.cert))
  t.match(cert.subject, /CN=shop1-box/)
  t.match(cert.subjectAltName, /DNS:shop1-box, DNS:shop1-box\.local, DNS:localhost, IP Address:127\.0\.0\.1/)
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
  t.equal((await stat(a.key)).mode & 0o777, 0o600)
  t.equal((await stat(join(dir, 'tls'))).mode & 0o777, 0o700)
  t.equal(a.fingerprint, cert.fingerprint256)
  t.equal((await boxCertificate(dir, 'shop1-box')).fingerprint, a.fingerprint, 'the same one next time')
  await writeFile(a.cert, 'half a certifi')
  const b = await boxCertificate(dir, 'shop1-box')
  t.not(b.fingerprint, a.fingerprint, 'a damaged one is made again')
  const other = await boxCertificate(tempDir(t), 'shop1-box')
  t.not(other.fingerprint, b.fingerprint, 'two boxes never share one')
})

function get(port: number, path: string, ca: Buffer, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; cert: X509Certificate; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const cert = new X509Certificate((res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw)
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, cert }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

t.test('linewatch run with http.tls: on: the fingerprint doctor shows is the one a client gets; plain HTTP refused; the cookie Secure', { skip }, async (t) => {
  const dir = tempDir(t)
  const state = join(dir, 'state')
  const port = await freePort()
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, `site: s\nbox: b\nboard: sim\nmqtt: { url: "mqtt://127.0.0.1:1" }\nhttp: { host: 127.0.0.1, port: ${port}, tls: on }\nstorage: { dir: "${state}" }\n`)
  await new Credentials(join(state, 'credentials.json')).setPassword('admin', 'admin password 1', 'admin', 0)
  const box = linewatch(['run', '--config', file])
  t.teardown(() => box.proc.kill('SIGKILL'))
  let ca: Buffer | null = null
  await waitFor(async () => {
    ca = await readFile(join(state, 'tls', 'cert.pem')).catch(() => null)
    return ca !== null && (await get(port, '/healthz', ca).then(() => true, () => false))
  }, 20_000, 'HTTPS to answer')
  const health = await get(port, '/healthz', ca!)
  t.equal(health.status, 200)
  t.same(JSON.parse(health.body), { ok: true })
  const doctor = linewatch(['doctor', '--config', file, '--json'])
  await doctor.exited
  const https = (JSON.parse(doctor.output().slice(doctor.output().indexOf('{'))) as { checks: { check: string; detail: string }[] }).checks.find((c) => c.check === 'https')
  t.equal(https?.detail, `HTTPS with the box's own certificate, SHA-256 ${health.cert.fingerprint256}: the browser shows the same`, 'doctor shows the fingerprint the client saw')
  const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, (e: Error) => e.message)
  t.not(plain, 200, `plain HTTP gets nothing (${plain})`)
  const login = await get(port, '/login', ca!, { method: 'POST', body: 'user=admin&password=admin%20password%201', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(login.status, 303)
  t.match(String(login.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Secure$/, 'the session cookie only over HTTPS')
  t.equal((await sigterm(box)).code, 0)
})
