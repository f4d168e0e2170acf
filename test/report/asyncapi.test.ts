/**
 * docs/asyncapi.yaml: up to date with the code's schemas, a valid AsyncAPI 3
 * document (the AsyncAPI project's own parser), and true: everything the demo
 * box publishes while its modems break and heal, calls ring, an uplink is cut,
 * the office sends commands and route requests, matches one of its channels and
 * validates against that channel's payload schema, read from the YAML file.
 */
import { readFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Parser } from '@asyncapi/parser'
import { Ajv, type ValidateFunction } from 'ajv'
import mqtt from 'mqtt'
import t from 'tap'
import { parse, stringify } from 'yaml'
import { Box } from '../../src/app.js'
import { silentLogger } from '../../src/core/logger.js'
import { asyncApiDocument } from '../../src/report/asyncapi.js'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { modemAction, uplinkAction } from '../../src/sim/controls.js'
import { demoConfig } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'

const FILE = new URL('../../docs/asyncapi.yaml', import.meta.url)
const text = readFileSync(FILE, 'utf8')

t.test('docs/asyncapi.yaml is what the code\'s schemas give (npm run schema writes it)', async (t) => {
  t.same(parse(text), parse(stringify(asyncApiDocument())), 'the file matches the contract; run npm run schema')
})

