/**
 * Part of a fleet (scripts/fleet.ts): `count` real boxes on simulated hardware
 * in this one process, each with an analog line (voltage and ring detect) and
 * two simulated uplinks, reporting to one broker. On a seeded schedule each box
 * cuts and restores its line, rings it, and cuts and restores an uplink.
 *
 * node dist/scripts/fleet-child.js <brokerUrl> <first> <count> <seconds> <seed> <stateRoot>
 * stdout, one JSON line each: {"ready":n} once every box is connected; {"boxes":[{box,lastSeq,alerts}]}
 * once the schedule is over, everything restored and every outbox empty (or after the drain limit).
 * It stops its boxes and exits on "stop", or as soon as stdin ends (the parent is gone).
 */
import { join } from 'node:path'
import { Box } from '../src/app.js'
import { validateConfigText } from '../src/config/index.js'
import { silentLogger } from '../src/core/logger.js'
import { lineAction, uplinkAction } from '../src/sim/controls.js'
import { prng } from '../src/sim/prng.js'

const DRAIN_LIMIT_MS = 120_000
const [url, firstArg, countArg, secondsArg, seedArg, root] = process.argv.slice(2)
if (!url || !root) {
  process.stderr.write('usage: fleet-child <brokerUrl> <first> <count> <seconds> <seed> <stateRoot>\n')
  process.exit(2)
}
const first = Number(firstArg)
const count = Number(countArg)
const seconds = Number(secondsArg)
const random = prng(Number(seedArg) + first)
const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const fleetBoxName = (i: number) => `b${String(i).padStart(3, '0')}`

function configFor(i: number) {
  const box = fleetBoxName(i)
  const { config, problems } = validateConfigText(`site: fleet
box: ${box}
board: sim
lines:
  - { id: pots1, kind: analog, numbers: ["+7495${String(1000000 + i)}"], hysteresis: { holdDownSeconds: 0 }, analog: { voltage: { pin: 11, settleMs: 0 }, ring: { pin: 12 } } }
uplinks:
  - { id: wan1, interface: "sim:wan1", gateway: 192.0.2.1, probes: { targets: [{ type: icmp, host: 198.18.0.1 }] }, holdDownSeconds: 2 }
  - { id: wan2, interface: "sim:wan2", gateway: 192.0.2.2, probes: { targets: [{ type: icmp, host: 198.18.0.1 }] }, holdDownSeconds: 2 }
failover: { routes: report }
mqtt: { url: "${url}", protocol: "5", reconnectMinMs: 500, reconnectMaxMs: 4000 }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${join(root!, box)}" }
`)
  if (!config) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '))
  return config
}

const boxes: Box[] = []
const alerts = new Map<Box, number>()
// the parent gone (killed, timed out): stop at once, whatever the schedule says
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await Promise.all(boxes.map((b) => b.stop()))
  process.exit(0)
}
process.stdin.on('data', (d) => {
  if (d.toString().includes('stop')) void stop()
})
process.stdin.on('end', () => void stop())
for (let i = first; i < first + count; i++) {
  const box = new Box({ config: configFor(i), log: silentLogger() })
  alerts.set(box, 0)
  box.store.on('change', (c) => {
    if (c.kind === 'alert') alerts.set(box, alerts.get(box)! + 1)
  })
  await box.start()
  boxes.push(box)
}
while (!boxes.every((b) => b.mqtt.connected)) await sleep(100)
say({ ready: boxes.length })

// the schedule: every box acts about every 4 s, at seeded moments
const end = Date.now() + seconds * 1000
const lineCut = new Set<Box>()
const wanCut = new Set<Box>()
while (Date.now() < end) {
  for (const box of boxes) {
    if (random() > 0.025) continue
    const sim = box.simulator!
    const r = random()
    if (r < 0.4) {
      lineAction(sim, 'pots1', lineCut.has(box) ? 'restore' : 'cut')
      if (lineCut.has(box)) lineCut.delete(box)
      else lineCut.add(box)
    } else if (r < 0.7) {
      if (!lineCut.has(box)) lineAction(sim, 'pots1', 'call', '+79161234567')
    } else {
      uplinkAction(sim, 'wan1', wanCut.has(box) ? 'restore' : 'cut')
      if (wanCut.has(box)) wanCut.delete(box)
      else wanCut.add(box)
    }
  }
  await sleep(100)
}
for (const box of lineCut) lineAction(box.simulator!, 'pots1', 'restore')
for (const box of wanCut) uplinkAction(box.simulator!, 'wan1', 'restore')
// the parts settle (the line's hold-down is 0, an uplink's 2 s), then every outbox drains
await sleep(5000)
const drainEnd = Date.now() + DRAIN_LIMIT_MS
while (Date.now() < drainEnd && !boxes.every((b) => b.mqtt.connected && b.mqtt.outbox.size === 0)) await sleep(200)
say({ boxes: boxes.map((b) => ({ box: b.config.box, lastSeq: b.mqtt.outbox.lastSeq, waiting: b.mqtt.outbox.size, alerts: alerts.get(b)! })) })

