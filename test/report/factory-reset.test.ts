/**
 * A factory reset end to end: firstboot empties the state folder (the web
 * password among it) and leaves the mark; the box then clears every retained
 * topic it had left on a real mosquitto before it publishes its fresh state.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import { Box } from '../../src/app.js'
import { Credentials } from '../../src/auth/credentials.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { applyBootFiles } from '../../src/firstboot/apply.js'
import { CLEAR_RETAINED_MARK } from '../../src/report/clear-retained.js'
import { waitFor } from '../helpers/flush.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

t.test('factory-reset.txt: state emptied, credentials gone, old retained topics cleared on a real mosquitto', { skip: missing('mosquitto') }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const dir = tempDir(t, 'lw-reset-')
  const state = join(dir, 'state')
  const boot = join(dir, 'boot')
  await mkdir(state)
  await mkdir(boot)
  const base = 'linewatch/shop1/b1'
  // what the box left before: a line since removed from the config, an uplink, its status
  const old = await mqtt.connectAsync(broker.url)
  for (const topic of [`${base}/line/oldline`, `${base}/uplink/wan9`, `${base}/status`]) await old.publishAsync(topic, '{"stale":true}', { qos: 1, retain: true })
  await old.publishAsync('linewatch/shop1/other-box/line/x', '{"theirs":true}', { qos: 1, retain: true })
  await old.endAsync()
  await new Credentials(join(state, 'credentials.json')).setPassword('admin', 'the old password', 'admin', 0)
  await writeFile(join(state, 'routing.json'), '{}')

  await writeFile(join(boot, 'factory-reset.txt'), 'yes\n')
  const applied = await applyBootFiles(boot, { etc: join(dir, 'etc'), state, run: async () => 0 })
  t.match(applied, [{ file: 'factory-reset.txt', ok: true, action: /factory reset: 2 item\(s\) removed/ }])
  t.same(await readdir(state), [CLEAR_RETAINED_MARK], 'only the mark is left')
  t.same(await readdir(boot), [], 'the reset file is gone from the card (or every boot would reset)')
  t.ok(new Credentials(join(state, 'credentials.json')).needsSetup(), 'no web password any more')

  const { config } = validateConfigText(`site: shop1\nbox: b1\nboard: sim\nmodems: [{ id: m1, port: "sim:m1" }]\nlines: [{ id: gsm1, kind: gsm, modem: m1 }]\nmqtt: { url: "${broker.url}" }\nhttp: { host: 127.0.0.1, port: 0 }\nstorage: { dir: "${state}" }\n`)
  const box = new Box({ config: config!, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  await waitFor(() => !existsSync(join(state, CLEAR_RETAINED_MARK)), 15_000, 'the mark to be removed')
  const watch = await MqttWatch.open(broker.url, 'linewatch/shop1/#')
  t.teardown(() => watch.close())
  await watch.until((w) => w.seen.some((s) => s.topic === `${base}/line/gsm1` && s.retain), 'the fresh state', 5000)
  await new Promise((r) => setTimeout(r, 500))
  const retainedTopics = new Set(watch.seen.filter((s) => s.retain).map((s) => s.topic))
  t.notOk(retainedTopics.has(`${base}/line/oldline`), 'the removed line is cleared')
  t.notOk(retainedTopics.has(`${base}/uplink/wan9`))
  t.equal(watch.last(`${base}/status`), 'online', 'status is the fresh one')
  t.ok(retainedTopics.has('linewatch/shop1/other-box/line/x'), "another box's topics are not touched")
})
