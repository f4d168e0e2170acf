/**
 * One life of a box's office link, for test/report/outbox-kill.test.ts: the
 * real MqttReporter and journal on a state folder, recording an event every
 * few milliseconds until it is killed. `node dist/scripts/outbox-child.js
 * <stateDir> <brokerUrl> <box> [drain]`; prints `ready` once connected; with
 * `drain` it records nothing and prints `drained` once its outbox is empty.
 */
import { join } from 'node:path'
import { systemClock } from '../src/core/clock.js'
import { Journal } from '../src/core/journal.js'
import { createLogger } from '../src/core/logger.js'
import { StateStore } from '../src/core/store.js'
import { validateConfigText } from '../src/config/index.js'
import { MqttReporter } from '../src/report/mqtt.js'

const [stateDir, url, box, mode] = process.argv.slice(2)
if (!stateDir || !url || !box) {
  process.stderr.write('usage: outbox-child <stateDir> <brokerUrl> <box>\n')
  process.exit(2)
}
const log = createLogger({ level: 'warn', destination: process.stderr })
const journal = new Journal(join(stateDir, 'journal.log'), log)
journal.open()
const store = new StateStore({ site: 'kill', box, version: 't', startedAt: Date.now() }, systemClock)
const { config, problems } = validateConfigText(`site: kill\nbox: ${box}\nboard: sim\nmqtt: { url: "${url}", baseTopic: lwkill, reconnectMinMs: 100, reconnectMaxMs: 1000 }\n`)
if (!config) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '))
const reporter = new MqttReporter({ config: config!.mqtt, site: 'kill', box, store, clock: systemClock, log, journal })
await reporter.start()
const wait = setInterval(() => {
  if (!reporter.connected) return
  clearInterval(wait)
  process.stdout.write('ready\n')
}, 10)
let n = 0
if (mode === 'drain') {
  const done = setInterval(() => {
    if (!reporter.connected || reporter.outbox.size > 0) return
    clearInterval(done)
    process.stdout.write('drained\n')
  }, 20)
} else setInterval(() => {
  for (let i = 0; i < 5; i++) store.recordEvent({ type: 'uplink', from: 'wan1', to: 'wan2', reason: `pid ${process.pid} n ${n++}`, routes: 'set', conntrack: null, detail: '' })
}, 2)
