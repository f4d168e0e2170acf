/**
 * The office link over TLS with a real mosquitto: the box checks the broker's
 * certificate against the site's CA (mqtt.ca), logs in with a client
 * certificate (mqtt.cert, mqtt.key) and a password kept in a file of its own
 * (mqtt.passwordFile), and refuses a broker its CA did not sign. The secret
 * files are read when the config is loaded; one that cannot be read is a
 * config problem naming the file, never its contents.
 */
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { ConfigError, loadConfig } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { checkMqtt } from '../../src/doctor/checks.js'
import { waitFor } from '../helpers/flush.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto') || missing('openssl') || missing('mosquitto_passwd')
const PASSWORD = 'box-s3cret-pass'


t.test('mqtts with the site CA, a client certificate and a password from a file', { skip }, async (t) => {
  const dir = tempDir(t, 'lw-tls-')
  // the -extfile of each certificate comes on stdin: write them as files instead
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=site-ca')
  for (const [who, ext] of [['broker', 'subjectAltName=IP:127.0.0.1'], ['box', 'extendedKeyUsage=clientAuth']] as const) {
    await writeFile(join(dir, `${who}.ext`), `${ext}\n`)
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`)
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`)
  }
  // another CA, for a broker the box must not trust
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=other-ca')
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'box1', PASSWORD], { stdio: 'ignore' })
  const broker = await startMosquitto('127.0.0.1', [
    `cafile ${join(dir, 'ca.pem')}`, `certfile ${join(dir, 'broker.pem')}`, `keyfile ${join(dir, 'broker.key')}`,
    'require_certificate true', `password_file ${join(dir, 'passwd')}`, 'allow_anonymous false',
  ])
  t.teardown(() => broker.stop())
  await writeFile(join(dir, 'mqtt.pass'), `${PASSWORD}\n`)
  const config = (mqtt: string) => `site: shop1\nbox: b1\nboard: sim\nmqtt: { url: "${broker.url}", username: box1, ${mqtt}, reconnectMinMs: 200 }\nhttp: { host: 127.0.0.1, port: 0 }\nstorage: { dir: "${join(dir, 'state')}" }\n`
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, config('passwordFile: mqtt.pass, ca: ca.pem, cert: box.pem, key: box.key'))

  const loaded = await loadConfig(file)
  t.equal(loaded.mqtt.password, PASSWORD, 'the password read from its file (first line)')
  t.match(await checkMqtt(loaded, 3000), { status: 'ok', detail: /connected as box1/ }, 'doctor: the broker takes the login')
  const box = new Box({ config: loaded, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  await waitFor(() => box.mqtt.connected, 10_000, 'the box on the broker over TLS')
  t.notMatch(JSON.stringify(box.store.snapshot), new RegExp(PASSWORD), 'the password is nowhere in the state')

  await writeFile(file, config('passwordFile: mqtt.pass, ca: other.pem, cert: box.pem, key: box.key'))
  t.match(await checkMqtt(await loadConfig(file), 3000), { status: 'fail' }, 'a broker the site CA did not sign is refused')
  await writeFile(file, config('passwordFile: mqtt.pass, ca: ca.pem'))
  t.match(await checkMqtt(await loadConfig(file), 3000), { status: 'fail' }, 'without the client certificate the broker refuses the box')
})

t.test('secret files: unreadable, or given twice, are config problems that name the file, never its contents', async (t) => {
  const dir = tempDir(t, 'lw-secrets-')
  const file = join(dir, 'linewatch.yaml')
  const base = 'site: s\nbox: b\nboard: sim\n'
  const refused = async () => {
    const err = await loadConfig(file).then(() => null, (e: unknown) => e)
    t.ok(err instanceof ConfigError, 'a config error')
    return (err as ConfigError).message
  }
  await writeFile(file, `${base}mqtt: { passwordFile: missing.pass }\n`)
  t.match(await refused(), `mqtt.passwordFile: cannot read ${join(dir, 'missing.pass')}: ENOENT`)
  await writeFile(join(dir, 'token'), 'root:x:0:0:root:/root:/bin/bash\nsecond line\n')
  await writeFile(file, `${base}http: { token: "0123456789abcdef", tokenFile: token }\n`)
  const twice = await refused()
  t.match(twice, /http\.tokenFile: give the secret inline or in a file, not both/)
  t.notMatch(twice, /root:x/, 'the file\'s contents are not echoed')
  await writeFile(file, `${base}mqtt: { ca: nowhere.pem, cert: box.pem }\n`)
  const tls = await refused()
  t.match(tls, /mqtt\.ca: cannot read .*nowhere\.pem: ENOENT/)
  t.match(tls, /mqtt\.key: missing: a client certificate needs both cert and key/)
  await writeFile(join(dir, 'hook.token'), 'hook-token-123\n')
  await writeFile(file, `${base}sitePhone: { webhook: { url: "https://example.invalid/hook", tokenFile: hook.token } }\n`)
  t.equal((await loadConfig(file)).sitePhone.webhook?.token, 'hook-token-123')
})
