/**
 * The stack light as the office and the call room see it, end to end: the
 * real `linewatch run` with its panel's stack light on one end of a socat
 * pseudo-terminal, a simulated Modbus slave on the other, a real mosquitto.
 * The panel stays steady throughout (nothing changes state): a slave that
 * stops answering is on `<base>/panel` and `<base>/alert`, and a light
 * power-cycled dark shows its frame again within a refresh period.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { linewatch, sigterm } from '../helpers/cli.js'
import { slaveOnPty } from '../helpers/modbus-pty.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { missing, startMosquitto } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto') || missing('socat')
type Panel = { outputs: { modbus?: { ok: boolean; error?: string } } }

t.test('linewatch run: a steady panel\'s stack light is watched over MQTT', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const light = await slaveOnPty(1)
  t.teardown(() => light.close())
  const dir = tempDir(t, 'lw-stack-')
  const file = join(dir, 'linewatch.yaml')
  await writeFile(file, `site: shop1
box: b1
board: sim
panel:
  lamps: [{ id: sys, source: system, green: 2, red: 3 }]
  lampTestMs: 0
  modbus: { port: "${light.box}", slaveId: 1, timeoutMs: 300, coils: { red: 0, amber: 1, green: 2 }, refreshSeconds: 2, retrySeconds: 2 }
mqtt: { url: "${broker.url}", reconnectMinMs: 200 }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${join(dir, 'state')}" }
`)
  const base = 'linewatch/shop1/b1'
  const watch = await MqttWatch.open(broker.url, `${base}/#`)
  t.teardown(() => watch.close())
  const box = linewatch(['run', '--config', file])
  t.teardown(() => sigterm(box))
  const modbus = () => (watch.last(`${base}/panel`) as Panel | undefined)?.outputs.modbus
  const tiers = () => light.slave.coils.slice(0, 3).map((c) => (c ? 1 : 0)).join('')
  await watch.until(() => modbus()?.ok === true, 'the stack light answering on <base>/panel', 15_000)
  t.equal(tiers(), '000', 'the summary of nothing known yet: every tier dark')
  light.slave.coils[1] = true // a tier lit by someone else (or noise): the refresh puts the frame back
  await watch.until(() => tiers() === '000', 'the true frame rewritten by a refresh', 5000)

  light.slave.setAnswering(false)
  await watch.until(() => modbus()?.ok === false, 'outputs.modbus.ok false on <base>/panel with nothing else changing', 10_000)
  t.match(modbus()?.error, /no answer/)
  const alert = (state: string) => watch.seen.filter((s) => s.topic === `${base}/alert`).map((s) => JSON.parse(s.payload) as { id: string; state: string; message: string }).find((a) => a.id === 'panel/modbus' && a.state === state)
  await watch.until(() => alert('raised') !== undefined, 'the alert on <base>/alert', 5000)
  t.match(alert('raised'), { message: /the stack light \(Modbus\) is not working: .*no answer/ })

  light.slave.setAnswering(true)
  await watch.until(() => modbus()?.ok === true, 'answering again', 15_000)
  await watch.until(() => alert('cleared') !== undefined, 'the alert cleared', 5000)
  t.equal((await sigterm(box)).code, 0)
})
