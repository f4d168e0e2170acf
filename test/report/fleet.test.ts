/**
 * The fleet test: 200 real boxes on simulated hardware (four processes)
 * against one mosquitto, each breaking and healing its line and an uplink on
 * a seeded schedule, the broker restarted once in the middle. The office
 * subscriber (scripts/fleet.ts) must end with every box's every seq exactly
 * once after de-duplication, every alert the box raised or cleared, and no
 * box with anything left in its outbox. 30 s of schedule here;
 * LINEWATCH_FLEET_MINUTES=10 for the long run (docs/development.md).
 * The figures go to `npm run bench` (scripts/bench-fleet.ts).
 */
import t from 'tap'
import { startMosquittoForBench } from '../../scripts/bench-mosquitto.js'
import { runFleet } from '../../scripts/fleet.js'
import { missing } from '../helpers/real.js'

const minutes = Number(process.env.LINEWATCH_FLEET_MINUTES ?? 0.5)
// the long run outlasts tap's 120 s per file
t.setTimeout((minutes * 60 + 300) * 1000)

t.test(`200 boxes, ${minutes} min of faults, a broker restart: the office loses nothing`, { skip: missing('mosquitto'), timeout: (minutes * 60 + 240) * 1000 }, async (t) => {
  const broker = await startMosquittoForBench()
  if ('skipped' in broker) return t.fail(broker.skipped)
  t.teardown(() => broker.stop())
  const r = await runFleet({ broker, boxes: 200, processes: 4, seconds: minutes * 60, seed: 2026, restartAfterSeconds: Math.round(minutes * 60 * 0.4) })
  t.same(r.problems, [], 'every seq of every box once, every alert, every outbox drained')
  t.ok(r.alerts > 200, `the schedule raised and cleared alerts (${r.alerts})`)
  t.ok(r.received >= r.alerts, `${r.received} messages received, ${r.duplicates} of them copies dropped by seq`)
  t.comment(`${r.messagesPerSecond} msg/s, broker CPU ${r.brokerCpuPercent} %, latency p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms`)
})
