import { LINE_DEFAULTS } from '../helpers/parts.js'
import { tempJournal } from '../helpers/journal.js'
import t, { type Test } from 'tap'
import type { LineConfig, ModemConfig } from '../../src/config/schema.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { TestCallEvent } from '../../src/core/state.js'
import { SerialOpener } from '../../src/hw/serial.js'
import { LineMonitor } from '../../src/lines/monitor.js'
import { ModemDriver } from '../../src/modem/driver.js'
import { AlertManager } from '../../src/alerts/manager.js'
import { TestCaller } from '../../src/actions/test-call.js'
import { SimBinding, SimGateway } from '../../src/sim/binding.js'
import { SimModem } from '../../src/sim/modem.js'
import { advance } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const LINES: LineConfig[] = [
  { id: 'gsm1', kind: 'gsm', numbers: ['+74951110001'], channels: 1, modem: 'gsm1', ...LINE_DEFAULTS },
  { id: 'gsm2', kind: 'gsm', numbers: ['+74951110002'], channels: 1, modem: 'gsm2', ...LINE_DEFAULTS },
]

async function site(t: Test) {
  const clock = new FakeClock()
  const gw = new SimGateway()
  const sims = { gsm1: gw.add('gsm1', new SimModem({ clock, msisdn: '+74951110001' })), gsm2: gw.add('gsm2', new SimModem({ clock, personality: 'simcom', msisdn: '+74951110002' })) }
  const { store } = testStore(clock)
  const opener = new SerialOpener(new SimBinding(gw))
  const cfg = (id: string): ModemConfig => ({ id, port: `sim:${id}`, baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 20 })
  const drivers = Object.fromEntries(['gsm1', 'gsm2'].map((id) => [id, new ModemDriver({ config: cfg(id), store, clock, opener, log: silentLogger() })]))
  const lines = new LineMonitor(store, LINES)
  lines.start()
  const alerts = new AlertManager({ store, language: 'en', journal: tempJournal(t), log: silentLogger() })
  await alerts.start()
  for (const d of Object.values(drivers)) d.start()
  await Promise.all(Object.values(drivers).map((d) => d.settled()))
  const caller = new TestCaller({
    store,
    lines: LINES,
    config: { everyMinutes: 0, ringSeconds: 10, fromModems: [] },
    modems: { dial: (m, n, o) => drivers[m]!.dial(n, o), cancel: (m) => drivers[m]!.cancelCall() },
    clock,
    log: silentLogger(),
  })
  const events: TestCallEvent[] = []
  store.on('change', (c) => c.kind === 'event' && c.next.type === 'test-call' && events.push(c.next))
  t.teardown(async () => {
    await Promise.all(Object.values(drivers).map((d) => d.stop()))
    await alerts.stop()
    gw.stop()
  })
  /** Run a test call to its end on the fake clock. */
  const test = async (line: string) => {
    const p = caller.run(line)
    await advance(clock, 15_000)
    return p
  }
  return { clock, sims, store, caller, events, test }
}

t.test('a working line: the ring arrives from the other modem\'s number; the box hangs up before anyone answers', async (t) => {
  const s = await site(t)
  const r = await s.test('gsm1')
  t.match(r, { line: 'gsm1', number: '+74951110001', from: 'gsm2', ok: true, detail: /rang on gsm1 after 1 s \(called from gsm2\)/ })
  t.match(s.store.get('line', 'gsm1')!.lastTestCall, { ok: true })
  t.match(s.store.get('modem', 'gsm2')!.lastCall, { direction: 'out', number: '+74951110001', outcome: 'cancelled' }, 'hung up: nobody had to answer')
  t.match(s.store.get('modem', 'gsm1')!.lastCall, { direction: 'in', number: '+74951110002', outcome: 'missed' })
  t.same([s.sims.gsm1.calls, s.sims.gsm2.calls], [[], []], 'no call left on either module')
  t.equal(s.store.snapshot.alerts['line/gsm1/test-call'], undefined)
  t.same(s.events.map((e) => [e.line, e.ok]), [['gsm1', true]])
})

t.test('a line whose SIM is off the network: no ring within ringSeconds, an alert; it clears when a test passes again', async (t) => {
  const s = await site(t)
  s.sims.gsm1.setRegistration('denied')
  const bad = await s.test('gsm1')
  t.match(bad, { ok: false, detail: /no ring on gsm1 within 10 s \(called from gsm2; the call no-answer\)/ })
  t.match(s.store.snapshot.alerts['line/gsm1/test-call'], { state: 'raised', message: /the test call failed: no ring on gsm1/ })
  s.sims.gsm1.setRegistration('home')
  await advance(s.clock, 1000)
  t.match(await s.test('gsm1'), { ok: true })
  t.equal(s.store.snapshot.alerts['line/gsm1/test-call'], undefined, 'cleared')
})

t.test('no other modem to call from: said, with no verdict on the line; a line that cannot be tested is refused', async (t) => {
  const s = await site(t)
  s.sims.gsm2.hang('hard')
  await advance(s.clock, 25_000)
  t.match(await s.test('gsm1'), { ok: false, from: null, detail: 'no other modem is free to call from (up and not in a call)' })
  t.equal(s.store.get('line', 'gsm1')!.lastTestCall, null, 'not a fault of the line')
  await t.rejects(s.caller.run('nope'), /cannot be tested/)
})

t.test('no verdict on a line that is busy: ringing with a customer\'s call, or answering busy', async (t) => {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const { initialModem } = await import('../../src/modem/modem-state.js')
  store.init('modem', { ...initialModem({ id: 'gw', port: 'sim:gw', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 20 }, 0), state: 'up' })
  const analog: LineConfig = { id: 'pots', kind: 'analog', numbers: ['+74951110003'], channels: 1, ...LINE_DEFAULTS, analog: { ring: { pin: 12, ringingLevel: 0, pullUp: true, pulseGapMs: 100, minBurstMs: 150, maxBurstMs: 3000, callGapMs: 8000 } } }
  new LineMonitor(store, [analog])
  const dialled: string[] = []
  const caller = new TestCaller({
    store,
    lines: [analog],
    config: { everyMinutes: 0, ringSeconds: 10, fromModems: [] },
    modems: { dial: async (_m, n) => (dialled.push(n), { direction: 'out', number: n, state: 'ended', outcome: 'busy', startedAt: 0, answeredAt: null, endedAt: 0 }), cancel: async () => {} },
    clock,
    log: silentLogger(),
  })
  t.same(caller.testable.map((l) => l.id), ['pots'], 'an analog line with ring detect can be tested')
  store.update('line', 'pots', { analog: { ...store.get('line', 'pots')!.analog!, ringing: true } })
  t.match(await caller.run('pots'), { ok: false, detail: 'pots is in a call: test skipped' })
  t.same(dialled, [], 'not even dialled')
  store.update('line', 'pots', { analog: { ...store.get('line', 'pots')!.analog!, ringing: false } })
  t.match(await caller.run('pots'), { ok: false, from: 'gw', detail: 'pots was busy: test inconclusive (called from gw)' })
  t.equal(store.get('line', 'pots')!.lastTestCall, null, 'neither leaves a verdict on the line')
  t.equal(store.get('line', 'pots')!.state, 'unknown')
})
