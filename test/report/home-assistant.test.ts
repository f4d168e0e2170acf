/**
 * Home Assistant discovery. No Home Assistant can be installed here (it is on
 * PyPI only), so the box is checked against what Home Assistant documents for
 * MQTT discovery: the topic layout, each component's keys, stable unique ids,
 * availability from `<base>/status`; and its templates are rendered with
 * Jinja2 (the engine Home Assistant uses) against the payloads the demo box
 * really retains on a real mosquitto. The buttons' payloads are pressed into
 * the box's command topics; a restart of Home Assistant (its `online` birth
 * message) brings the configs again; a line taken out of the config leaves no
 * entity behind.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Box } from '../../src/app.js'
import type { Config } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import { VERSION } from '../../src/core/version.js'
import { discoveryMessages, type DiscoveryMessage } from '../../src/report/home-assistant.js'
import { demoConfig } from '../../src/sim/demo.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { waitFor } from '../helpers/flush.js'

const BASE = 'linewatch/demo-store/box1'
const NODE = 'linewatch_demo-store_box1'

/** The keys Home Assistant documents for each MQTT platform this box uses (besides the common device/availability/origin ones). */
const COMMON = ['unique_id', 'name', 'icon', 'availability', 'device', 'origin', 'entity_category', 'json_attributes_topic', 'json_attributes_template']
const DOCUMENTED: Record<string, string[]> = {
  binary_sensor: [...COMMON, 'state_topic', 'value_template', 'device_class', 'payload_on', 'payload_off'],
  sensor: [...COMMON, 'state_topic', 'value_template', 'device_class', 'unit_of_measurement', 'state_class', 'options'],
  button: [...COMMON, 'command_topic', 'command_template', 'payload_press', 'device_class', 'retain', 'qos'],
}
const DEVICE_CLASSES: Record<string, string[]> = {
  binary_sensor: ['connectivity', 'problem'],
  sensor: ['signal_strength', 'enum', 'monetary'],
}

function config(over: (c: Config) => void = () => {}): Config {
  const c = demoConfig({ httpPort: 0 }, 'mqtt://127.0.0.1:1', mkdtempSync(join(tmpdir(), 'lw-ha-')))
  c.homeAssistant.enabled = true
  over(c)
  return c
}

const messagesOf = (c: Config, box?: Box) => discoveryMessages({ config: c, base: BASE, version: VERSION, testable: (box ? box.testCalls.testable : c.lines).map((l) => l.id) })

t.test('the discovery configs follow Home Assistant\'s documented layout', async (t) => {
  const messages = messagesOf(config())
  const topics = messages.map((m) => m.topic)
  t.equal(new Set(topics).size, topics.length, 'one config per topic')
  const ids = messages.map((m) => m.config.unique_id as string)
  t.equal(new Set(ids).size, ids.length, 'unique ids are unique')
  for (const m of messages) {
    const [prefix, component, node, object, last] = m.topic.split('/')
    t.equal(prefix, 'homeassistant')
    t.ok(component! in DOCUMENTED, `${component} is a platform the box uses`)
    t.equal(node, NODE)
    t.match(object, /^[A-Za-z0-9_-]+$/, 'the object id is a topic level Home Assistant accepts')
    t.equal(last, 'config')
    const extra = Object.keys(m.config).filter((k) => !DOCUMENTED[component!]!.includes(k))
    t.same(extra, [], `${m.topic}: only documented keys`)
    if (m.config.device_class) t.ok(DEVICE_CLASSES[component!]?.includes(m.config.device_class as string), `${m.topic}: a device class of ${component}`)
    t.same(m.config.availability, [{ topic: `${BASE}/status` }], 'available while the box says online')
    t.match(m.config.device, { identifiers: [NODE], name: 'linewatch demo-store/box1', sw_version: VERSION })
    t.ok(component === 'button' ? m.config.command_topic : m.config.state_topic, 'a topic to read or to press')
  }
  const byObject = (o: string) => messages.find((m) => m.topic.endsWith(`/${o}/config`))
  for (const l of ['gsm1', 'gsm2', 'sip1', 'pots1']) t.match(byObject(`line_${l}`)?.config, { device_class: 'connectivity', state_topic: `${BASE}/line/${l}` }, `line ${l}`)
  for (const u of ['wan1', 'wan2', 'lte']) t.ok(byObject(`uplink_${u}`), `uplink ${u}`)
  for (const o of ['modem_gsm1_signal', 'modem_gsm1_registration', 'modem_gsm1_balance', 'line_gsm1_calls_this_hour', 'cost_today', 'bundle_sims_mobile300_gsm1', 'bundle_sims_mobile300_gsm2', 'lamp_test', 'silence', 'test_call_gsm1']) t.ok(byObject(o), o)
  t.equal(byObject('cost_today')?.config.unit_of_measurement, 'RUB')

  t.same(messagesOf(config()).map((m) => m.config.unique_id), ids, 'the same ids on every start')
  const fewer = messagesOf(config((c) => c.mqtt.disabledCommands.push('silence', 'test-call')))
  t.notOk(fewer.some((m) => /silence|test_call/.test(m.topic)), 'no button for a command switched off')
})

const noJinja = spawnSync('python3', ['-c', 'import jinja2']).status === 0 ? false : 'python3 with jinja2 is not installed (CI installs python3-jinja2)'
const skip = missing('mosquitto') || noJinja