t.test('the AsyncAPI parser takes it without an error', async (t) => {
  const { document, diagnostics } = await new Parser().parse(text)
  t.ok(document, 'parsed')
  t.same(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.message} at ${d.path.join('.')}`), [], 'no errors')
  t.equal(document!.channels().length, Object.keys((parse(text) as { channels: object }).channels).length)
})

interface Doc {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>
  operations: Record<string, { action: 'send' | 'receive'; channel: { $ref: string } }>
  components: { messages: Record<string, { contentType: string; payload: object }> }
}

t.test("everything a demo run publishes fits the document's channels and payloads", async (t) => {
  const doc = parse(text) as Doc
  const ajv = new Ajv({ strict: false, allErrors: true })
  const site = 'demo-store'
  const box = 'box1'
  // each channel's address as a pattern for this box: its parameters one topic level each
  const channels = Object.entries(doc.channels).map(([key, c]) => {
    const address = c.address.replace('{baseTopic}', 'linewatch').replace('{site}', site).replace('{box}', box).replace('{discoveryPrefix}', 'homeassistant')
    const message = doc.components.messages[key]!
    return { key, pattern: new RegExp(`^${address.replace(/\{\w+\}/g, '[^/]+')}$`), message, validate: ajv.compile(message.payload) as ValidateFunction }
  })
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  t.teardown(() => broker.close())
  const seen: { topic: string; payload: string }[] = []
  const office = await mqtt.connectAsync(broker.url, { protocolVersion: 4 })
  t.teardown(() => office.endAsync(true))
  office.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }))
  await office.subscribeAsync('#', { qos: 1 })

  const config = demoConfig({ httpPort: 0 }, broker.url, mkdtempSync(join(tmpdir(), 'lw-asyncapi-')))
  config.mqtt.protocol = '3.1.1'
  config.homeAssistant.enabled = true
  const demo = new Box({ config, log: silentLogger() })
  t.teardown(() => demo.stop())
  await demo.start()
  const base = `linewatch/${site}/${box}`
  const sim = demo.simulator!
  const on = (topic: string) => () => seen.some((s) => s.topic === topic)
  await waitFor(() => demo.store.get('line', 'gsm1')?.state === 'up' && demo.store.get('line', 'gsm2')?.state === 'up', 20_000, 'the demo lines up')

  modemAction(sim, 'gsm1', 'break')
  await waitFor(() => seen.some((s) => s.topic === `${base}/alert` && s.payload.includes('"raised"')), 30_000, 'an alert')
  modemAction(sim, 'gsm1', 'heal')
  modemAction(sim, 'gsm2', 'ring', '+79161112233')
  await waitFor(on(`${base}/call`), 20_000, 'a call record')
  for (const [name, body] of [['ping', { id: 'p1' }], ['route', { id: 'r1', to: '89161234567' }], ['lamp-test', { id: 'l1' }], ['ping', { nope: 1 }], ['silence', 'not json']] as const) {
    await office.publishAsync(`${base}/cmd/${name}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 })
  }
  await office.publishAsync(`${base}/route/request`, JSON.stringify({ id: 'q1', to: '89161234567' }), { qos: 1 })
  await fetch(`${demo.httpUrl}/api/v1/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'gsm2', to: '89161234567', outcome: 'answered', seconds: 30 }) })
  uplinkAction(sim, 'wan1', 'cut')
  await waitFor(() => seen.some((s) => s.topic === `${base}/event` && s.payload.includes('"type":"uplink"') && s.payload.includes('"from":"wan1"')), 60_000, 'the uplink switch event')
  await waitFor(() => on(`${base}/route/response/q1`)() && on(`${base}/stats`)() && seen.filter((s) => s.topic.startsWith(`${base}/cmd/`) && s.topic.endsWith('/result')).length >= 5, 10_000, 'every answer')

  const counts = new Map<string, number>()
  let unmatched = 0
  let invalid = 0
  for (const m of seen) {
    const channel = channels.find((c) => c.pattern.test(m.topic))
    if (!channel) {
      unmatched++
      t.fail(`no channel for ${m.topic}`)
      continue
    }
    counts.set(channel.key, (counts.get(channel.key) ?? 0) + 1)
    let payload: unknown = m.payload
    if (channel.message.contentType !== 'text/plain' && m.payload !== '') {
      try {
        payload = JSON.parse(m.payload)
      } catch {
        payload = m.payload
      }
    }
    // the office's own junk (a command that is not JSON) is what the box must refuse, not part of the contract
    if (m.payload === 'not json' || m.payload.includes('"nope"')) continue
    if (!channel.validate(payload)) {
      invalid++
      t.fail(`${m.topic}: ${ajv.errorsText(channel.validate.errors)} in ${m.payload.slice(0, 300)}`)
    }
  }
  t.equal(unmatched, 0, 'every topic is in the document')
  t.equal(invalid, 0, `all ${seen.length} messages valid`)
  for (const key of ['status', 'modem', 'line', 'uplink', 'panel', 'stats', 'alert', 'event', 'call', 'cmd-result', 'route-response', 'homeassistant-config', 'cmd-ping', 'route-request']) t.ok((counts.get(key) ?? 0) > 0, `${key}: ${counts.get(key) ?? 0} messages checked`)
})

t.test("every JSON example in docs/mqtt.md fits its topic's payload schema", async (t) => {
  const doc = parse(text) as Doc
  const ajv = new Ajv({ strict: false, allErrors: true })
  const page = readFileSync(new URL('../../docs/mqtt.md', import.meta.url), 'utf8')
  const channels = Object.entries(doc.channels).map(([key, c]) => ({
    pattern: new RegExp(`^${c.address.replace('{baseTopic}/{site}/{box}', '<base>').replace(/\{\w+\}/g, '[^/]+')}$`),
    validate: ajv.compile(doc.components.messages[key]!.payload) as ValidateFunction,
  }))
  // an example belongs to the last `<base>/…` topic named before it (a block after "or …" is the same topic's)
  let topic: string | null = null
  let from = 0
  let checked = 0
  for (const m of page.matchAll(/```json\n([\s\S]*?)```/g)) {
    const named = [...page.slice(from, m.index).matchAll(/`(<base>\/[^`\s]+)`/g)]
    if (named.length) topic = named.at(-1)![1]!
    from = m.index! + m[0].length
    if (!topic) continue
    const channel = channels.find((c) => c.pattern.test(topic!))
    t.ok(channel, `${topic}: a channel of docs/asyncapi.yaml`)
    const body = JSON.parse(m[1]!) as unknown
    t.ok(channel?.validate(body), `the example for ${topic} (${m[1]!.slice(0, 40)}…): ${ajv.errorsText(channel?.validate.errors)}`)
    checked++
  }
  t.ok(checked >= 8, `${checked} examples checked`)
})
