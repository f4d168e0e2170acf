/**
 * The mosquitto ACL that docs/mqtt.md gives, read from that page and run on a
 * real mosquitto with a password per account: the office reads every box and
 * commands it; another box can neither read this box's state nor command it.
 */
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import t from 'tap'
import { Box } from '../../src/app.js'
import { validateConfigText } from '../../src/config/index.js'
import { silentLogger } from '../../src/core/logger.js'
import { waitFor } from '../helpers/flush.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto') || missing('mosquitto_passwd')

t.test("docs/mqtt.md's ACL on a real mosquitto: the office and Home Assistant read and command, another box can do neither", { skip }, async (t) => {
  const doc = await readFile(new URL('../../docs/mqtt.md', import.meta.url), 'utf8')
  const acl = /For mosquitto \(`acl_file`\):\n\n```\n([\s\S]*?)```/.exec(doc)?.[1]
  t.ok(acl, 'the ACL block is on the page')
  // the page's entry for shop1-box1, repeated for a second box as the page says (one entry per box)
  const box2 = acl!.slice(acl!.indexOf('user shop1-box1')).replaceAll('shop1-box1', 'shop1-box2').replaceAll('shop1/box1', 'shop1/box2').replaceAll('shop1_box1', 'shop1_box2')
  const dir = tempDir(t, 'lw-acl-')
  await writeFile(join(dir, 'acl'), `${acl}\n${box2}`)
  const passwd = join(dir, 'passwd')
  execFileSync('mosquitto_passwd', ['-b', '-c', passwd, 'office', 'office-pw'], { stdio: 'ignore' })
  for (const u of ['shop1-box1', 'shop1-box2', 'homeassistant']) execFileSync('mosquitto_passwd', ['-b', passwd, u, `${u}-pw`], { stdio: 'ignore' })
  const broker = await startMosquitto('127.0.0.1', [`password_file ${passwd}`, `acl_file ${join(dir, 'acl')}`, 'allow_anonymous false'], false)
  t.teardown(() => broker.stop())

  const base = 'linewatch/shop1/box1'
  const { config } = validateConfigText(`site: shop1\nbox: box1\nboard: sim\nmodems: [{ id: m1, port: "sim:m1" }]\nlines: [{ id: gsm1, kind: gsm, modem: m1 }]\nmqtt: { url: "${broker.url}", username: shop1-box1, password: shop1-box1-pw }\nhomeAssistant: { enabled: true }\nhttp: { host: 127.0.0.1, port: 0 }\nstorage: { dir: "${join(dir, 'state')}" }\n`)
  const box = new Box({ config: config!, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  await waitFor(() => box.mqtt?.connected === true, 10_000, 'the box on the broker with its own account')

  const client = async (user: string) => {
    const c = await mqtt.connectAsync(broker.url, { username: user, password: `${user}-pw`, clientId: `test-${user}` })
    const seen: string[] = []
    c.on('message', (topic) => seen.push(topic))
    t.teardown(() => c.endAsync())
    return { c, seen }
  }
  const office = await client('office')
  const other = await client('shop1-box2')
  await office.c.subscribeAsync('linewatch/#')
  await other.c.subscribeAsync(`${base}/#`)
  await waitFor(() => office.seen.includes(`${base}/line/gsm1`), 5000, "the office to read box1's state")

  await other.c.publishAsync(`${base}/panel/test`, '')
  await other.c.publishAsync(`${base}/line/gsm1`, '{"state":"up","forged":true}', { retain: true })
  await new Promise((r) => setTimeout(r, 1500))
  t.equal(box.store.snapshot.panel.test, null, 'another box cannot run the lamp test of box1')
  t.same(other.seen, [], "nor read box1's state")
  t.notOk(office.seen.filter((s) => s === `${base}/line/gsm1`).length > 1, 'nor forge it')

  await office.c.publishAsync(`${base}/panel/test`, '')
  await waitFor(() => box.store.snapshot.panel.test !== null, 5000, 'the lamp test the office asked for')
  t.pass('the office commands box1')

  // Home Assistant: box1's discovery arrives; box2 cannot plant an entity on box1's device; a button press reaches box1
  const ha = await client('homeassistant')
  const configs: Record<string, string> = {}
  ha.c.on('message', (topic, payload) => (configs[topic] = payload.toString()))
  await ha.c.subscribeAsync('homeassistant/#')
  const lineConfig = 'homeassistant/binary_sensor/linewatch_shop1_box1/line_gsm1/config'
  await waitFor(() => configs[lineConfig] !== undefined, 5000, "box1's discovery config for Home Assistant")
  await other.c.publishAsync('homeassistant/sensor/linewatch_shop1_box1/forged/config', '{"state_topic":"x"}', { retain: true })
  await ha.c.publishAsync(`${base}/cmd/ping`, '{"id":"ha-1"}')
  await waitFor(() => ha.seen.includes(`${base}/cmd/ping/result`) || office.seen.includes(`${base}/cmd/ping/result`), 5000, 'the ping Home Assistant sent answered')
  t.notOk(Object.keys(configs).some((k) => k.includes('/forged/')), "another box cannot add an entity to box1's device")
})
