/**
 * linewatch doctor: what an installer gets wrong, each found with its fix —
 * a wrong serial port, a missing SIM, an unreachable broker, a config error,
 * a Modbus device that does not answer, a GPIO line another program holds —
 * and a healthy box found healthy. Simulated modems and slaves (`sim:`
 * ports) and an embedded broker; the CLI as a child process.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig, validateConfigText } from '../../src/config/index.js'
import { systemClock } from '../../src/core/clock.js'
import { checkGpio, checkHeadroom, checkWebLogin } from '../../src/doctor/checks.js'
import { Credentials } from '../../src/auth/credentials.js'
import { exitCode, formatTable, runChecks, type CheckResult } from '../../src/doctor/index.js'
import { simulatorFor } from '../../src/sim/binding.js'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { linewatch } from '../helpers/cli.js'
import { FakeGpioChip } from '../helpers/fake-gpio-chip.js'
import { tempDir } from '../helpers/tmp.js'

function yaml(dir: string, mqttUrl: string, extra = ''): string {
  return `site: shop1
box: b1
board: sim
modems:
  - { id: good, port: "sim:good", commandTimeoutMs: 1000 }
  - { id: nosim, port: "sim:nosim", commandTimeoutMs: 1000 }
  - { id: wrong, port: /dev/ttyLINEWATCH-ABSENT }
mqtt: { url: "${mqttUrl}" }
storage: { dir: "${join(dir, 'state')}" }
${extra}`
}

const find = (rs: CheckResult[], check: string) => rs.find((r) => r.check === check)

t.test('a wrong serial port, a missing SIM and an unreachable broker, each with its fix', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, yaml(dir, 'mqtt://127.0.0.1:1'))
  const config = await loadConfig(file)
  const sim = simulatorFor(config, systemClock)!
  sim.get('nosim')!.simPresent = false
  const rs = await runChecks({ file, simulator: sim, timeoutMs: 1500 })
  t.match(find(rs, 'config'), { status: 'ok' })
  t.match(find(rs, 'modem good: SIM'), { status: 'ok', detail: 'ready' })
  t.match(find(rs, 'modem good: network'), { status: 'ok', detail: /registered/ })
  t.match(find(rs, 'modem nosim: SIM'), { status: 'fail', detail: 'not ready: SIM not inserted', fix: /insert the SIM card/ })
  t.equal(find(rs, 'modem nosim: network'), undefined, 'nothing more asked of a modem without its SIM')
  // said once, plainly: not "/dev/x cannot be opened: /dev/x: Error: No such file or directory, cannot open /dev/x"
  t.match(find(rs, 'modem wrong: port'), { status: 'fail', detail: '/dev/ttyLINEWATCH-ABSENT does not exist', fix: /modems\[\]\.port.*by-id/ })
  t.match(find(rs, 'mqtt'), { status: 'fail', detail: 'mqtt://127.0.0.1:1: not reachable: nothing listens on that port (connection refused)', fix: /check mqtt\.url/ })
  t.equal(exitCode(rs), 1)
  const table = formatTable(rs)
  t.match(table, /FAIL  modem nosim: SIM\s+not ready: SIM not inserted\n\s+→ insert the SIM card/)
  for (const r of rs) {
    const text = `${r.detail} ${r.fix ?? ''}`
    t.notMatch(text, /Error:|\bE[A-Z]{4,}\b|AT\+C/, `${r.check}: no error class, errno or AT command in what an installer reads`)
  }
  t.match(table, /\d+ ok, \d+ warnings, 3 failed/)

  // a SIM with a PIN lock: the fix names the key, and the doctor sends no PIN (it would spend a try)
  sim.get('nosim')!.simPresent = true
  sim.get('nosim')!.setSimPin('4721')
  const locked = find(await runChecks({ file, simulator: sim, timeoutMs: 1500 }), 'modem nosim: SIM')
  t.match(locked, { status: 'fail', detail: 'not ready: SIM PIN', fix: /modems\[\]\.simPinFile/ })
  t.equal(sim.get('nosim')!.pinTriesLeft, 3, 'no PIN tried')
})

t.test('a healthy box: every check ok, exit 0', async (t) => {
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  t.teardown(() => broker.close())
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  const text = yaml(dir, broker.url).replace(/  - \{ id: nosim.*\n  - \{ id: wrong.*\n/, '')
  await writeFile(file, `${text}panel:\n  lamps: [{ id: sys, source: system, green: 2, red: 3 }]\n  modbus: { port: "sim:stack", slaveId: 4, coils: { red: 0, green: 1 } }\n`)
  await new Credentials(join(dir, 'state', 'credentials.json')).setPassword('admin', 'a web password', 'admin', 0)
  const rs = await runChecks({ file, timeoutMs: 1500 })
  t.same(rs.filter((r) => r.status === 'fail' || r.status === 'warn'), [], 'no failure, no warning')
  t.match(find(rs, 'mqtt'), { status: 'ok', detail: /connected/ })
  t.match(find(rs, 'modbus: stack light'), { status: 'ok', detail: 'sim:stack slave 4 answers' })
  t.match(find(rs, 'web login'), { status: 'ok', detail: '1 web user(s) (admin: admin), 0 API token(s)' })
  t.equal(exitCode(rs), 0)
})

t.test('a Modbus device that does not answer: the fix names slave id, baud rate, wiring', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, `site: s\nbox: b\nboard: sim\nmqtt: { url: "mqtt://127.0.0.1:1" }\nstorage: { dir: "${join(dir, 'state')}" }\npanel:\n  modbus: { port: "sim:stack", slaveId: 4, timeoutMs: 200, coils: { red: 0, green: 1 } }\n`)
  const sim = simulatorFor(await loadConfig(file), systemClock)!
  sim.modbusLink('stack', 4).destroy()
  sim.modbus.get('stack')!.setAnswering(false)
  const rs = await runChecks({ file, simulator: sim, timeoutMs: 500 })
  t.match(find(rs, 'modbus: stack light'), { status: 'fail', detail: /no answer/, fix: /slave id \(4\).*A\/B wires/ })
})

t.test('GPIO: each configured line requested and let go; one held elsewhere is a failure with its fix', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, `site: s\nbox: b\nboard: pi-4b\npanel:\n  lamps: [{ id: sys, source: system, green: GPIO17, red: pin13 }]\n  button: { pin: GPIO26 }\n`)
  const config = await loadConfig(file)
  const chip = new FakeGpioChip()
  chip.requestOutput(27, 0) // another program has GPIO27
  const rs = checkGpio(config, () => chip)
  t.match(rs, [
    { check: 'gpio: chip', status: 'ok' },
    { check: 'gpio: GPIO17', status: 'ok', detail: 'lamp sys green: usable' },
    { check: 'gpio: GPIO27', status: 'fail', detail: /lamp sys red: .*EBUSY/, fix: /gpioinfo/ },
    { check: 'gpio: GPIO26', status: 'ok' },
  ])
  t.equal(chip.requested.size, 1, 'the doctor let go of every line it took')
  t.match(checkGpio(config, () => { throw new Error('no chip labelled pinctrl-bcm2711') }), [{ status: 'fail', fix: /board: in linewatch.yaml must match the hardware/ }])
})

t.test('a modem that does not answer AT: said once, with the fix', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, yaml(dir, 'mqtt://127.0.0.1:1').replace(/  - \{ id: nosim.*\n  - \{ id: wrong.*\n/, ''))
  const sim = simulatorFor(await loadConfig(file), systemClock)!
  sim.get('good')!.setAnswering(false)
  const rs = await runChecks({ file, simulator: sim, timeoutMs: 300 })
  t.match(find(rs, 'modem good: AT'), { status: 'fail', detail: 'no answer in 0.3 s', fix: /not the modem's AT port/ })
})

t.test('a port another program holds, or one the user may not open', async (t) => {
  const { checkModem } = await import('../../src/doctor/checks.js')
  const { LinewatchError, ErrorCode } = await import('../../src/core/errors.js')
  const { openFailureReason } = await import('../../src/hw/serial.js')
  const failing = (bindingsText: string) => ({
    open: async (path: string) => {
      const reason = openFailureReason(new Error(bindingsText))
      throw new LinewatchError(ErrorCode.SERIAL_OPEN_FAILED, `${path}: ${reason.text}`, reason)
    },
  })
  const m = { id: 'gsm1', port: '/dev/gsm-gw1', baudRate: 115200 } as Parameters<typeof checkModem>[0]
  // the texts are serialport's (bindings-cpp) own
  t.match(await checkModem(m, failing('Error Resource temporarily unavailable Cannot lock port') as never), [{ status: 'warn', detail: '/dev/gsm-gw1 is in use', fix: /systemctl stop linewatch/ }])
  t.match(await checkModem(m, failing('Error: Permission denied, cannot open /dev/gsm-gw1') as never), [{ status: 'fail', detail: '/dev/gsm-gw1: permission denied', fix: /dialout/ }])
  t.match(await checkModem(m, failing('Error: Input/output error, cannot open /dev/gsm-gw1') as never), [{ status: 'fail', detail: '/dev/gsm-gw1 cannot be opened: Input/output error' }])
})

t.test('the clock: synchronised, not, or why it cannot be read', async (t) => {
  const { checkClock } = await import('../../src/doctor/checks.js')
  t.match(checkClock(() => ({ ok: true, out: 'yes\n' })), { status: 'ok', detail: /^synchronised/ })
  t.match(checkClock(() => ({ ok: true, out: 'no\n' })), { status: 'fail', fix: /systemd-timesyncd/ })
  // the real timedatectl on this machine: installed without systemd running (a container), or absent
  const real = checkClock()
  if (real.status === 'skip') t.match(real.detail, /^(timedatectl is not installed|systemd is not running here|timedatectl failed: )/, `says why: ${real.detail}`)
  else t.match(real, { status: /ok|fail/ }, 'systemd answers here')
  t.notMatch(real.detail, /not available here/, 'not the old vague line')
})

t.test('disk and memory headroom', async (t) => {
  const dir = tempDir(t)
  t.match(await checkHeadroom(dir, { free: 512 * 1024 * 1024, total: 1024 * 1024 * 1024 }), [{ check: 'disk' }, { check: 'memory', status: 'ok' }])
  t.match(await checkHeadroom(join(dir, 'absent'), { free: 10 * 1024 * 1024, total: 1024 * 1024 * 1024 }), [
    { check: 'disk', status: 'fail', fix: /writable by the service user/ },
    { check: 'memory', status: 'warn' },
  ])
})

t.test('the CLI: a config error with its line, as a table and as JSON; exit 1', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, 'site: s\nbox: b\nboard: sim\nmodems:\n  - { id: m1, port: /dev/x, baud: 9600 }\n')
  const r = linewatch(['doctor', '--config', file])
  t.equal((await r.exited).code, 1)
  t.match(r.output(), new RegExp(`FAIL  config  modems\\[0\\]\\.baud: unknown key "baud"\\n\\s+→ edit ${file} at line 5`))
  const j = linewatch(['doctor', '--config', file, '--json'])
  t.equal((await j.exited).code, 1)
  t.match(JSON.parse(j.output()), { ok: false, checks: [{ check: 'config', status: 'fail' }] })
})

t.test('the web login: no password yet (a warning with the ways to set one), a damaged file (a failure), open on loopback', async (t) => {
  const dir = tempDir(t)
  const config = (http: string) => validateConfigText(`site: s\nbox: b\nboard: sim\n${http}`).config!
  const none = checkWebLogin(config(''), dir)
  t.match(none, { status: 'warn', detail: /no web password set: the page's first setup \(\/setup\) is open for 30 min after the service starts/, fix: /sudo linewatch passwd, or web-password.txt/ })
  await writeFile(join(dir, 'credentials.json'), 'not json')
  t.match(checkWebLogin(config(''), dir), { status: 'fail', detail: /nobody can log in/ })
  t.match(checkWebLogin(config('http: { host: 127.0.0.1, auth: none }\n'), dir), { status: 'ok', detail: /open to anyone on 127\.0\.0\.1/ })
})

t.test("the config the office sent: checked when the box runs on it, a warning when it does not load", async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'linewatch.yaml')
  const mine = `site: shop1\nbox: b1\nboard: sim\nmqtt: { url: "mqtt://127.0.0.1:1" }\nstorage: { dir: "${join(dir, 'state')}" }\n`
  await writeFile(file, mine)
  const { mkdir, utimes } = await import('node:fs/promises')
  await mkdir(join(dir, 'state'), { recursive: true })
  const office = join(dir, 'state', 'office-config.yaml')
  await writeFile(office, `${mine}modems:\n  - { id: pushed, port: "sim:pushed", commandTimeoutMs: 1000 }\n`)
  const older = new Date(Date.now() - 60_000)
  await utimes(file, older, older)
  let rs = await runChecks({ file, timeoutMs: 1000 })
  t.match(rs.filter((r) => r.check === 'config')[1], { status: 'ok', detail: `the box runs on the config the office sent (reload-config), ${office}: valid` })
  t.ok(find(rs, 'modem pushed: SIM'), "the office's modem is the one checked")
  await writeFile(office, 'site: [')
  await utimes(file, older, older)
  rs = await runChecks({ file, timeoutMs: 1000 })
  t.match(rs.filter((r) => r.check === 'config')[1], { status: 'warn', detail: /does not load .*YAML.*: the box runs on / })
  t.notOk(find(rs, 'modem pushed: SIM'))
})

t.test("an uplink's probes: judged by the box's own rule (probes.failWhen), not only all or none", async (t) => {
  const { checkUplinks } = await import('../../src/doctor/checks.js')
  const configWith = (failWhen: string) =>
    validateConfigText(
      `site: s\nbox: b\nboard: sim\nfailover: { routes: report }\nuplinks:\n  - id: wan1\n    interface: lo\n    probes:\n      targets: [{ type: icmp, host: 192.0.2.1 }, { type: icmp, host: 192.0.2.2 }, { type: icmp, host: 192.0.2.3 }]\n${failWhen}`,
    ).config!
  // the first `failing` targets do not answer
  const prober = (failing: number) => async (target: { host?: string }) => ({ ok: Number(target.host!.split('.')[3]) > failing, rttMs: 1 })
  const status = async (failWhen: string, failing: number) => (await checkUplinks(configWith(failWhen), prober(failing) as never))[0]!
  t.equal((await status('', 0)).status, 'ok')
  t.equal((await status('      failWhen: 2\n', 1)).status, 'warn', 'one of three, failWhen 2: the round still passes')
  const two = await status('      failWhen: 2\n', 2)
  t.equal(two.status, 'fail', 'two of three with failWhen 2: the box counts the round as failed')
  t.match(two.fix, /2 of 3 targets do not answer, and the box counts a round as failed at 2 \(probes\.failWhen\)/)
  t.equal((await status('', 2)).status, 'warn', 'two of three, failWhen left out (all): the round passes')
  t.equal((await status('', 3)).status, 'fail')
})
