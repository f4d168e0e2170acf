/**
 * The two things MqttReporter does for uplink failover, against a real
 * mosquitto: reconnectNow() (the traffic moved: connect again now, not after
 * the back-off) and throttle() (on a metered uplink: retained state at most
 * every so often, the newest per topic; status, alerts and events at once).
 */
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { tempJournal } from '../helpers/journal.js'
import t, { type Test } from 'tap'
import type { MqttConfig } from '../../src/config/schema.js'
import { FakeClock, systemClock, type Clock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { UplinkSnapshot } from '../../src/core/state.js'
import { initialLine } from '../../src/lines/monitor.js'
import { MqttReporter } from '../../src/report/mqtt.js'
import { flush, waitFor } from '../helpers/flush.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { startMosquitto, missing, type Mosquitto } from '../helpers/real.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const skip = missing('mosquitto')

/** The back-off's first wait: 30 s (±20 % jitter), far beyond what any wait below allows. Only the at-once path can reconnect in time. */
const SLOW_BACKOFF = { reconnectMinMs: 30_000, reconnectMaxMs: 60_000 }

const WAN1: UplinkSnapshot = {
  id: 'wan1',
  interface: 'eth0',
  state: 'up',
  reason: 'answering',
  since: 0,
  ts: 0,
  preference: 1,
  metered: false,
  active: false,
  lossPct: 0,
  rttMs: 20,
  jitterMs: 1,
  rFactor: null,
  mos: null,
  probes: [],
  holdDownMs: 30_000,
  failbackAt: null,
}

let boxes = 0

/** A reporter on its own box name (and so its own client id and topics), with a line and an uplink in the store, and a watcher on its topics. */
async function rig(t: Test, broker: Mosquitto, clock: Clock) {
  const box = `b${++boxes}-${process.pid}`
  const { store } = testStore(clock instanceof FakeClock ? clock : new FakeClock())
  store.init('line', initialLine({ id: 'l1', kind: 'sip', numbers: [], channels: 1, ...LINE_DEFAULTS }, 0))
  store.init('uplink', { ...WAN1 })
  const config: MqttConfig = { url: broker.url, baseTopic: 'lwtest', outboxKB: 10240, officeAck: false, disabledCommands: [], protocol: 'auto', willDelaySeconds: 30, sessionExpirySeconds: 600, ...SLOW_BACKOFF }
  const reporter = new MqttReporter({ config, site: 'shop1', box, store, clock, log: silentLogger(), journal: tempJournal(t, {}, tempDir(t, 'lw-mqtt-failover-')) })
  const base = reporter.base
  // a persistent session: what the reporter sends while the watcher itself reconnects (broker restart) still reaches it
  const watch = await MqttWatch.open(broker.url, `${base}/#`, `office-${box}`)
  t.teardown(() => watch.close())
  const clientId = `linewatch-shop1-${box}`
  /** How often the broker saw this reporter connect. */
  const connections = () => broker.log.filter((l) => l.includes('New client connected') && l.includes(` as ${clientId} `)).length
  const seen = (topic: string) => watch.seen.filter((s) => s.topic === `${base}/${topic}`)
  const payloads = (topic: string) => seen(topic).map((s) => (s.payload.startsWith('{') ? (JSON.parse(s.payload) as Record<string, unknown>) : s.payload))
  return { store, reporter, base, watch, clientId, connections, seen, payloads }
}

t.test('reconnectNow: a connected reporter connects again at once, not after the back-off; an event recorded just before is delivered', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const r = await rig(t, broker, systemClock)
  await r.reporter.start()
  t.teardown(() => r.reporter.stop())
  await waitFor(() => r.reporter.connected && r.payloads('status').at(-1) === 'online', 5000, 'the first connection')
  await waitFor(() => r.connections() === 1, 2000, 'the broker to log the connection')
  const statusBefore = r.seen('status').length

  r.store.recordEvent({ type: 'uplink', from: 'wan1', to: 'wan2', reason: 'wan1 is not working', routes: 'set', conntrack: null, detail: '' })
  const asked = Date.now()
  r.reporter.reconnectNow()
  await waitFor(() => r.connections() === 2, 1000, 'a second connection within 1 s')
  t.ok(Date.now() - asked < 1000, `connected again after ${Date.now() - asked} ms`)
  await waitFor(() => r.reporter.connected && r.seen('status').length > statusBefore && r.payloads('status').at(-1) === 'online', 1000, 'status online again')
  await waitFor(() => r.payloads('event').some((e) => typeof e === 'object' && e.type === 'uplink' && e.to === 'wan2'), 2000, 'the uplink event')
  const events = r.payloads('event').filter((e) => typeof e === 'object' && e.type === 'uplink')
  t.ok(events.length >= 1, 'the event recorded just before the reconnect is not lost (QoS 1: it may come twice)')
  t.same(new Set(events.map((e) => (e as { seq: number }).seq)).size, 1, 'one event, whatever the redelivery')
  await waitFor(() => r.reporter.outbox.messages.length === 0, 2000, 'the outbox to empty')
  t.match(r.payloads('line/l1').at(-1), { id: 'l1' }, 'the whole state is sent again on the new connection')
  t.equal(r.connections(), 2, 'one reconnect, not a storm')
})

