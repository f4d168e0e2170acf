/**
 * The office's commands that act on the box's parts (alert-ack, alert-clear,
 * restart-modem, sim-balance) and reload-config with its rollback, driven as
 * the office drives them: over MQTT 5 through a real mosquitto, against the
 * box on simulated hardware.
 */
import { readFile, utimes, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import t, { type Test } from 'tap'
import { Box } from '../../src/app.js'
import { BoxRunner, OFFICE_CONFIG, runConfig } from '../../src/config/reload.js'
import { loadConfig } from '../../src/config/index.js'
import { systemClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { modemAction } from '../../src/sim/controls.js'
import { waitFor } from '../helpers/flush.js'
import { freePort, missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

type Heard = { topic: string; body: Record<string, unknown> }

/** The office: QoS 1, MQTT 5, every result and alert of the box heard. */
async function office(t: Test, url: string, base: string): Promise<{ client: MqttClient; heard: Heard[]; send(name: string, body: object): Promise<Record<string, unknown>> }> {
  const client = await mqtt.connectAsync(url, { clientId: `office-${Math.random().toString(16).slice(2)}`, protocolVersion: 5 })
  t.teardown(() => client.endAsync(true))
  const heard: Heard[] = []
  client.on('message', (topic, payload) => heard.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> }))
  await client.subscribeAsync([`${base}/cmd/+/result`, `${base}/alert`], { qos: 1 })
  const send = async (name: string, body: object) => {
    const id = (body as { id: string }).id
    const before = heard.length
    await client.publishAsync(`${base}/cmd/${name}`, JSON.stringify(body), { qos: 1 })
    const mine = () => heard.slice(before).filter((h) => h.topic === `${base}/cmd/${name}/result` && h.body.id === id)
    await waitFor(() => mine().length > 0, 40_000, `the result of ${name} ${id}`)
    return mine()[0]!.body
  }
  return { client, heard, send }
}

const configText = (opts: { broker: string; state: string; extra?: string; line?: string }) => `site: shop1
box: b1
board: sim
modems:
  - { id: gsm1, port: "sim:gsm1", bootWaitSeconds: 5 }
lines:
  - { id: ${opts.line ?? 'gsm-line'}, kind: gsm, modem: gsm1, numbers: ["+79160000001"] }
mqtt: { url: "${opts.broker}" }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${opts.state}" }
${opts.extra ?? ''}`

t.test('alert-ack, alert-clear, restart-modem and sim-balance over MQTT 5', { skip: missing('mosquitto') }, async (t) => {
  t.setTimeout(180_000)
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const dir = tempDir(t, 'lw-office-cmd-')
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, configText({ broker: broker.url, state: join(dir, 'state'), extra: 'panel: { buzzer: { pin: 6 } }' }))
  const box = new Box({ config: await loadConfig(file), log: silentLogger(), configDir: dir })
  t.teardown(() => box.stop())
  await box.start()
  await waitFor(() => box.mqtt.connected, 5000, 'the box on the broker')
  await box.settled()
  const { client, heard, send } = await office(t, broker.url, box.mqtt.base)
  await new Promise((r) => setTimeout(r, 300)) // the box's SUBACK for cmd/+

  // a command published retained is ignored while the box listens too (MQTT 5 keeps the flag), and so is its
  // deletion (an empty retained payload): commands are handled in order, so a live one after each answers for it
  await client.publishAsync(`${box.mqtt.base}/cmd/ping`, '{"id":"kept"}', { qos: 1, retain: true })
  t.match(await send('ping', { id: 'live1' }), { ok: true })
  await client.publishAsync(`${box.mqtt.base}/cmd/ping`, '', { qos: 1, retain: true })
  t.match(await send('ping', { id: 'live2' }), { ok: true })
  t.same(heard.filter((h) => h.topic.endsWith('/cmd/ping/result')).map((h) => h.body.id), ['live1', 'live2'], 'neither the retained command nor its deletion was answered')

  // a raised alert: the SIM's modem off the network takes the GSM line down
  modemAction(box.simulator!, 'gsm1', 'break')
  await waitFor(() => Boolean(box.store.snapshot.alerts['line/gsm-line/down']), 60_000, 'the line-down alert')
  await waitFor(() => box.store.snapshot.panel.buzzer.on, 5000, 'the buzzer sounding')

  t.match(await send('alert-clear', { id: 'k1', alert: 'line/gsm-line/down' }), { ok: false, message: /its cause is still there .*acknowledge it instead/ }, 'a live fault cannot be cleared away')
  t.ok(box.store.snapshot.alerts['line/gsm-line/down'], 'still raised')
  t.match(await send('alert-ack', { id: 'k2', alert: 'line/gsm-line/down', by: 'anna' }), { ok: true, message: 'alert line/gsm-line/down acknowledged', data: { state: 'raised', acknowledged: { by: 'anna' } } })
  await waitFor(() => heard.some((h) => h.topic.endsWith('/alert') && (h.body.acknowledged as { by?: string } | undefined)?.by === 'anna'), 5000, 'the acknowledged alert at the office')
  await waitFor(() => !box.store.snapshot.panel.buzzer.on, 5000, 'the buzzer quiet for an acknowledged alert')
  t.match(box.store.snapshot.panel.buzzer, { muted: true })
  t.match(await send('alert-ack', { id: 'k3', alert: 'line/nope/down' }), { ok: false, message: /^no raised alert "line\/nope\/down" \(raised: .*line\/gsm-line\/down/ })

  // an alert whose part left the config (kept across a restart) is what alert-clear is for
  box.store.setAlert({ id: 'line/old/down', severity: 'major', source: 'line/old', state: 'raised', message: 'line old down' })
  t.match(await send('alert-clear', { id: 'k4', alert: 'line/old/down' }), { ok: true, message: 'alert line/old/down cleared' })
  await waitFor(() => heard.some((h) => h.topic.endsWith('/alert') && h.body.id === 'line/old/down' && h.body.state === 'cleared'), 5000, 'the clear at the office')
  t.notOk(box.store.snapshot.alerts['line/old/down'])

  // the balance now, with a code of the office's own (none is configured)
  t.match(await send('sim-balance', { id: 'b1', modem: 'gsm1' }), { ok: false, message: /no balance code/ })
  t.match(await send('sim-balance', { id: 'b2', modem: 'gsm1', ussd: '*100#' }), { ok: true, message: 'Баланс: 123,45 р.', data: { amount: 123.45 } })
  t.match(box.store.get('modem', 'gsm1')?.balance, { amount: 123.45 }, "and in the modem's state")
  t.match(await send('sim-balance', { id: 'b3', modem: 'gsm1', ussd: 'AT+CFUN=0' }), { ok: false, message: /"ussd"/ }, 'not an AT command smuggled in as a code')

  // a restart the module answers
  modemAction(box.simulator!, 'gsm1', 'heal')
  const restarted = await send('restart-modem', { id: 'r1', modem: 'gsm1' })
  t.match(restarted, { ok: true, message: /^modem gsm1 restarted and set up again in \d+ s$/ })
  t.match(await send('restart-modem', { id: 'r2', modem: 'gsm1', power: true }), { ok: false, message: 'modem gsm1: no power switch wired (modems[].powerCut)' })
  // a module whose replies are stuck still obeys AT+CFUN=1,1
  modemAction(box.simulator!, 'gsm1', 'hang')
  t.match(await send('restart-modem', { id: 'r4', modem: 'gsm1' }), { ok: true, message: /restarted and set up again/ }, 'a soft hang cured from the office')
  // a module hung hard hears no AT+CFUN=1,1: the restart says it did not come back
  modemAction(box.simulator!, 'gsm1', 'mute')
  t.match(await send('restart-modem', { id: 'r3', modem: 'gsm1' }), { ok: false, message: /^modem gsm1: not set up again within 10 s of the restart$/ })
  t.match(await send('restart-modem', { id: 'r1', modem: 'gsm1' }), { ...restarted, repeated: true }, 'an id already done is not restarted again')
})

t.test('reload-config: refused when invalid, applied when healthy, rolled back when not', { skip: missing('mosquitto') }, async (t) => {
  t.setTimeout(180_000)
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const dir = tempDir(t, 'lw-reload-')
  const state = join(dir, 'state')
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, configText({ broker: broker.url, state }))
  const log = silentLogger()
  const runner = new BoxRunner({
    file,
    config: (await runConfig(file, log)).config,
    clock: systemClock,
    log,
    healthyWithinMs: 4000,
    make: (c, r) => new Box({ config: c, log, configDir: dir, reloadConfig: (req) => r.reload(req) }),
  })
  t.teardown(() => runner.box.stop())
  await runner.box.start()
  await waitFor(() => runner.box.mqtt.connected, 5000, 'the box on the broker')
  const base = runner.box.mqtt.base
  const { heard, send } = await office(t, broker.url, base)
  await new Promise((r) => setTimeout(r, 300))
  const results = (id: string) => heard.filter((h) => h.topic === `${base}/cmd/reload-config/result` && h.body.id === id).map((h) => h.body)

  t.match(await send('reload-config', { id: 'c1', config: 'site: [' }), { ok: false, message: /^the config is refused, nothing changed: .*YAML/ })
  t.match(await send('reload-config', { id: 'c2', config: configText({ broker: broker.url, state, extra: 'lines: []' }) }), { ok: false, message: /refused, nothing changed: .*Map keys must be unique/ }, 'a duplicate key')
  t.match(await send('reload-config', { id: 'c3', config: configText({ broker: broker.url, state: join(dir, 'elsewhere') }) }), { ok: false, message: /storage\.dir cannot be changed/, data: { problems: [/^storage\.dir cannot be changed/] } }, 'refused with its problems, as every refusal is')
  t.notOk(existsSync(join(state, OFFICE_CONFIG)), 'nothing written for a refused config')

  // a healthy new config: validated, restarted, applied
  const next = configText({ broker: broker.url, state, line: 'gsm-new' })
  t.match(await send('reload-config', { id: 'c4', config: next }), { ok: true, stage: 'validated' })
  await waitFor(() => results('c4').length === 2, 30_000, 'the applied result')
  t.match(results('c4')[1], { ok: true, stage: 'applied', message: 'running on the new config' })
  t.same(runner.box.config.lines.map((l) => l.id), ['gsm-new'], 'the box runs on it')
  t.equal(await readFile(join(state, OFFICE_CONFIG), 'utf8'), next, 'kept in the state folder')
  t.equal((await runConfig(file, log)).source, join(state, OFFICE_CONFIG), 'and a restart starts on it')

  // a config the box cannot be healthy on (its broker is nowhere): back on the previous one by itself
  const dead = `mqtt://127.0.0.1:${await freePort()}`
  t.match(await send('reload-config', { id: 'c5', config: configText({ broker: dead, state, line: 'gsm-dead' }) }), { ok: true, stage: 'validated' })
  await waitFor(() => results('c5').length === 2, 40_000, 'the rolled-back result')
  t.match(results('c5')[1], { ok: false, stage: 'rolled-back', message: /^not healthy on the new config within 4 s \(not connected to the MQTT broker\): back on the previous one$/ })
  t.same(runner.box.config.lines.map((l) => l.id), ['gsm-new'], 'back on the config before')
  t.equal(await readFile(join(state, OFFICE_CONFIG), 'utf8'), next, "the office's copy put back too")
  t.match(await send('reload-config', { id: 'c5' }), { stage: 'rolled-back', repeated: true }, 'the final result is the one kept for the id')

  // the installer edits the file at the box: that wins over the office's copy
  const later = new Date(Date.now() + 5000)
  await utimes(file, later, later)
  t.equal((await runConfig(file, log)).source, file)
  // and reload-config without a config reads that file
  t.match(await send('reload-config', { id: 'c6' }), { ok: true, stage: 'validated' })
  await waitFor(() => results('c6').length === 2, 30_000, 'the reload from the file')
  t.same(runner.box.config.lines.map((l) => l.id), ['gsm-line'])
})
