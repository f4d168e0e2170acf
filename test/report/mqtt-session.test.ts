/**
 * The box's MQTT session, against a real mosquitto (MQTT 5) and the demo's
 * aedes (3.1.1 only): a reconnect within the will delay never shows the box
 * offline; a box that stays away is offline after the delay; what the office
 * sends while the box is away arrives when it is back, unless its message expiry passed first (clean start off, a
 * session expiry); a broker that refuses MQTT 5 gets 3.1.1.
 */
import { join } from 'node:path'
import mqtt from 'mqtt'
import { tempJournal } from '../helpers/journal.js'
import t, { type Test } from 'tap'
import type { MqttConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { MqttReporter } from '../../src/report/mqtt.js'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { waitFor } from '../helpers/flush.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto')
let boxes = 0

/** A reporter on a FakeClock (its reconnects wait for the test to advance it), listening to panel/test, and a watcher of its status. */
async function rig(t: Test, url: string, mqttConfig: Partial<MqttConfig> = {}) {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const box = `s${++boxes}-${process.pid}`
  const config: MqttConfig = { url, baseTopic: 'lwsession', outboxKB: 10240, officeAck: false, disabledCommands: [], protocol: 'auto', willDelaySeconds: 2, sessionExpirySeconds: 600, reconnectMinMs: 30_000, reconnectMaxMs: 60_000, ...mqttConfig }
  const reporter = new MqttReporter({ config, site: 'shop1', box, store, clock, log: silentLogger(), journal: tempJournal(t, {}, tempDir(t, 'lw-session-')) })
  const heard: string[] = []
  reporter.listen('panel/test', (_topic, payload) => heard.push(payload.toString()))
  const watch = await MqttWatch.open(url, `${reporter.base}/status`)
  t.teardown(() => watch.close())
  const statuses = () => watch.seen.map((s) => s.payload)
  /** Let the reporter's 0 ms reconnect timer run until it is connected again. */
  const comeBack = async () => {
    await waitFor(() => !reporter.connected, 2000, 'the old connection closed')
    for (let i = 0; i < 100 && !reporter.connected; i++) {
      clock.advance(0)
      await new Promise((r) => setTimeout(r, 20))
    }
    await waitFor(() => reporter.connected, 2000, 'the reporter back')
  }
  return { clock, reporter, heard, watch, statuses, comeBack }
}

t.test('MQTT 5: a reconnect within the will delay shows nothing; a box that stays away is offline after it', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const r = await rig(t, broker.url)
  await r.reporter.start()
  t.teardown(() => r.reporter.stop())
  await r.watch.until(() => r.statuses().at(-1) === 'online', 'online')
  t.equal(r.reporter.protocolVersion, 5)

  // an uplink switch: the connection is dropped (no DISCONNECT) and made again at once
  r.reporter.reconnectNow()
  await r.comeBack()
  await new Promise((res) => setTimeout(res, 3500)) // past the will delay (mosquitto looks at delayed wills once a second)
  t.notOk(r.statuses().includes('offline'), `no offline seen (statuses: ${r.statuses().join(', ')})`)

  // gone for longer than the delay: the connection dropped, the reconnect waiting on the clock
  const droppedAt = Date.now()
  r.reporter.reconnectNow()
  await r.watch.until(() => r.statuses().at(-1) === 'offline', 'the will, after its delay', 5000)
  const after = (Date.now() - droppedAt) / 1000
  t.ok(after >= 1.5, `offline ${after.toFixed(1)} s after the box went (will delay 2 s)`)
  await r.comeBack()
  await r.watch.until(() => r.statuses().at(-1) === 'online', 'online again')
})

t.test('a command the office sent while the box was away arrives when it is back', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const r = await rig(t, broker.url)
  await r.reporter.start()
  t.teardown(() => r.reporter.stop())
  await waitFor(() => r.reporter.connected, 5000, 'connected')
  await new Promise((res) => setTimeout(res, 300)) // the SUBACK

  r.reporter.reconnectNow() // away: its reconnect waits on the clock
  await waitFor(() => !r.reporter.connected, 2000, 'away')
  const office = await mqtt.connectAsync(broker.url, { clientId: `office-${process.pid}-${boxes}`, protocolVersion: 5 })
  t.teardown(() => office.endAsync(true))
  // one the office gave a second to live, and one given ten minutes
  await office.publishAsync(`${r.reporter.base}/panel/test`, '{"id":"stale"}', { qos: 1, properties: { messageExpiryInterval: 1 } })
  await office.publishAsync(`${r.reporter.base}/panel/test`, '{"id":"while-away"}', { qos: 1, properties: { messageExpiryInterval: 600 } })
  t.same(r.heard, [])
  await new Promise((res) => setTimeout(res, 2100)) // the first one's expiry passes while the box is away
  await r.comeBack()
  await waitFor(() => r.heard.length > 0, 3000, 'the command queued by the broker')
  await new Promise((res) => setTimeout(res, 300))
  t.same(r.heard, ['{"id":"while-away"}'], 'the expired command never reaches the box')
})

t.test('a broker that speaks only 3.1.1 (aedes): the box falls back and connects', async (t) => {
  const broker = await startEmbeddedBroker('127.0.0.1', 0)
  t.teardown(() => broker.close())
  const r = await rig(t, broker.url)
  await r.reporter.start()
  t.teardown(() => r.reporter.stop())
  await r.comeBack() // the refusal's reconnect is at once, on the clock
  t.equal(r.reporter.protocolVersion, 4)
  await r.watch.until(() => r.statuses().at(-1) === 'online', 'online over 3.1.1')

  const strict = await rig(t, broker.url, { protocol: '5' })
  await strict.reporter.start()
  t.teardown(() => strict.reporter.stop())
  await new Promise((res) => setTimeout(res, 500))
  strict.clock.advance(0)
  await new Promise((res) => setTimeout(res, 200))
  t.notOk(strict.reporter.connected, 'protocol: "5" never falls back')
  t.equal(strict.reporter.protocolVersion, 5)
})
