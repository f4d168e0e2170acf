/**
 * docs/asyncapi.yaml, as data: an AsyncAPI 3.0 document built from the
 * contract (contract.ts), so the published document is the code's own schemas.
 * scripts/write-asyncapi.ts writes it; test/report/asyncapi.test.ts checks the
 * file is up to date and validates a demo run's messages against it.
 */
import { VERSION } from '../core/version.js'
import { CHANNELS, type Channel } from './contract.js'

/** A channel's key in the document: its address without its parameters, slashes as dashes (`cmd/{name}/result` → `cmd-result`). */
export const channelKey = (c: Channel) =>
  (c.absolute ? 'homeassistant-' : '') +
  c.address
    .split('/')
    .filter((level) => !level.startsWith('{'))
    .join('-')

/** The full address: `{baseTopic}/{site}/{box}/…` for the box's own topics. */
export const fullAddress = (c: Channel) => (c.absolute ? c.address : `{baseTopic}/{site}/{box}/${c.address}`)

/** TypeBox's symbols and `Unsafe` wrappers dropped: plain JSON Schema. */
const plain = (schema: unknown) => JSON.parse(JSON.stringify(schema ?? {})) as Record<string, unknown>

const PARAMETERS: Record<string, string> = {
  baseTopic: 'mqtt.baseTopic (default `linewatch`)',
  site: 'the config\'s `site`',
  box: 'the config\'s `box`',
  id: 'the part\'s id in the config (modems[].id, lines[].id, uplinks[].id), or the request\'s id',
  line: 'a line\'s id (lines[].id, with pbxReports)',
  name: 'a command\'s name',
  discoveryPrefix: 'homeAssistant.discoveryPrefix (default `homeassistant`)',
  component: '`binary_sensor`, `sensor` or `button`',
  node: '`linewatch_<site>_<box>`',
  object: 'the entity: `line_<id>`, `modem_<id>_signal`, `lamp_test`, …',
}

export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  for (const c of CHANNELS) {
    const key = channelKey(c)
    const address = fullAddress(c)
    const params = [...address.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
    const payload = plain(c.payload)
    const isText = payload.type === 'string' || ('anyOf' in payload && c.absolute)
    // a payload of any kind (the panel's buttons): any bytes, not JSON
    const anything = Object.keys(payload).length === 0
    const contentType = anything ? 'application/octet-stream' : isText && payload.type === 'string' ? 'text/plain' : 'application/json'
    messages[key] = { name: key, title: c.address, summary: c.summary, contentType, payload }
    channels[key] = {
      address,
      summary: c.summary,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
      parameters: Object.fromEntries(params.map((p) => [p, { description: PARAMETERS[p] ?? p }])),
    }
    operations[`${c.action === 'send' ? 'publish' : 'receive'}-${key}`] = {
      action: c.action,
      channel: { $ref: `#/channels/${key}` },
      summary: c.action === 'send' ? `the box publishes: ${c.summary}` : `the box listens: ${c.summary}`,
      bindings: { mqtt: { qos: c.qos, retain: c.retained, bindingVersion: '0.2.0' } },
      messages: [{ $ref: `#/channels/${key}/messages/${key}` }],
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'linewatch box',
      version: VERSION,
      description:
        'What a linewatch box publishes to the office over MQTT and what it listens to (docs/mqtt.md explains each). ' +
        'Written by scripts/write-asyncapi.ts from the TypeBox schemas the firmware uses (npm run schema); do not edit by hand. ' +
        '"send" operations are the box publishing, "receive" the box subscribing. Payloads are JSON unless their content type says text/plain.',
    },
    defaultContentType: 'application/json',
    servers: {
      office: { host: 'broker.example:8883', protocol: 'mqtt', protocolVersion: '5', description: 'The office\'s broker (mqtt.url): MQTT 5, or 3.1.1 with a broker that refuses 5; TLS with mqtts://' },
    },
    channels,
    operations,
    components: { messages },
  }
}