function render(items: { template: string; value: string }[]): (string | { error: string })[] {
  const r = spawnSync('python3', [join(import.meta.dirname, '../helpers/render-jinja.py')], { input: JSON.stringify(items), encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as (string | { error: string })[]
}

t.test('on a real broker: the templates read the box\'s own payloads, the buttons work, a restart of Home Assistant and a removed line', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const watch = await MqttWatch.open(broker.url, '#')
  t.teardown(() => watch.close())
  let box = new Box({ config: config((c) => (c.mqtt.url = broker.url)), log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up' && box.store.get('modem', 'gsm1')?.signal.rssiDbm !== null, 20_000, 'gsm1 up with its signal')
  const expected = messagesOf(box.config, box)
  await watch.until((w) => expected.every((m) => w.last(m.topic)), 'every discovery config on the broker')

  // each entity's template against the payload the box retains on its state topic now
  const retained = async (topic: string) => {
    const w = await MqttWatch.open(broker.url, topic)
    await w.until((x) => x.seen.length > 0, `retained ${topic}`, 5000)
    await w.close()
    return w.seen.at(-1)!.payload
  }
  const reading = expected.filter((m) => m.config.value_template)
  const values = await Promise.all(reading.map((m) => retained(m.config.state_topic as string)))
  const rendered = render(reading.map((m, i) => ({ template: m.config.value_template as string, value: values[i]! })))
  const state = (object: string) => rendered[reading.findIndex((m) => m.topic.endsWith(`/${object}/config`))]
  for (const [i, r] of rendered.entries()) t.type(r, 'string', `${reading[i]!.topic} renders: ${JSON.stringify(r)}`)
  const snap = box.store.snapshot
  t.equal(state('line_gsm1'), 'ON', 'gsm1 up → ON')
  t.equal(state('uplink_wan1'), snap.uplinks.wan1!.state === 'up' || snap.uplinks.wan1!.state === 'degraded' ? 'ON' : snap.uplinks.wan1!.state === 'down' ? 'OFF' : 'None')
  t.equal(Number(state('modem_gsm1_signal')), snap.modems.gsm1!.signal.rssiDbm, 'the signal in dBm')
  t.equal(state('modem_gsm1_registration'), 'home')
  t.equal(state('line_gsm1_calls_this_hour'), String(snap.lines.gsm1!.callsThisHour))
  const stats = JSON.parse(values[reading.findIndex((m) => m.topic.endsWith('/cost_today/config'))]!) as { total: { cost: number }; bundles: { path: string | null; secondsLeft: number | null }[] }
  t.equal(Number(state('cost_today')), stats.total.cost, "today's cost")
  const left = stats.bundles.find((b) => b.path === 'gsm1')!.secondsLeft
  t.equal(left === null ? state('bundle_sims_mobile300_gsm1') : Number(state('bundle_sims_mobile300_gsm1')), left === null ? 'None' : Math.round((left / 60) * 10) / 10, 'the bundle minutes left on gsm1')
  // a down line reads OFF, from the payload the box publishes for it
  const down = render([{ template: expected.find((m) => m.topic.endsWith('/line_gsm1/config'))!.config.value_template as string, value: JSON.stringify({ ...snap.lines.gsm1, state: 'down' }) }])
  t.same(down, ['OFF'])

  // the buttons: Home Assistant renders command_template at each press and publishes it
  const press = async (object: string) => {
    const b = expected.find((m) => m.topic.endsWith(`/${object}/config`))!.config
    const [payload] = render([{ template: b.command_template as string, value: 'PRESS' }])
    t.type(payload, 'string')
    watch.client.publish(b.command_topic as string, payload as string, { qos: 1 })
    return JSON.parse(payload as string) as { id: string }
  }
  const first = await press('lamp_test')
  await watch.until((w) => w.seen.some((s) => s.topic === `${BASE}/cmd/lamp-test/result` && s.payload.includes(first.id)), 'the lamp test result')
  t.ok(box.store.snapshot.panel.test, 'the lamps are being tested')
  await new Promise((r) => setTimeout(r, 5))
  const second = await press('lamp_test')
  t.not(second.id, first.id, 'each press has its own id')
  await watch.until((w) => w.seen.some((s) => s.topic === `${BASE}/cmd/lamp-test/result` && s.payload.includes(second.id)), 'the second press ran')
  t.notMatch(watch.seen.filter((s) => s.payload.includes(second.id)).at(-1)!.payload, /"repeated"/, 'and was not taken for the first')

  // Home Assistant restarts: its birth message brings every config again
  const before = watch.seen.length
  watch.client.publish('homeassistant/status', 'online', { qos: 1 })
  await watch.until((w) => expected.every((m) => w.seen.slice(before).some((s) => s.topic === m.topic)), 'the configs again after homeassistant/status online')

  // pots1 leaves the config, and the box restarts on it: its entities are removed from the broker
  await box.stop()
  box = new Box({ config: config((c) => ((c.mqtt.url = broker.url), (c.lines = c.lines.filter((l) => l.id !== 'pots1')), (c.routing.paths = c.routing.paths.filter((p) => p.line !== 'pots1')), (c.panel.lamps = c.panel.lamps.filter((l) => l.source !== 'line/pots1')))), log: silentLogger() })
  await box.start()
  const gone = expected.filter((m) => /line_pots1/.test(m.topic))
  t.ok(gone.length >= 2, 'pots1 had entities')
  await watch.until((w) => gone.every((m) => w.seen.some((s) => s.topic === m.topic && s.payload === '')), "pots1's configs deleted (an empty retained payload)")
  const fresh = await MqttWatch.open(broker.url, 'homeassistant/#')
  const now = messagesOf(box.config, box).map((m: DiscoveryMessage) => m.topic).sort()
  await fresh.until((w) => now.every((topic) => w.seen.some((s) => s.topic === topic)), 'the retained configs')
  await new Promise((r) => setTimeout(r, 300))
  t.same([...new Set(fresh.seen.filter((s) => s.retain && s.payload !== '').map((s) => s.topic))].sort(), now, 'the broker retains exactly the entities the box has now')
  await fresh.close()
})
