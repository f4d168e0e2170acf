/**
 * The update service inside the whole box (src/app.ts): on a real board, a fallback the root side left in
 * the state folder is raised as box/update and published, retained, on <base>/update; the office's
 * update command is offered there. On the simulated board (the demo, the tests) neither is.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t, { type Test } from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { FILES, updateDir } from '../../src/update/service.js'
import { waitFor } from '../helpers/flush.js'
import { tempDir } from '../helpers/tmp.js'

async function boxOn(t: Test, board: string, url: string) {
  const dir = tempDir(t, 'lw-upd-box-')
  const state = join(dir, 'state')
  await mkdir(updateDir(state), { recursive: true })
  await writeFile(join(updateDir(state), FILES.fallback), JSON.stringify({ slot: 'b', version: '1.5.0', message: 'the update to 1.5.0 (slot b) did not prove healthy: back on 1.4.0 (slot a)' }))
  const { config, problems } = validateConfigText(`site: s1\nbox: b1\nboard: ${board}\nmqtt: { url: "${url}" }\nhttp: { host: 127.0.0.1, port: 0, auth: none }\nstorage: { dir: "${state}" }\n`)
  t.same(problems, [])
  const box = new Box({ config: config!, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  return box
}

t.test('a real board: the fallback is raised and published retained; the update command is offered', async (t) => {
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  t.teardown(() => broker.close())
  // a Pi board with no GPIO chip here: the board's error is told, the box runs on
  const box = await boxOn(t, 'pi-4b', broker.url)
  t.ok(box.update, 'the update service runs')
  t.match(box.store.snapshot.alerts['box/update'], { state: 'raised', message: /did not prove healthy/ })
  await waitFor(() => box.mqtt.connected, 5000, 'the box on the broker')
  const office = await mqtt.connectAsync(broker.url, { protocolVersion: 4 })
  t.teardown(() => office.endAsync(true))
  const heard: Record<string, unknown>[] = []
  office.on('message', (topic, payload) => topic === `${box.mqtt.base}/update` && heard.push(JSON.parse(payload.toString()) as Record<string, unknown>))
  await office.subscribeAsync(`${box.mqtt.base}/update`, { qos: 1 })
  await waitFor(() => heard.length > 0, 5000, 'the retained progress on <base>/update')
  t.match(heard[0], { stage: 'fell-back', ok: false })
  t.ok(box.commands?.names.includes('update'), 'the office can send update')
})

t.test('the simulated board: no update service, no update command', async (t) => {
  const box = await boxOn(t, 'sim', 'mqtt://127.0.0.1:1')
  t.equal(box.update, null)
  t.notOk(box.store.snapshot.alerts['box/update'], 'nothing raised')
  t.notOk(box.commands?.names.includes('update'))
})
