/**
 * `linewatch run` as the installer runs it: a separate process, a config file,
 * a broker; SIGTERM stops it cleanly within 2 s.
 */
import { readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t, { type Test } from 'tap'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { waitFor } from '../helpers/flush.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { freePort, missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'
import { linewatch, sigterm, type Running } from '../helpers/cli.js'

/** `auth` '' keeps the default (a login required); ', auth: none' opens the loopback server. */
async function configFile(mqttUrl: string, httpPort: number, auth = ''): Promise<string> {
  const dir = tempDir(t, 'lw-run-')
  const file = join(dir, 'linewatch.yaml')
  await writeFile(
    file,
    `site: shop2
box: b1
board: sim
modems:
  - { id: sim1, port: "sim:sim1", pollSeconds: 1, commandTimeoutMs: 500 }
  - { id: gone, port: /dev/ttyLINEWATCH-ABSENT }
lines:
  - { id: gsm1, kind: gsm, modem: sim1 }
  - { id: gsm2, kind: gsm, modem: gone }
mqtt: { url: "${mqttUrl}", reconnectMinMs: 200, reconnectMaxMs: 2000 }
http: { host: 127.0.0.1, port: ${httpPort}${auth} }
storage: { dir: "${join(dir, 'state')}" }
`,
  )
  return file
}

const run = (file: string) => Object.assign(linewatch(['run', '--config', file]), { configFile: file })

async function stopWithSigterm(t: Test, r: Running): Promise<void> {
  const { code, ms } = await sigterm(r)
  t.equal(code, 0, 'exit code 0 after SIGTERM')
  t.ok(ms < 2000, `stopped within 2 s (took ${ms} ms)`)
}

t.test('run: a missing serial port makes that modem down while the rest runs; SIGTERM publishes offline and exits', async (t) => {
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  t.teardown(() => broker.close())
  const httpPort = await freePort()
  const watch = await MqttWatch.open(broker.url, 'linewatch/shop2/b1/#')
  t.teardown(() => watch.close())
  const r = run(await configFile(broker.url, httpPort))
  t.teardown(() => r.proc.kill('SIGKILL'))
  const base = 'linewatch/shop2/b1'
  await watch.until((w) => (w.last(`${base}/line/gsm1`) as { state?: string })?.state === 'up', 'gsm1 up', 15000)
  await watch.until((w) => (w.last(`${base}/modem/gone`) as { state?: string })?.state === 'down', 'modem gone down')
  t.match(watch.last(`${base}/modem/gone`), { state: 'down', reason: /\/dev\/ttyLINEWATCH-ABSENT/ })
  // the line follows its modem on the next evaluation, not in the same message
  await watch.until((w) => (w.last(`${base}/line/gsm2`) as { state?: string })?.state === 'down', 'line gsm2 down')
  t.match(watch.last(`${base}/line/gsm2`), { state: 'down', reason: /modem gone: port/ })
  t.equal(watch.last(`${base}/status`), 'online')
  // secure by default: a token made by `linewatch token add` (the running box notices it), a password by `linewatch passwd`
  const url = `http://127.0.0.1:${httpPort}`
  t.same(await (await fetch(`${url}/healthz`)).json(), { ok: true }, '/healthz: up, nothing more')
  t.equal((await fetch(`${url}/api/v1/health`)).status, 401, 'the rest needs a credential')
  const made = linewatch(['token', 'add', 'office', '--scope', 'read', '--config', r.configFile])
  t.equal((await made.exited).code, 0, made.output())
  const token = /^lwt_\S+$/m.exec(made.output())?.[0]
  t.ok(token, 'the token is printed once')
  const health = (await (await fetch(`${url}/api/v1/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as { ok: boolean; mqtt: string }
  t.same([health.ok, health.mqtt], [true, 'connected'])
  t.equal((await fetch(`${url}/api/v1/panel/silence`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, 403, 'a read token cannot silence')
  const passwd = linewatch(['passwd', '--role', 'operator', 'ops', '--config', r.configFile])
  passwd.proc.stdin!.end('a long password 1\n')
  t.equal((await passwd.exited).code, 0, passwd.output())
  const login = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=ops&password=a%20long%20password%201' })
  t.equal(login.status, 303, 'the password set from the console logs in')
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  t.equal((await fetch(`${url}/`, { headers: { cookie } })).status, 200)
  const revoke = linewatch(['token', 'revoke', 'office', '--config', r.configFile])
  t.equal((await revoke.exited).code, 0)
  t.equal((await fetch(`${url}/api/v1/health`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'revoked: refused at once')
  await stopWithSigterm(t, r)
  await watch.until((w) => w.last(`${base}/status`) === 'offline', 'offline published')
  t.notMatch(r.output(), /error while stopping|took too long/)
})

t.test('run: an unreachable broker blocks nothing; SIGTERM still exits at once', async (t) => {
  const httpPort = await freePort()
  // port 1: nothing listens there (and nothing else in the suite can take it)
  const r = run(await configFile('mqtt://127.0.0.1:1', httpPort, ', auth: none'))
  t.teardown(() => r.proc.kill('SIGKILL'))
  let state: { lines?: Record<string, { state: string }> } = {}
  await waitFor(async () => {
    state = (await fetch(`http://127.0.0.1:${httpPort}/api/v1/state`).then((x) => x.json()).catch(() => ({}))) as typeof state
    return state.lines?.gsm1?.state === 'up'
  }, 15000, 'the box to run without a broker')
  const health = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`)).json()) as { mqtt: string }
  t.equal(health.mqtt, 'disconnected')
  await stopWithSigterm(t, r)
  // what the box wrote is its own: the outbox (events waiting for the broker) and the rest
  const stateDir = join(dirname(r.configFile), 'state')
  t.equal((await stat(stateDir)).mode & 0o777, 0o700, 'the state folder: the service user only')
  const files = (await readdir(stateDir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile())
  t.ok(files.some((f) => f.name === 'journal.log'), 'the journal (the outbox and the alerts) was written')
  for (const f of files) t.equal((await stat(join(f.path, f.name))).mode & 0o777, 0o600, `${f.name}: 0600`)
})

t.test('run: SIGTERM against mosquitto is a clean DISCONNECT, so the last will is not sent', { skip: missing('mosquitto') }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const watch = await MqttWatch.open(broker.url, 'linewatch/shop2/b1/status')
  t.teardown(() => watch.close())
  const r = run(await configFile(broker.url, await freePort()))
  t.teardown(() => r.proc.kill('SIGKILL'))
  await watch.until((w) => w.last('linewatch/shop2/b1/status') === 'online', 'online', 15000)
  await stopWithSigterm(t, r)
  await watch.until((w) => w.last('linewatch/shop2/b1/status') === 'offline', 'offline')
  await waitFor(() => broker.log.some((l) => /Received DISCONNECT from linewatch-shop2-b1/.test(l)), 3000, 'a clean DISCONNECT in the broker log')
  t.pass('the broker saw a clean DISCONNECT')
  t.notOk(broker.log.some((l) => /Client linewatch-shop2-b1 closed its connection|disconnected, not authorised|Socket error on client linewatch/.test(l)), 'not a dropped connection')
})

t.test('run: a bad config file is refused with path and line, exit 1', async (t) => {
  const dir = tempDir(t, 'lw-run-bad-')
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, 'site: s\nbox: b\nboard: pi9\n')
  const r = run(file)
  const { code } = await r.exited
  t.equal(code, 1)
  t.match(r.output(), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 problem\\(s\\)\n`), 'headed FILE: N problem(s), as docs/cli.md says')
  t.match(r.output(), /board: must be one of: sim, pi-3b-plus, pi-4b, pi-5, cm4, pi-zero-2w, firmata \(line 3\)/)
  t.match(r.output(), /the panel cannot show the error either/, 'no usable panel: exit at once')
})

t.test('run: an HTTP port already taken is one clear line and exit 1, nothing left running', async (t) => {
  const { createServer } = await import('node:net')
  const busy = createServer()
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
  t.teardown(() => busy.close())
  const port = (busy.address() as { port: number }).port
  const r = run(await configFile('mqtt://127.0.0.1:1', port))
  t.teardown(() => r.proc.kill('SIGKILL'))
  const { code } = await r.exited
  t.equal(code, 1)
  t.match(r.output(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`))
  t.notMatch(r.output(), /\n\s+at /, 'no stack trace')
})
