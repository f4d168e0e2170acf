/**
 * systemd's notify protocol and the watchdog: the messages, the interval
 * systemd asks for, petting only while healthy; then the real systemd-notify
 * against a stand-in notify socket (a Python script that reads datagrams and
 * closes the barrier fd as systemd does), with `linewatch run` as the sender.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { SystemdNotifier, type Spawner } from '../../src/core/sd-notify.js'
import { Watchdog } from '../../src/core/watchdog.js'
import { linewatch, sigterm } from '../helpers/cli.js'
import { waitFor } from '../helpers/flush.js'
import { freePort, missing } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

function recorder(code: number | null = 0) {
  const calls: string[][] = []
  const spawner: Spawner = async (cmd, args) => {
    calls.push([cmd, ...args])
    return code
  }
  return { calls, spawner }
}

t.test('no NOTIFY_SOCKET: no notifier', async (t) => {
  t.equal(SystemdNotifier.fromEnv(silentLogger(), {}), null)
})

t.test('messages go through systemd-notify with the box as main PID; the watchdog interval from the environment', async (t) => {
  const r = recorder()
  const n = SystemdNotifier.fromEnv(silentLogger(), { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000' }, r.spawner, 4242)!
  t.equal(await n.ready('watching 2 lines'), true)
  await n.watchdog()
  await n.status('two\nlines')
  t.same(r.calls, [
    ['systemd-notify', '--pid=4242', 'READY=1', 'STATUS=watching 2 lines'],
    ['systemd-notify', '--pid=4242', 'WATCHDOG=1'],
    ['systemd-notify', '--pid=4242', 'STATUS=two lines'],
  ])
  t.equal(n.watchdogMs, 30000)
  t.equal(SystemdNotifier.fromEnv(silentLogger(), { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, r.spawner, 4242)!.watchdogMs, null, 'a watchdog meant for another process')
  t.equal(SystemdNotifier.fromEnv(silentLogger(), { NOTIFY_SOCKET: '/x' }, r.spawner)!.watchdogMs, null, 'no WatchdogSec=')
  const failing = SystemdNotifier.fromEnv(silentLogger(), { NOTIFY_SOCKET: '/x' }, recorder(1).spawner)!
  t.equal(await failing.ready('x'), false, 'a failed systemd-notify is false, not a throw')
})

t.test('the watchdog: pets at half the interval while healthy, withholds while something is stuck', async (t) => {
  const clock = new FakeClock()
  const sent: string[] = []
  let problem: string | null = null
  const dog = new Watchdog({ notifier: { watchdog: async () => (sent.push('WATCHDOG'), true), status: async (s) => (sent.push(s), true) }, intervalMs: 20_000, clock, log: silentLogger(), problem: () => problem })
  dog.start()
  clock.advance(30_000)
  t.equal(dog.pets, 4, 'at start, then every 10 s')
  problem = 'modem gsm1: poll running for 300 s'
  clock.advance(30_000)
  t.equal(dog.pets, 4, 'no pet while stuck: systemd restarts the service after WatchdogSec')
  t.ok(sent.includes('unhealthy: modem gsm1: poll running for 300 s'), 'the status says why')
  problem = null
  clock.advance(10_000)
  t.equal(dog.pets, 5)
  t.equal(sent.at(-2), 'running')
  dog.stop()
  t.equal(clock.pending, 0)
})

const why = missing('python3') || missing('systemd-notify')
t.test('linewatch run under a notify socket: READY=1 once started, then WATCHDOG=1 (real systemd-notify)', { skip: why && `${why}` }, async (t) => {
  const dir = tempDir(t)
  const sock = join(dir, 'notify.sock')
  const listener = spawn('python3', [new URL('../helpers/notify-socket.py', import.meta.url).pathname, sock], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => listener.kill('SIGKILL'))
  let heard = ''
  listener.stdout.on('data', (d: Buffer) => (heard += d.toString()))
  await waitFor(() => heard.includes('listening'), 5000, 'the notify socket')
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, `site: s\nbox: b\nboard: sim\nmodems:\n  - { id: m1, port: "sim:m1" }\nmqtt: { url: "mqtt://127.0.0.1:1" }\nhttp: { host: 127.0.0.1, port: ${await freePort()} }\nstorage: { dir: "${join(dir, 'state')}" }\n`)
  process.env.NOTIFY_SOCKET = sock
  process.env.WATCHDOG_USEC = '2000000'
  const r = linewatch(['run', '--config', file])
  delete process.env.NOTIFY_SOCKET
  delete process.env.WATCHDOG_USEC
  t.teardown(() => r.proc.kill('SIGKILL'))
  await waitFor(() => heard.includes('READY=1'), 15000, 'READY=1')
  t.match(heard, new RegExp(`MAINPID=${r.proc.pid}\\nREADY=1\\nSTATUS=watching 0 lines, 1 modems`))
  await waitFor(() => (heard.match(/WATCHDOG=1/g) ?? []).length >= 3, 5000, 'three watchdog pets (one a second)')
  const stop = await sigterm(r)
  t.equal(stop.code, 0)
  await waitFor(() => heard.includes('STOPPING=1'), 2000, 'STOPPING=1')
})
