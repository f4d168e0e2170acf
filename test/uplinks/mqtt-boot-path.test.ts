/**
 * The box boots while the kernel's default route favours isp2 (DHCP put it
 * there), so its broker connection is made over isp2; then it chooses isp1.
 * A source rule keeps that connection on isp2. When isp2 is cut, the box must
 * not be off MQTT until a keepalive notices: its first route choice moves the
 * connection to isp1, so the news of isp2's cut reaches the office in seconds.
 * Real network namespaces, `linewatch run`, a real mosquitto.
 */
import t from 'tap'
import { performance } from 'node:perf_hooks'
import mqtt from 'mqtt'
import { startLab } from '../helpers/failover-lab.js'
import { waitFor } from '../helpers/flush.js'
import { makeTopology, netnsUnavailable } from '../helpers/netns.js'
import { missing, startMosquitto } from '../helpers/real.js'

const skip = netnsUnavailable() || missing('mosquitto')

t.test('booted on isp2, moved to isp1 by the first choice: a cut of isp2 is reported in seconds, not after a keepalive', { skip, timeout: 90_000 }, async (t) => {
  const topo = await makeTopology()
  t.teardown(() => topo.destroy())
  const broker = await startMosquitto(topo.rootAddress)
  t.teardown(() => broker.stop())
  const isp2 = topo.uplinks[1]
  const added = await topo.exec('box', 'ip', ['route', 'add', 'default', 'via', isp2.gateway, 'dev', isp2.interface, 'metric', '5'])
  t.equal(added.code, 0, `a default route by isp2 before the box starts ${added.stderr}`)

  const heard: { topic: string; body: Record<string, unknown>; at: number }[] = []
  const watch = mqtt.connect(broker.url, { clientId: `lw-boot-${topo.tag}` })
  t.teardown(() => watch.endAsync(true))
  watch.on('message', (topic, payload) => {
    try {
      heard.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown>, at: Date.now() })
    } catch {
      heard.push({ topic, body: { text: payload.toString() }, at: Date.now() })
    }
  })
  await new Promise<void>((r) => watch.on('connect', () => r()))
  await watch.subscribeAsync(`linewatch/lab/${topo.tag}/#`, { qos: 1 })

  const lab = await startLab(topo, { holdDownSeconds: 8, mqttUrl: broker.url })
  t.teardown(() => lab.stop())
  await lab.waitRoute('up1', 20_000)
  const uplink = (id: string) => heard.filter((h) => h.topic.endsWith(`/uplink/${id}`)).at(-1)?.body
  await waitFor(() => uplink('isp1')?.active === true && uplink('isp2')?.state === 'up', 20_000, 'isp1 active and isp2 up, over MQTT')
  const boxConnections = () => broker.log.filter((l) => l.includes('New client connected') && l.includes(`linewatch-lab-${topo.tag}`))
  t.match(boxConnections()[0], `from ${isp2.address}:`, 'at boot the box reached the broker over isp2 (the kernel\'s route then)')
  await waitFor(() => boxConnections().some((l) => l.includes(`from ${topo.uplinks[0].address}:`)), 10_000, 'the connection moved to isp1 after the first choice')
  t.pass('the first choice moved the broker connection to isp1')

  const cutAt = performance.now()
  await topo.cut('isp2')
  const down = (h: (typeof heard)[number]) => h.topic.endsWith('/event') && h.body.type === 'state' && h.body.source === 'uplink/isp2' && h.body.to === 'down'
  await waitFor(() => heard.some(down), 30_000, 'the event of isp2 going down')
  const event = heard.find(down)!
  const lag = (event.at - Number(event.body.ts)) / 1000
  t.ok(lag < 5, `isp2 down reached the office ${lag.toFixed(1)} s after the box saw it (${((performance.now() - cutAt) / 1000).toFixed(1)} s after the cut)`)
  // both ways: a command from the office reaches the box, and its answer (the panel's lamp test) comes back
  await watch.publishAsync(`linewatch/lab/${topo.tag}/panel/test`, '{}', { qos: 1 })
  const testing = (h: (typeof heard)[number]) => h.topic.endsWith('/panel') && h.body.test !== null && typeof h.body.test === 'object'
  await waitFor(() => heard.some(testing), 5000, 'the lamp test the office asked for')
  t.pass('the office\'s command went through after the cut')
  const statuses = heard.filter((h) => h.topic.endsWith('/status')).map((h) => h.body.text)
  t.notOk(statuses.includes('offline'), `status never offline (${statuses.join(', ')})`)
})
