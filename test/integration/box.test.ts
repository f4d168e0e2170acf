/**
 * The box end to end with real parts: the simulated gateway on one end of a
 * socat pseudo-terminal, the box on the other, a real mosquitto.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { systemClock } from '../../src/core/clock.js'
import { createLogger, silentLogger } from '../../src/core/logger.js'
import { pressButton } from '../../src/sim/controls.js'
import { SimIO } from '../../src/sim/gpio.js'
import { SimModem } from '../../src/sim/modem.js'
import { linkSimModem } from '../../src/sim/serial-link.js'
import { wireSimModem } from '../../src/sim/wiring.js'
import { waitFor } from '../helpers/flush.js'
import { MqttWatch, retained } from '../helpers/mqtt-watch.js'
import { missing, socatPair, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto') || missing('socat')

t.test('line breaks and heals: retained state, alert, lamp and buzzer pins; broker goes away and comes back', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const pty = await socatPair()
  t.teardown(() => pty.close())
  const sim = new SimModem({ clock: systemClock, operator: 'MTS', bootMs: 1000 })
  const link = await linkSimModem(sim, pty.gateway)
  t.teardown(() => link.close())
  const dir = tempDir(t, 'lw-int-')
  const { config, problems } = validateConfigText(`
site: shop1
box: closet
board: sim
modems:
  - { id: gw1, port: "${pty.box}", pollSeconds: 1, commandTimeoutMs: 500, bootWaitSeconds: 3, powerKey: { pin: 8, pulseMs: 300 } }
lines:
  - { id: gsm1, kind: gsm, numbers: ["+74951110001"], modem: gw1, hysteresis: { holdDownSeconds: 2 } }
panel:
  lamps: [{ id: gsm1, source: line/gsm1, green: 2, red: 3 }]
  buzzer: { pin: 6 }
  button: { pin: 7 }
mqtt: { url: "${broker.url}", reconnectMinMs: 200, reconnectMaxMs: 1000 }
http: { host: 127.0.0.1, port: 0, auth: none }
storage: { dir: "${dir}" }
`)
  t.same(problems, [])
  const base = 'linewatch/shop1/closet'
  const watch = await MqttWatch.open(broker.url, `${base}/#`, 'office-server')
  t.teardown(() => watch.close())
  // LINEWATCH_TEST_LOG=debug shows the box's log when this test needs a look inside
  const level = process.env.LINEWATCH_TEST_LOG
  const box = new Box({ config: config!, log: level ? createLogger({ level, destination: process.stderr }) : silentLogger() })
  t.teardown(() => box.stop())
  // the board's power key line soldered to the module's PWRKEY
  const io = box.io
  if (!(io instanceof SimIO)) throw new Error('board: sim gives the simulated IO plugin')
  wireSimModem(io, sim, config!.modems[0]!)
  await box.start()
  const lit = (pin: number) => (io.level(pin) > 0 ? 1 : 0)
  const alerts = () => watch.seen.filter((s) => s.topic === `${base}/alert`).map((s) => JSON.parse(s.payload) as { id: string; state: string })

  await watch.until((w) => (w.last(`${base}/line/gsm1`) as { state?: string })?.state === 'up', 'line up')
  t.equal(await retained(broker.url, `${base}/status`), 'online')
  t.match(await retained(broker.url, `${base}/modem/gw1`), { state: 'up', registration: 'home', operator: 'MTS', signal: { csq: 21, rssiDbm: -71 }, sim: 'READY' })
  await waitFor(() => lit(2) === 1 && lit(3) === 0, 3000, 'green lamp after the lamp test')
  t.same([lit(2), lit(3), lit(6)], [1, 0, 0], 'green lamp, buzzer quiet')

  // break the line: the modem loses registration
  sim.setRegistration('not-registered')
  await watch.until(() => alerts().some((a) => a.state === 'raised'), 'alert raised')
  t.match(alerts()[0], { id: 'line/gsm1/down', state: 'raised', source: 'line/gsm1', severity: 'major' })
  t.match(await retained(broker.url, `${base}/line/gsm1`), { state: 'down', reason: /not registered/ })
  // red fast blinking and the buzzer intermittent: each is seen lit, green never
  await waitFor(() => lit(3) === 1, 2000, 'red die lit')
  await waitFor(() => lit(6) === 1, 3000, 'buzzer sounding')
  t.equal(lit(2), 0, 'green dark')
  t.match(await retained(broker.url, `${base}/panel`), { lamps: [{ id: 'gsm1', color: 'red', pattern: 'fast' }], buzzer: { on: true, pattern: 'intermittent', severity: 'major' } })

  // staff press the silence button
  await pressButton(io, 7)
  await waitFor(() => lit(6) === 0, 2000, 'buzzer silenced')
  await watch.until((w) => (w.last(`${base}/panel`) as { buzzer?: { muted: boolean } })?.buzzer?.muted === true, 'panel muted on MQTT')

  // heal: registered again, but called up only after the hold-down
  sim.setRegistration('home')
  await watch.until((w) => (w.last(`${base}/line/gsm1`) as { transition?: { to: string } })?.transition?.to === 'up', 'held down, on its way up')
  t.match(box.store.get('line', 'gsm1'), { state: 'down', signals: { modem: { state: 'up' } } }, 'the modem is back; the line waits')
  await watch.until(() => alerts().some((a) => a.state === 'cleared'), 'alert cleared')
  t.match(box.store.get('line', 'gsm1'), { state: 'up', transition: null })
  t.same([lit(2), lit(3), lit(6)], [1, 0, 0])

  // an incoming call: the caller ID reaches MQTT (QoS 1 <base>/call) and the HTTP API while it rings
  const calls = () => watch.seen.filter((s) => s.topic === `${base}/call`).map((s) => JSON.parse(s.payload) as { state: string; callerId: string | null; line: string })
  sim.ring('+79161234567', { times: 1 })
  await watch.until(() => calls().some((c) => c.state === 'ringing' && c.callerId === '+79161234567'), 'call record with the caller id')
  t.match(calls().at(-1), { line: 'gsm1', callerId: '+79161234567', state: 'ringing' })
  t.match(((await fetch(`${box.httpUrl}/api/v1/calls`).then((r) => r.json())) as { calls: unknown[] }).calls.at(-1), { callerId: '+79161234567', modem: 'gw1' })
  t.match(await retained(broker.url, `${base}/modem/gw1`), { identity: { manufacturer: 'Quectel', model: 'EC25', imei: '867698041234567' } })

  // a modem that hangs hard is a dead line too, until the box brings it back by itself: deaf to
  // AT+CFUN=1,1, switched off by the first press of its key and on again by the second
  sim.hang('hard')
  await watch.until((w) => /^modem gw1: not answering/.test((w.last(`${base}/line/gsm1`) as { reason?: string })?.reason ?? ''), 'line down: not answering', 15000)
  const recoveries = () => watch.seen.filter((s) => s.topic === `${base}/event` && s.payload.includes('"type":"recovery"')).map((s) => JSON.parse(s.payload) as { step: string })
  await watch.until(() => recoveries().some((e) => e.step === 'recovered'), 'recovery event: recovered', 30000)
  t.same(recoveries().map((e) => e.step), ['soft-reset', 'power-key', 'power-key', 'recovered'])
  t.equal(sim.boots, 1, 'switched off, then on: one boot')
  await watch.until((w) => (w.last(`${base}/line/gsm1`) as { state?: string })?.state === 'up', 'line up again', 15000)

  // the broker goes away; the line breaks meanwhile; nothing QoS 1 is lost when it returns
  await broker.stop()
  await waitFor(() => !box.mqtt.connected, 5000, 'box to notice the broker is gone')
  const raisedBefore = alerts().filter((a) => a.state === 'raised').length
  sim.setRegistration('denied')
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'down', 5000, 'line down while the broker is away')
  t.equal((await fetch(`${box.httpUrl}/api/v1/health`).then((r) => r.json()) as { mqtt: string }).mqtt, 'disconnected', 'the rest of the box runs')
  await broker.start()
  await watch.until(() => alerts().filter((a) => a.state === 'raised').length > raisedBefore, 'alert raised while away is delivered', 15000)
  t.match(await retained(broker.url, `${base}/line/gsm1`), { state: 'down', reason: /denied/ }, 'state that changed while the broker was away is published on reconnect')

  // clean stop: `offline` retained, the box said goodbye (no last will)
  await box.stop()
  t.equal(await retained(broker.url, `${base}/status`), 'offline')
  await waitFor(() => broker.log.some((l) => /Received DISCONNECT from linewatch-shop1-closet/.test(l)), 3000, 'a clean MQTT DISCONNECT in the broker log')
  t.pass('clean MQTT disconnect')
})
