/**
 * The office's commands: `<base>/cmd/<name>` with a JSON body carrying an
 * `id`, the result on `<base>/cmd/<name>/result` and on the MQTT 5 response
 * topic with its correlation data. Junk gets an error result and never a crash;
 * an id already done is not done twice; a command switched off is refused.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { OfficeCommands } from '../../src/report/commands.js'
import { Type } from '@sinclair/typebox'
import { COMMAND_REQUESTS } from '../../src/report/command-schemas.js'
import { waitFor } from '../helpers/flush.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

t.test('OfficeCommands: junk, unknown, switched off, wrong fields, a repeated id', async (t) => {
  let runs = 0
  const c = new OfficeCommands({
    specs: {
      ping: { schema: COMMAND_REQUESTS.ping, run: () => ({ ok: true, message: 'pong', data: ++runs }) },
      say: { schema: Type.Object({ id: Type.String(), text: Type.String({ maxLength: 5 }) }, { additionalProperties: false }), run: ({ text }) => ({ ok: true, message: String(text) }) },
    },
    disabled: ['say'],
    log: silentLogger(),
  })
  t.match(await c.handle('ping', '\u00ff{'), { id: null, ok: false, message: /^not JSON/ })
  t.match(await c.handle('ping', '[]'), { id: null, ok: false, message: /must be an object|"id" is missing/ })
  t.match(await c.handle('ping', '{"id":"a/b"}'), { id: null, ok: false, message: /"id"/ }, 'an id with a slash is refused')
  t.match(await c.handle('ping', '{"id":"p1","extra":1}'), { id: 'p1', ok: false, message: 'a ping command: "extra" is not a field of it' })
  t.match(await c.handle('dance', '{"id":"d1"}'), { ok: false, message: 'no command "dance" (commands: ping)' })
  t.match(await c.handle('say', '{"id":"s1","text":"hi"}'), { ok: false, message: /switched off in the config \(mqtt\.disabledCommands\)/ })
  t.same(await c.handle('ping', '{"id":"p2"}'), { id: 'p2', command: 'ping', ok: true, message: 'pong', data: 1 })
  t.same(await c.handle('ping', '{"id":"p2"}'), { id: 'p2', command: 'ping', ok: true, message: 'pong', data: 1, repeated: true }, 'the same id: the stored result, not a second run')
  t.equal(runs, 1)
  for (let i = 0; i < 2000; i++) await c.handle('ping', Buffer.from([i % 256, 0x7b, 0x22]))
  t.equal(runs, 1, 'junk ran nothing')

  // a restart: what was done is remembered (BoxMemory keeps remember()), so a redelivered command does not run again
  const after = new OfficeCommands({ specs: { ping: { schema: COMMAND_REQUESTS.ping, run: () => ({ ok: true, message: 'pong', data: ++runs }) } }, disabled: [], log: silentLogger() })
  after.recall(JSON.parse(JSON.stringify(c.remember())) as ReturnType<OfficeCommands['remember']>)
  t.match(await after.handle('ping', '{"id":"p2"}'), { id: 'p2', data: 1, repeated: true })
  t.equal(runs, 1, 'not run again after the restart')
  after.recall([['x', null], 'junk'] as never)
  t.match(await after.handle('ping', '{"id":"p3"}'), { id: 'p3', data: 2 }, 'junk in the memory is ignored')
})

t.test('over MQTT 5 against mosquitto: result topic, response topic with correlation data, a lamp test and a route', { skip: missing('mosquitto') }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const dir = tempDir(t, 'lw-cmd-')
  await writeFile(join(dir, 'deck.csv'), 'prefix,rate\n7,1.00\n')
  const { config, problems } = validateConfigText(`site: shop1
box: b1
board: sim
modems:
  - { id: gsm1, port: "sim:gsm1" }
lines:
  - { id: sip1, kind: sip, numbers: ["+74951110000"], channels: 4, pbxReports: true }
routing:
  plans: [{ id: carrier, currency: RUB, deck: { file: deck.csv } }]
  paths: [{ id: a, line: sip1, dial: "PJSIP/{e164}@a", plan: carrier }]
mqtt: { url: "${broker.url}", disabledCommands: [silence] }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${join(dir, 'state')}" }
`)
  t.same(problems, [])
  const box = new Box({ config: config!, log: silentLogger(), configDir: dir })
  t.teardown(() => box.stop())
  await box.start()
  await waitFor(() => box.mqtt.connected, 5000, 'the box on the broker')
  const base = box.mqtt.base
  const office = await mqtt.connectAsync(broker.url, { clientId: 'office-cmd', protocolVersion: 5 })
  t.teardown(() => office.endAsync(true))
  const heard: { topic: string; body: Record<string, unknown>; correlation?: string }[] = []
  office.on('message', (topic, payload, packet) => heard.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown>, correlation: packet.properties?.correlationData?.toString() }))
  await office.subscribeAsync([`${base}/cmd/+/result`, 'office/replies/#', `${base}/panel`], { qos: 1 })
  await new Promise((r) => setTimeout(r, 300)) // the box's SUBACK for cmd/+

  await office.publishAsync(`${base}/cmd/ping`, '{"id":"c1"}', { qos: 1, properties: { responseTopic: 'office/replies/b1', correlationData: Buffer.from('corr-7'), messageExpiryInterval: 60 } })
  await waitFor(() => heard.some((h) => h.topic === 'office/replies/b1'), 5000, 'the reply on the response topic')
  t.match(heard.find((h) => h.topic === `${base}/cmd/ping/result`)?.body, { id: 'c1', command: 'ping', ok: true, message: 'pong' })
  t.match(heard.find((h) => h.topic === 'office/replies/b1'), { body: { id: 'c1', ok: true }, correlation: 'corr-7' }, 'the correlation data comes back')

  await office.publishAsync(`${base}/cmd/lamp-test`, '{"id":"c2"}', { qos: 1 })
  await waitFor(() => heard.some((h) => h.topic === `${base}/cmd/lamp-test/result`), 5000, 'the lamp test result')
  t.ok(box.store.snapshot.panel.test, 'the lamps are being tested')

  await office.publishAsync(`${base}/cmd/route`, '{"id":"c3","to":"+74957770000"}', { qos: 1 })
  await waitFor(() => heard.some((h) => h.topic === `${base}/cmd/route/result`), 5000, 'the route')
  t.match(heard.find((h) => h.topic === `${base}/cmd/route/result`)?.body, { id: 'c3', ok: true, data: { e164: '+74957770000', paths: [{ path: 'a' }] } })

  await box.settled()
  await office.publishAsync(`${base}/cmd/test-sms`, '{"id":"c5","modem":"gsm1","to":"+79161234567","text":"проверка"}', { qos: 1 })
  await waitFor(() => heard.some((h) => h.topic === `${base}/cmd/test-sms/result`), 10_000, 'the SMS result')
  t.match(heard.find((h) => h.topic === `${base}/cmd/test-sms/result`)?.body, { id: 'c5', ok: true, data: { to: '+79161234567', encoding: 'ucs2', parts: 1 } }, 'sent through the simulated modem')
  await office.publishAsync(`${base}/cmd/test-sms`, '{"id":"c6","modem":"gsm9","to":"+79161234567"}', { qos: 1 })
  await waitFor(() => heard.filter((h) => h.topic === `${base}/cmd/test-sms/result`).length === 2, 5000, 'the refusal')
  t.match(heard.filter((h) => h.topic === `${base}/cmd/test-sms/result`).at(-1)?.body, { id: 'c6', ok: false, message: 'no modem "gsm9" (modems: gsm1)' })

  await office.publishAsync(`${base}/cmd/silence`, '{"id":"c4"}', { qos: 1 })
  await office.publishAsync(`${base}/cmd/route`, 'garbage', { qos: 1 })
  await waitFor(() => heard.filter((h) => h.topic.endsWith('/result')).length >= 7, 5000, 'the refusals')
  t.match(heard.find((h) => h.topic === `${base}/cmd/silence/result`)?.body, { id: 'c4', ok: false, message: /switched off/ })
  t.match(heard.filter((h) => h.topic === `${base}/cmd/route/result`).at(-1)?.body, { id: null, ok: false, message: /^not JSON/ })
  t.ok(box.mqtt.connected, 'still connected after junk')
})
