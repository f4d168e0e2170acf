/**
 * The panel from afar, through the whole demo box: GET /api/v1/panel is the
 * retained snapshot; the lamp test and silence by HTTP and by MQTT commands.
 */
import t from 'tap'
import mqtt from 'mqtt'
import { runDemo } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'

t.test('lamp test and silence over HTTP and MQTT; GET /api/v1/panel is the snapshot', async (t) => {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  t.teardown(() => demo.stop())
  const url = demo.box.httpUrl
  const store = demo.box.store
  await waitFor(() => store.snapshot.panel.test === null, 5000, 'the start-up lamp test over')
  t.same(await (await fetch(`${url}/api/v1/panel`)).json(), store.snapshot.panel)

  const r = await fetch(`${url}/api/v1/panel/test`, { method: 'POST' })
  t.equal(r.status, 200)
  const body = (await r.json()) as { test: { since: number; until: number } }
  t.equal(body.test.until - body.test.since, 1000, 'every lamp for lampTestMs')
  await waitFor(() => store.snapshot.panel.test === null, 3000, 'test over')

  const client = await mqtt.connectAsync(demo.broker!.url)
  t.teardown(() => client.endAsync())
  await client.publishAsync(`${demo.box.mqtt.base}/panel/test`, '')
  await waitFor(() => store.snapshot.panel.test !== null, 3000, 'the lamp test by MQTT')

  store.setAlert({ id: 'test/major', severity: 'major', source: 'test', state: 'raised', message: 'x' })
  t.equal(store.snapshot.panel.buzzer.on, true)
  await client.publishAsync(`${demo.box.mqtt.base}/panel/silence`, '')
  await waitFor(() => store.snapshot.panel.buzzer.muted, 3000, 'silenced by MQTT')
  store.setAlert({ id: 'test/again', severity: 'critical', source: 'test', state: 'raised', message: 'y' })
  t.equal(store.snapshot.panel.buzzer.pattern, 'steady', 'a new critical alert sounds')
  const s = await fetch(`${url}/api/v1/panel/silence`, { method: 'POST' })
  t.match(await s.json(), { ok: true, buzzer: { on: false, muted: true } }, 'silenced by HTTP')
})
