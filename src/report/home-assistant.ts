/**
 * Home Assistant MQTT discovery (homeAssistant.enabled): the box appears as one
 * device with its lines and uplinks (binary sensors), its modems' signal,
 * registration and SIM balance, calls this hour, bundle minutes left and
 * today's cost (sensors), and buttons for the lamp test, silence and test
 * calls. Every entity reads the retained topics the box publishes anyway;
 * nothing is published twice. The configs are retained under
 * `<discoveryPrefix>/<component>/<node>/<object>/config`, sent on every
 * connection and again when Home Assistant says `online` on
 * `<discoveryPrefix>/status`; a config this box left there earlier for an
 * entity it no longer has (a line taken out of the config) is deleted.
 */
import type { Config } from '../config/schema.js'
import { pools } from '../lcr/bundles.js'
import type { MqttReporter } from './mqtt.js'

type Component = 'binary_sensor' | 'sensor' | 'button'

export interface DiscoveryMessage {
  topic: string
  config: Record<string, unknown>
}

/** A topic level Home Assistant accepts in a node or object id. */
const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_')

/** `{% if %}` over a part's retained JSON: up and degraded are ON, down OFF, anything else unknown. */
const PART_ON = "{% if value_json.state in ['up', 'degraded'] %}ON{% elif value_json.state == 'down' %}OFF{% else %}None{% endif %}"
const PART_ATTRIBUTES = '{{ {"state": value_json.state, "reason": value_json.reason, "since": value_json.since} | tojson }}'
/** Each press its own id: the box runs a command id once, so a repeated id would be answered and not run. */
const pressId = (what: string) => `ha-${what}-{{ now().timestamp() }}`

export interface DiscoveryInput {
  config: Pick<Config, 'site' | 'box' | 'modems' | 'lines' | 'uplinks' | 'routing' | 'mqtt' | 'homeAssistant'>
  /** `<baseTopic>/<site>/<box>` */
  base: string
  version: string
  /** The lines a test call can reach (TestCaller.testable). */
  testable: string[]
}