t.test('reconnectNow with the broker away: one attempt at once, then the back-off; once it is back, at once again', { skip }, async (t) => {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const r = await rig(t, broker, systemClock)
  await r.reporter.start()
  t.teardown(() => r.reporter.stop())
  await waitFor(() => r.reporter.connected, 5000, 'the first connection')

  await broker.stop()
  await waitFor(() => !r.reporter.connected, 2000, 'the reporter to notice the broker gone')
  // something on the broker's port that reads each CONNECT and hangs up: the reporter's attempts are counted (the watcher's are not)
  const attempts: number[] = []
  const trap = createServer((s: Socket) => {
    s.on('error', () => {})
    s.once('data', (d: Buffer) => {
      if (d.includes(r.clientId)) attempts.push(Date.now())
      s.destroy()
    })
  })
  await new Promise<void>((res, rej) => trap.once('error', rej).listen(broker.port, '127.0.0.1', () => res()))
  const closeTrap = () => new Promise<void>((res) => trap.close(() => res()))
  t.teardown(() => (trap.listening ? closeTrap() : undefined))
  await new Promise((res) => setTimeout(res, 300))
  t.equal(attempts.length, 0, 'after the connection was lost the reporter waits its back-off (30 s)')

  r.reporter.reconnectNow()
  await waitFor(() => attempts.length === 1, 1000, 'an attempt at once')
  await new Promise((res) => setTimeout(res, 500))
  t.equal(attempts.length, 1, 'that attempt failed: back to the back-off, no retry loop')
  await closeTrap()

  await broker.start()
  // the watcher gets back on its own (every 200 ms); the reporter would wait ~30 s
  await waitFor(() => r.watch.client.connected, 5000, 'the watcher to reconnect')
  await new Promise((res) => setTimeout(res, 300))
  t.notOk(r.reporter.connected, 'the reporter is still waiting out its back-off')
  r.store.recordEvent({ type: 'uplink', from: 'wan1', to: 'wan2', reason: 'wan1 is not working', routes: 'set', conntrack: null, detail: '' })
  const asked = Date.now()
  r.reporter.reconnectNow()
  await waitFor(() => r.reporter.connected, 1000, 'the reporter to connect at once')
  t.ok(Date.now() - asked < 1000, `connected after ${Date.now() - asked} ms`)
  await waitFor(() => r.payloads('event').some((e) => typeof e === 'object' && e.type === 'uplink'), 2000, 'the event recorded while away')
  await waitFor(() => r.payloads('status').at(-1) === 'online', 2000, 'status online')
})

/** A reporter on a FakeClock (the throttle's interval runs on it), connected, its first full state seen by the watcher. */
async function throttled(t: Test) {
  const broker = await startMosquitto()
  t.teardown(() => broker.stop())
  const clock = new FakeClock()
  const r = await rig(t, broker, clock)
  await r.reporter.start()
  t.teardown(() => r.reporter.stop())
  await waitFor(() => r.reporter.connected && r.seen('line/l1').length === 1 && r.seen('uplink/wan1').length === 1, 5000, 'the first full state')
  /** Something QoS 1 through the outbox: once the watcher has it, whatever the reporter published before it has arrived too. */
  let marks = 0
  const barrier = async () => {
    const id = `mark-${++marks}`
    r.store.setAlert({ id, severity: 'info', source: 'test', state: 'raised', message: id })
    await waitFor(() => r.payloads('alert').some((a) => typeof a === 'object' && a.id === id), 2000, `alert ${id}`)
  }
  return { ...r, broker, clock, barrier }
}

