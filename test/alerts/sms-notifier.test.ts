import t, { type Test } from 'tap'
import type { AlertsConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import type { NotifyEvent } from '../../src/core/state.js'
import { SmsNotifier } from '../../src/alerts/sms-notifier.js'
import { modemIn } from '../helpers/parts.js'
import { flush } from '../helpers/flush.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const CONTACTS: AlertsConfig['contacts'] = [
  { name: 'Anna', role: 'leader', phone: '+79161112233' },
  { name: 'Ivan', role: 'senior', phone: '+79162223344' },
  { name: 'Oleg', role: 'engineer', phone: '+79163334455' },
  { name: 'Nobody', role: 'senior' },
]

async function setup(t: Test, sms: Partial<AlertsConfig['sms']> = {}, dir = tempDir(t, 'lw-notify-')) {
  const { store, clock } = testStore()
  store.init('modem', modemIn({ state: 'up' }, 'gsm1'))
  store.init('modem', modemIn({ state: 'up' }, 'gsm2'))
  let online = true
  const sent: { modem: string; to: string; text: string }[] = []
  const failing = new Set<string>()
  const config: AlertsConfig = { language: 'en', contacts: CONTACTS, sms: { always: false, roles: ['leader', 'senior'], modems: [], maxPerHour: 6, offlineSeconds: 60, ...sms } }
  const notifier = new SmsNotifier({
    store,
    config,
    site: 'shop1',
    online: () => online,
    send: async (modem, to, text) => {
      if (failing.has(modem)) throw new Error('+CMS ERROR: 500')
      sent.push({ modem, to, text })
    },
    clock,
    stateDir: dir,
    log: silentLogger(),
  })
  const events: NotifyEvent[] = []
  store.on('change', (c) => c.kind === 'event' && c.next.type === 'notify' && events.push(c.next))
  await notifier.start()
  const raise = (id: string, message = `Line ${id} is down`) => store.setAlert({ id, severity: 'major', source: id, state: 'raised', message })
  const clear = (id: string) => store.setAlert({ id, severity: 'major', source: id, state: 'cleared', message: `Line ${id} is back up` })
  const run = async (ms = 0) => {
    clock.advance(ms)
    await flush()
  }
  return { store, clock, notifier, sent, events, failing, raise, clear, run, setOnline: (v: boolean) => (online = v), dir }
}

t.test('online, SMS only when configured; the internet down for a minute: the active alerts go by SMS, then their clears', async (t) => {
  const s = await setup(t)
  s.raise('line/gsm1/down')
  await s.run()
  t.same(s.sent, [], 'the broker has it: no SMS')
  s.setOnline(false)
  s.notifier.tick(s.clock.now())
  await s.run(30_000)
  s.notifier.tick(s.clock.now())
  await s.run()
  t.same(s.sent, [], '30 s offline is a hiccup, not the internet down')
  await s.run(30_000)
  s.notifier.tick(s.clock.now())
  await s.run()
  t.same(s.sent.map((m) => [m.modem, m.to, m.text]), [
    ['gsm1', '+79161112233', '[shop1] Line line/gsm1/down is down'],
    ['gsm1', '+79162223344', '[shop1] Line line/gsm1/down is down'],
  ], 'the leader and the senior with a phone; not the engineer')
  s.setOnline(true)
  s.notifier.tick(s.clock.now())
  s.clear('line/gsm1/down')
  await s.run()
  t.same(s.sent.slice(2).map((m) => m.text), ['[shop1] Line line/gsm1/down is back up', '[shop1] Line line/gsm1/down is back up'], 'told of the raise: told of the clear, online or not')
  t.same(s.events.map((e) => [e.type, e.to, e.state]), [['notify', 'Anna', 'sent'], ['notify', 'Ivan', 'sent'], ['notify', 'Anna', 'sent'], ['notify', 'Ivan', 'sent']])
  s.raise('line/gsm2/down')
  s.clear('line/gsm2/down')
  await s.run()
  t.equal(s.sent.length, 4, 'an alert raised and cleared online: no SMS at all')
  await s.notifier.stop()
})

t.test('always: at once, once per alert; a modem that fails hands over to the next; none up: retried later', async (t) => {
  const s = await setup(t, { always: true, modems: ['gsm2', 'gsm1'], roles: ['leader'] })
  s.failing.add('gsm2')
  s.raise('line/gsm1/down')
  s.raise('line/gsm1/down')
  await s.run()
  t.same(s.sent.map((m) => m.modem), ['gsm1'], 'gsm2 first by the config, it failed, gsm1 sent; the repeat raise sent nothing')
  s.failing.add('gsm1')
  s.raise('modem/gsm2/sim', 'Modem gsm2: SIM problem')
  await s.run()
  t.equal(s.sent.length, 1)
  t.match(s.events.at(-1), { state: 'failed', detail: /gsm1: \+CMS ERROR: 500; retrying/ })
  t.equal(s.notifier.queued, 1, 'kept in the queue')
  s.failing.clear()
  await s.run(59_000)
  t.equal(s.sent.length, 1, 'not before the back-off')
  await s.run(1_000)
  t.same(s.sent.at(-1), { modem: 'gsm2', to: '+79161112233', text: '[shop1] Modem gsm2: SIM problem' })
  await s.notifier.stop()
})

t.test('at most maxPerHour SMS per contact; the rest are counted and said in the next one', async (t) => {
  const s = await setup(t, { always: true, roles: ['leader'], maxPerHour: 3 })
  for (let i = 1; i <= 5; i++) s.raise(`line/l${i}/down`)
  await s.run()
  t.equal(s.sent.length, 3)
  t.equal(s.events.filter((e) => e.state === 'suppressed').length, 2)
  await s.run(3_600_000)
  s.raise('line/l6/down')
  await s.run()
  t.equal(s.sent.at(-1)!.text, '[shop1] Line line/l6/down is down (+2 more, see MQTT)')
  await s.notifier.stop()
})

t.test('the queue is on disk: SMS waiting when the box stops go out after the restart', async (t) => {
  const first = await setup(t, { always: true, roles: ['leader'] })
  first.store.update('modem', 'gsm1', { state: 'down' })
  first.store.update('modem', 'gsm2', { state: 'down' })
  first.raise('line/gsm1/down')
  await first.run()
  t.equal(first.notifier.queued, 1)
  await first.notifier.stop()
  const second = await setup(t, { always: true, roles: ['leader'] }, first.dir)
  await second.run()
  t.same(second.sent.map((m) => m.text), ['[shop1] Line line/gsm1/down is down'])
  second.raise('line/gsm1/down')
  await second.run()
  t.equal(second.sent.length, 1, 'and it remembers it told of that alert')
  await second.notifier.stop()
})

t.test('a modem back up: what waits goes at once, not at the end of a back-off grown meanwhile', async (t) => {
  const s = await setup(t, { always: true, roles: ['leader'] })
  s.store.update('modem', 'gsm1', { state: 'down' })
  s.store.update('modem', 'gsm2', { state: 'down' })
  s.raise('line/gsm1/down')
  await s.run()
  for (const wait of [60_000, 120_000, 240_000]) await s.run(wait) // three failed rounds: the back-off is at 8 min
  t.equal(s.sent.length, 0)
  s.store.update('modem', 'gsm2', { state: 'up' })
  await s.run()
  t.same(s.sent.map((m) => m.modem), ['gsm2'], 'sent the moment gsm2 was up')
  await s.notifier.stop()
})