/** Every discovery config this box announces, by topic. */
export function discoveryMessages(input: DiscoveryInput): DiscoveryMessage[] {
  const { config, base, version } = input
  const prefix = config.homeAssistant.discoveryPrefix
  const node = slug(`linewatch_${config.site}_${config.box}`)
  const device = {
    identifiers: [node],
    name: `linewatch ${config.site}/${config.box}`,
    manufacturer: 'linewatch',
    model: 'line-watch box',
    sw_version: version,
  }
  const out: DiscoveryMessage[] = []
  const add = (component: Component, object: string, entity: Record<string, unknown>) => {
    const id = slug(object)
    out.push({
      topic: `${prefix}/${component}/${node}/${id}/config`,
      config: {
        unique_id: `${node}_${id}`,
        ...entity,
        availability: [{ topic: `${base}/status` }],
        device,
        origin: { name: 'linewatch', sw_version: version },
      },
    })
  }

  for (const l of config.lines) {
    add('binary_sensor', `line_${l.id}`, { name: `Line ${l.id}`, device_class: 'connectivity', state_topic: `${base}/line/${l.id}`, value_template: PART_ON, json_attributes_topic: `${base}/line/${l.id}`, json_attributes_template: PART_ATTRIBUTES })
    add('sensor', `line_${l.id}_calls_this_hour`, { name: `Line ${l.id} calls this hour`, icon: 'mdi:phone-incoming', state_topic: `${base}/line/${l.id}`, value_template: '{{ value_json.callsThisHour }}', unit_of_measurement: 'calls', state_class: 'measurement' })
  }
  for (const u of config.uplinks) {
    add('binary_sensor', `uplink_${u.id}`, { name: `Uplink ${u.id}`, device_class: 'connectivity', state_topic: `${base}/uplink/${u.id}`, value_template: PART_ON, json_attributes_topic: `${base}/uplink/${u.id}`, json_attributes_template: PART_ATTRIBUTES })
  }
  for (const m of config.modems) {
    const topic = `${base}/modem/${m.id}`
    add('sensor', `modem_${m.id}_signal`, { name: `Modem ${m.id} signal`, device_class: 'signal_strength', unit_of_measurement: 'dBm', state_class: 'measurement', entity_category: 'diagnostic', state_topic: topic, value_template: '{{ value_json.signal.rssiDbm if value_json.signal.rssiDbm is not none else None }}' })
    add('sensor', `modem_${m.id}_registration`, { name: `Modem ${m.id} registration`, device_class: 'enum', options: ['home', 'roaming', 'searching', 'denied', 'unknown', 'not-registered'], entity_category: 'diagnostic', state_topic: topic, value_template: '{{ value_json.registration }}' })
    add('sensor', `modem_${m.id}_balance`, { name: `SIM ${m.id} balance`, icon: 'mdi:cash', state_class: 'measurement', state_topic: topic, value_template: '{{ value_json.balance.amount if value_json.balance and value_json.balance.amount is not none else None }}' })
  }

  const stats = `${base}/stats`
  if (config.routing.paths.length) {
    const currency = config.routing.plans[0]?.currency
    add('sensor', 'cost_today', { name: 'Calls cost today', device_class: 'monetary', ...(currency ? { unit_of_measurement: currency } : {}), state_topic: stats, value_template: '{{ value_json.total.cost }}' })
    add('sensor', 'routed_calls_today', { name: 'Routed calls today', icon: 'mdi:phone-outgoing', state_topic: stats, value_template: '{{ value_json.total.attempts }}' })
    for (const p of pools(config.routing.plans, config.routing.paths)) {
      const match = `b.plan == '${p.plan}' and b.bundle == '${p.bundle.id}' and ${p.path === null ? 'b.path is none' : `b.path == '${p.path}'`}`
      add('sensor', `bundle_${p.plan}_${p.bundle.id}${p.path ? `_${p.path}` : ''}`, {
        name: `Bundle ${p.plan}/${p.bundle.id}${p.path ? ` on ${p.path}` : ''} minutes left`,
        icon: 'mdi:timer-sand',
        unit_of_measurement: 'min',
        state_class: 'measurement',
        state_topic: stats,
        value_template: `{% for b in value_json.bundles if ${match} %}{{ (b.secondsLeft / 60) | round(1) if b.secondsLeft is not none else None }}{% else %}None{% endfor %}`,
      })
    }
  }

  const enabled = (name: string) => !config.mqtt.disabledCommands.includes(name)
  if (enabled('lamp-test')) add('button', 'lamp_test', { name: 'Lamp test', icon: 'mdi:lightbulb-on', command_topic: `${base}/cmd/lamp-test`, command_template: `{"id": "${pressId('lamp-test')}"}` })
  if (enabled('silence')) add('button', 'silence', { name: 'Silence', icon: 'mdi:volume-off', command_topic: `${base}/cmd/silence`, command_template: `{"id": "${pressId('silence')}"}` })
  if (enabled('test-call')) {
    for (const line of input.testable) add('button', `test_call_${line}`, { name: `Test call ${line}`, icon: 'mdi:phone-check', command_topic: `${base}/cmd/test-call`, command_template: `{"id": "${pressId(`test-call-${slug(line)}`)}", "line": "${line}"}` })
  }
  return out
}

/** The topic filter that finds every config this box may have left (any component, this node). */
export const ownConfigs = (input: DiscoveryInput) => `${input.config.homeAssistant.discoveryPrefix}/+/${slug(`linewatch_${input.config.site}_${input.config.box}`)}/+/config`

/** Puts the discovery on the reporter's connection. Call before the reporter starts. */
export function announceToHomeAssistant(mqtt: MqttReporter, input: DiscoveryInput): DiscoveryMessage[] {
  const messages = discoveryMessages(input)
  const current = new Set(messages.map((m) => m.topic))
  const publishAll = () => {
    for (const m of messages) mqtt.publishTopic(m.topic, JSON.stringify(m.config), true)
  }
  mqtt.onConnect(publishAll)
  // Home Assistant's birth message: it restarted and may have lost what it knew
  mqtt.listenTopic(`${input.config.homeAssistant.discoveryPrefix}/status`, (_topic, payload) => {
    if (payload.toString() === 'online') publishAll()
  }, { retained: true })
  // what this box announced before and no longer has: an empty retained payload removes it from Home Assistant
  mqtt.listenTopic(ownConfigs(input), (topic, payload) => {
    if (payload.length > 0 && !current.has(topic)) mqtt.publishTopic(topic, '', true)
  }, { retained: true })
  return messages
}