t.test('throttle: retained state is held, the newest per topic goes when the interval ends; events and alerts at once', { skip }, async (t) => {
  const r = await throttled(t)
  r.reporter.throttle(60_000)
  r.clock.advance(5_000) // past the switch's own report (next test)
  r.store.update('line', 'l1', { state: 'down', reason: 'first' })
  r.store.update('line', 'l1', { reason: 'second' })
  r.store.update('line', 'l1', { reason: 'third' })
  r.store.update('uplink', 'wan1', { rttMs: 300 })
  r.store.update('uplink', 'wan1', { rttMs: 400 })
  await r.barrier()
  t.equal(r.seen('line/l1').length, 1, 'the line: nothing at once')
  t.equal(r.seen('uplink/wan1').length, 1, 'the uplink: nothing at once')
  t.match(r.payloads('event'), [{ type: 'state', source: 'line/l1', from: 'unknown', to: 'down', reason: 'first' }], 'the state event went at once')

  r.clock.advance(54_000) // 59 s after throttle()
  await r.barrier()
  t.equal(r.seen('line/l1').length, 1, 'not before the interval')
  r.clock.advance(1_000)
  await waitFor(() => r.seen('line/l1').length === 2 && r.seen('uplink/wan1').length === 2, 2000, 'the held state')
  await r.barrier()
  t.match(r.payloads('line/l1').slice(1), [{ state: 'down', reason: 'third' }], 'one message, the newest: first and second dropped')
  t.match(r.payloads('uplink/wan1').slice(1), [{ rttMs: 400 }])

  r.clock.advance(60_000)
  await r.barrier()
  t.equal(r.seen('line/l1').length, 2, 'nothing changed: nothing sent again')

  r.store.update('line', 'l1', { reason: 'held' })
  await r.barrier()
  t.equal(r.seen('line/l1').length, 2)
  r.reporter.throttle(0)
  await waitFor(() => r.seen('line/l1').length === 3, 2000, 'what is held, at once')
  t.match(r.payloads('line/l1').at(-1), { reason: 'held' })
  r.store.update('line', 'l1', { state: 'up', reason: 'normal again' })
  await waitFor(() => r.seen('line/l1').length === 4, 2000, 'a change at once, unthrottled')
  t.match(r.payloads('line/l1').at(-1), { state: 'up', reason: 'normal again' })
  r.clock.advance(120_000)
  await r.barrier()
  t.equal(r.seen('line/l1').length, 4, 'no interval left running')
})

t.test('throttle: the switch itself goes at once (the state resent on the new connection, and what changes in the next 5 s); only later changes wait', { skip }, async (t) => {
  const r = await throttled(t)
  // the switch to LTE: wan1 is no longer active; then the reporter moves its connection
  r.reporter.throttle(300_000)
  r.store.update('uplink', 'wan1', { state: 'down', active: false, reason: 'cut' })
  await waitFor(() => r.seen('uplink/wan1').length === 2, 2000, 'the switch at once, not after 300 s')
  const statusBefore = r.seen('status').length
  r.reporter.reconnectNow()
  r.clock.advance(0) // the at-once attempt is a timer of 0 ms on the box's clock
  for (let i = 0; i < 50 && r.payloads('status').slice(statusBefore).at(-1) !== 'online'; i++) {
    r.clock.advance(0)
    await new Promise((res) => setTimeout(res, 20))
  }
  await waitFor(() => r.reporter.connected && r.seen('line/l1').length === 2 && r.seen('uplink/wan1').length === 3, 2000, 'the whole state at once on the new connection')
  t.match(r.payloads('uplink/wan1').at(-1), { state: 'down', active: false })
  r.clock.advance(4_000)
  r.store.update('line', 'l1', { reason: 'still the switch' })
  await waitFor(() => r.seen('line/l1').length === 3, 2000, 'a change within 5 s of the connection: at once')
  r.clock.advance(1_000)
  r.store.update('line', 'l1', { reason: 'later' })
  await r.barrier()
  t.equal(r.seen('line/l1').length, 3, 'a later change waits for the interval')
  r.clock.advance(300_000)
  await waitFor(() => r.seen('line/l1').length === 4, 2000, 'the held state')
  t.match(r.payloads('line/l1').at(-1), { reason: 'later' })
})

t.test('throttle(0) while away, then throttled again later: no stale state goes out over the newer one', { skip }, async (t) => {
  const r = await throttled(t)
  r.reporter.throttle(60_000)
  r.store.update('line', 'l1', { state: 'down', reason: 'stale' })
  await r.barrier()
  await r.broker.stop()
  await waitFor(() => !r.reporter.connected, 2000, 'the reporter to see the broker gone')
  r.reporter.throttle(0) // back on a wired uplink while the broker is out of reach
  await r.broker.start()
  await waitFor(() => r.watch.client.connected, 5000, 'the watcher back')
  r.reporter.reconnectNow()
  for (let i = 0; i < 100 && !r.reporter.connected; i++) {
    r.clock.advance(0)
    await new Promise((res) => setTimeout(res, 20))
  }
  await waitFor(() => r.reporter.connected, 2000, 'the reporter back')
  r.store.update('line', 'l1', { state: 'up', reason: 'fresh' })
  await waitFor(() => (r.payloads('line/l1').at(-1) as { reason?: string } | undefined)?.reason === 'fresh', 2000, 'the fresh state')
  r.reporter.throttle(60_000) // on the metered uplink again
  r.clock.advance(60_000)
  await flush()
  await r.barrier()
  t.match(r.payloads('line/l1').at(-1), { state: 'up', reason: 'fresh' }, 'the broker keeps the newest state, not one held from before the reconnect')
})
