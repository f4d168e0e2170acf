/**
 * docs/office.md's working example: examples/office/mosquitto-bridge.conf run
 * as it is (the office's address put in) on a store's mosquitto, bridged to an
 * office mosquitto. The box talks only to the store's broker; the office sees
 * its state and alerts, commands it through the bridge and gets one answer;
 * an alert raised while the office's broker is down arrives once it is back.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { lineAction } from '../../src/sim/controls.js'
import { waitFor } from '../helpers/flush.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto')

t.test('the mosquitto bridge of docs/office.md: state, alerts and commands across it, and an office broker that restarts', { skip }, async (t) => {
  const office = await startMosquitto()
  t.teardown(() => office.stop())
  const example = readFileSync(new URL('../../examples/office/mosquitto-bridge.conf', import.meta.url), 'utf8')
  t.match(example, /^address office\.example:1883$/m, 'the example names the office by a placeholder')
  const bridge = example.replace('office.example:1883', `127.0.0.1:${office.port}`).split('\n')
  const store = await startMosquitto('127.0.0.1', undefined, false, bridge)
  t.teardown(() => store.stop())

  const dir = tempDir(t, 'lw-bridge-')
  const { config, problems } = validateConfigText(`site: shop1
box: box1
board: sim
lines:
  - { id: pots1, kind: analog, numbers: ["+74951110003"], hysteresis: { holdDownSeconds: 0 }, analog: { voltage: { pin: 11, settleMs: 0 } } }
mqtt: { url: "${store.url}", reconnectMinMs: 200, reconnectMaxMs: 1000 }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${join(dir, 'state')}" }
`)
  t.same(problems, [])
  const box = new Box({ config: config!, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()

  // the office application: a persistent session on the office's broker only
  const seen: { topic: string; payload: string }[] = []
  const app = await mqtt.connectAsync(office.url, { clientId: 'office-app', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 200 })
  app.on('error', () => {})
  app.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }))
  t.teardown(() => app.endAsync(true))
  await app.subscribeAsync('linewatch/#', { qos: 1 })
  const base = 'linewatch/shop1/box1'
  await waitFor(() => seen.some((s) => s.topic === `${base}/status` && s.payload === 'online') && seen.some((s) => s.topic === `${base}/line/pots1`), 10_000, "the box's state at the office, across the bridge")

  await app.publishAsync(`${base}/cmd/ping`, JSON.stringify({ id: 'office-1' }), { qos: 1 })
  await waitFor(() => seen.some((s) => s.topic === `${base}/cmd/ping/result`), 10_000, 'the ping answered across the bridge')
  await new Promise((r) => setTimeout(r, 1000))
  t.equal(seen.filter((s) => s.topic === `${base}/cmd/ping/result`).length, 1, 'one answer: the bridge does not loop')
  t.equal(seen.filter((s) => s.topic === `${base}/cmd/ping`).length, 1, 'and the command is not echoed back')

  // the office's broker goes away; the line is cut and restored meanwhile; both alerts arrive once it is back
  await office.stop()
  lineAction(box.simulator!, 'pots1', 'cut')
  await waitFor(() => box.store.snapshot.alerts['line/pots1/down'] !== undefined || Object.keys(box.store.snapshot.alerts).some((id) => id.includes('pots1')), 10_000, 'the alert raised on the box')
  lineAction(box.simulator!, 'pots1', 'restore')
  await waitFor(() => !Object.keys(box.store.snapshot.alerts).some((id) => id.includes('pots1')), 10_000, 'and cleared')
  await waitFor(() => box.mqtt.outbox.size === 0, 10_000, "the box handed them to the store's broker")
  const before = seen.length
  await office.start()
  await waitFor(() => {
    const alerts = seen.slice(before).filter((s) => s.topic === `${base}/alert`).map((s) => JSON.parse(s.payload) as { source: string; state: string })
    return alerts.some((a) => a.state === 'raised' && a.source.includes('pots1')) && alerts.some((a) => a.state === 'cleared' && a.source.includes('pots1'))
  }, 30_000, 'the raised and the cleared alert at the office once its broker is back')
  t.pass('nothing the box sent while the office was away is lost')
})
