import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { tempJournal } from '../helpers/journal.js'
import t, { type Test } from 'tap'
import { AlertManager } from '../../src/alerts/index.js'
import { wiredUplinksAlert } from '../../src/alerts/rules.js'
import { SmsNotifier } from '../../src/alerts/sms-notifier.js'
import { UplinkSchema, type AlertsConfig, type UplinkConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import type { AlertRecord, NotifyEvent, PartState, UplinkSnapshot } from '../../src/core/state.js'
import { UplinkMonitor } from '../../src/uplinks/monitor.js'
import type { Prober } from '../../src/uplinks/probes.js'
import { flush } from '../helpers/flush.js'
import { modemIn } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

/** An uplink snapshot as UplinkMonitor.initial makes it (unknown, not probed), with a patch. */
function uplinkIn(id: string, patch: Partial<UplinkSnapshot> = {}): UplinkSnapshot {
  return {
    id,
    interface: `eth-${id}`,
    state: 'unknown',
    reason: 'not probed yet',
    since: 0,
    ts: 0,
    preference: 1,
    metered: false,
    active: false,
    lossPct: null,
    rttMs: null,
    jitterMs: null,
    rFactor: null,
    mos: null,
    probes: [],
    holdDownMs: 30_000,
    failbackAt: null,
    ...patch,
  }
}

const wired = (id: string, state: PartState, active = false) => uplinkIn(id, { state, active })
const metered = (id: string, state: PartState, active: boolean) => uplinkIn(id, { state, active, metered: true, preference: 9 })

t.test('wiredUplinksAlert: the table', async (t) => {
  const cases: { name: string; uplinks: UplinkSnapshot[]; want: Partial<AlertRecord> | null }[] = [
    { name: 'no uplinks at all', uplinks: [], want: null },
    { name: 'only a metered uplink (down)', uplinks: [metered('lte', 'down', false)], want: null },
    { name: 'all wired unknown (just started)', uplinks: [wired('wan1', 'unknown'), wired('wan2', 'unknown')], want: null },
    { name: 'one wired down, one still unknown', uplinks: [wired('wan1', 'down'), wired('wan2', 'unknown')], want: null },
    {
      name: 'every wired down, no metered uplink',
      uplinks: [wired('wan1', 'down'), wired('wan2', 'down')],
      want: { id: 'uplinks/wired', severity: 'critical', source: 'uplinks', sms: true, state: 'raised', message: 'Internet down: every wired uplink (wan1, wan2) is down' },
    },
    {
      name: 'every wired down, the metered fallback carries the traffic',
      uplinks: [wired('wan1', 'down'), wired('wan2', 'down'), metered('lte', 'up', true)],
      want: { id: 'uplinks/wired', severity: 'critical', sms: true, state: 'raised', message: 'Internet down: every wired uplink (wan1, wan2) is down; running on lte (metered)' },
    },
    {
      name: 'every wired down, the metered one down too: no fallback named',
      uplinks: [wired('wan1', 'down'), wired('wan2', 'down'), metered('lte', 'down', true)],
      want: { state: 'raised', sms: true, message: 'Internet down: every wired uplink (wan1, wan2) is down' },
    },
    {
      name: 'one wired up: cleared, naming it',
      uplinks: [wired('wan1', 'down'), wired('wan2', 'up', true), metered('lte', 'up', false)],
      want: { id: 'uplinks/wired', severity: 'critical', sms: true, state: 'cleared', message: 'Internet back: wan2 is up' },
    },
    {
      name: 'one wired degraded counts as working',
      uplinks: [wired('wan1', 'degraded'), wired('wan2', 'down')],
      want: { id: 'uplinks/wired', sms: true, state: 'cleared', message: 'Internet back: wan1 is up' },
    },
    {
      name: 'one wired up while another is unknown: cleared all the same',
      uplinks: [wired('wan1', 'unknown'), wired('wan2', 'up')],
      want: { state: 'cleared', message: 'Internet back: wan2 is up' },
    },
  ]
  for (const c of cases) {
    const got = wiredUplinksAlert(c.uplinks, 'en')
    if (c.want === null) t.equal(got, null, c.name)
    else t.match(got, c.want, c.name)
  }
})

t.test('wiredUplinksAlert: in Russian', async (t) => {
  t.equal(
    wiredUplinksAlert([wired('wan1', 'down'), wired('wan2', 'down'), metered('lte', 'up', true)], 'ru')!.message,
    'Интернет пропал: все проводные каналы (wan1, wan2) не работают; работаем через lte (платный трафик)',
  )
  t.equal(wiredUplinksAlert([wired('wan1', 'down')], 'ru')!.message, 'Интернет пропал: проводной канал wan1 не работает')
  t.equal(wiredUplinksAlert([wired('wan1', 'up')], 'ru')!.message, 'Интернет снова есть: wan1 работает')
})

async function managerBox(t: Test, language: 'en' | 'ru' = 'en') {
  const dir = tempDir(t, 'lw-uplink-alerts-')
  const { store, clock } = testStore()
  for (const u of [uplinkIn('wan1', { preference: 1 }), uplinkIn('wan2', { preference: 2 }), uplinkIn('lte', { preference: 3, metered: true })]) store.init('uplink', u)
  const alerts: AlertRecord[] = []
  store.on('change', (c) => c.kind === 'alert' && alerts.push(c.next))
  const journal = tempJournal(t, {}, dir)
  const mgr = new AlertManager({ store, language, journal, log: silentLogger() })
  await mgr.start()
  const set = (id: string, patch: Partial<UplinkSnapshot>) => store.update('uplink', id, patch)
  return { dir, store, clock, alerts, mgr, set, journal }
}

t.test('AlertManager: uplinks/wired raised when the last wired uplink goes down, cleared when one is back', async (t) => {
  const b = await managerBox(t)
  b.set('wan1', { state: 'up', reason: 'answering', active: true })
  b.set('wan2', { state: 'up', reason: 'answering' })
  t.same(b.alerts, [], 'nothing to clear at first')
  b.set('wan1', { state: 'down', reason: '3 rounds failed', active: false })
  t.same(b.alerts, [], 'one wired down, the other up: no alert')
  b.set('wan2', { state: 'down', reason: '3 rounds failed' })
  t.same(b.alerts.map((a) => [a.id, a.state, a.severity, a.sms, a.source]), [['uplinks/wired', 'raised', 'critical', true, 'uplinks']])
  t.equal(b.alerts[0]!.message, 'Internet down: every wired uplink (wan1, wan2) is down')
  t.ok(b.store.snapshot.alerts['uplinks/wired'], 'active in the snapshot')
  b.set('wan2', { reason: 'still failing', rttMs: null, lossPct: 100 })
  b.set('lte', { state: 'up', reason: 'answering', active: true })
  b.set('lte', { state: 'degraded', reason: 'lossy' })
  t.equal(b.alerts.length, 1, 'measurements, a new reason, the metered uplink moving: not a second raise')
  b.set('wan2', { state: 'degraded', reason: 'answering, lossy' })
  t.same(b.alerts.map((a) => a.state), ['raised', 'cleared'])
  t.match(b.alerts[1], { id: 'uplinks/wired', state: 'cleared', sms: true, message: 'Internet back: wan2 is up' })
  t.same(b.store.snapshot.alerts, {})
  b.set('wan1', { state: 'up', reason: 'answering' })
  t.equal(b.alerts.length, 2, 'a second one back: nothing more')
  b.set('wan1', { state: 'down', reason: 'cut' })
  b.set('wan2', { state: 'down', reason: 'cut' })
  t.same(b.alerts.map((a) => a.state), ['raised', 'cleared', 'raised'], 'down again: raised again')
  await b.mgr.stop()
  b.journal.flushNow()
  const records = (await readFile(join(b.dir, 'journal.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { s: string; r: unknown })
  t.match(records.filter((r) => r.s === 'alerts').at(-1)?.r, { active: [{ id: 'uplinks/wired', state: 'raised', sms: true }] }, 'kept on disk like the others')
})

t.test('AlertManager: one wired uplink down while the other is still unknown raises nothing; Russian text', async (t) => {
  const b = await managerBox(t, 'ru')
  b.set('wan1', { state: 'down', reason: 'no answer' })
  t.same(b.alerts, [], 'wan2 not probed yet')
  b.set('wan2', { state: 'down', reason: 'no answer' })
  t.same(b.alerts.map((a) => [a.state, a.message]), [['raised', 'Интернет пропал: все проводные каналы (wan1, wan2) не работают']])
  b.set('wan1', { state: 'up', reason: 'ok' })
  t.same(b.alerts.map((a) => [a.state, a.message]).at(-1), ['cleared', 'Интернет снова есть: wan1 работает'])
  await b.mgr.stop()
})

/**
 * The real order of things: UplinkMonitor reports the last wired uplink down
 * (store.update of its state) and only then decides and moves the traffic to
 * the metered one (store.update of `active`). The raise must still say where
 * the traffic went.
 */
t.test('with the real UplinkMonitor: the raise names the metered uplink the traffic moved to', async (t) => {
  const { store, clock } = testStore()
  const dead = new Set<string>()
  const prober: Prober = async (_target, bind) => (dead.has(bind.interface) ? { ok: false, rttMs: null, error: 'timeout' } : { ok: true, rttMs: 20 })
  const withDefaults = new Ajv({ useDefaults: true, strict: false }).compile<UplinkConfig>(UplinkSchema)
  const cfg = (id: string, extra: Record<string, unknown> = {}) => {
    const c = { id, interface: `sim:${id}`, probes: { targets: [{ type: 'icmp', host: '198.18.0.1' }] }, ...extra }
    if (!withDefaults(c)) throw new Error(JSON.stringify(withDefaults.errors))
    return c
  }
  const monitor = new UplinkMonitor({
    store,
    uplinks: [cfg('wan1'), cfg('wan2'), cfg('lte', { metered: true })],
    failover: { routes: 'report', metric: 10, table: 100, flushConntrack: false, meteredReportSeconds: 0 },
    clock,
    log: silentLogger(),
    prober,
    addressOf: () => '192.0.2.10',
    routes: null,
    onSwitch: () => {},
  })
  for (const u of monitor.initial(clock.now())) store.init('uplink', u)
  const mgr = new AlertManager({ store, language: 'en', journal: tempJournal(t), log: silentLogger() })
  await mgr.start()
  const alerts: AlertRecord[] = []
  store.on('change', (c) => c.kind === 'alert' && alerts.push(c.next))
  const run = async (ms: number) => {
    for (let done = 0; done < ms; done += 100) {
      clock.advance(100)
      await flush(3)
    }
  }
  monitor.start()
  await run(5_000)
  t.equal(monitor.active, 'wan1')
  t.equal(store.get('uplink', 'lte')?.state, 'up', 'the metered uplink answers (probed at start)')
  dead.add('sim:wan1').add('sim:wan2')
  await run(6_000)
  t.equal(monitor.active, 'lte', 'the traffic moved to the metered uplink')
  t.same(alerts.map((a) => [a.id, a.state]), [['uplinks/wired', 'raised']])
  t.equal(alerts[0]?.message, 'Internet down: every wired uplink (wan1, wan2) is down; running on lte (metered)', 'the office reads where the box is now')
  dead.delete('sim:wan2')
  await run(8_000) // upAfter: 5 good rounds
  t.same(alerts.map((a) => [a.state, a.message]).at(-1), ['cleared', 'Internet back: wan2 is up'])
  const stopping = monitor.stop()
  await run(2_000)
  await stopping
  await mgr.stop()
})

const CONTACTS: AlertsConfig['contacts'] = [
  { name: 'Anna', role: 'leader', phone: '+79161112233' },
  { name: 'Oleg', role: 'engineer', phone: '+79163334455' },
]

async function notifierBox(t: Test) {
  const { store, clock } = testStore()
  store.init('modem', modemIn({ state: 'up' }, 'gsm1'))
  const sent: { modem: string; to: string; text: string }[] = []
  const config: AlertsConfig = { language: 'en', contacts: CONTACTS, sms: { always: false, roles: ['leader'], modems: [], maxPerHour: 6, offlineSeconds: 60 } }
  const notifier = new SmsNotifier({
    store,
    config,
    site: 'shop1',
    online: () => true,
    send: async (modem, to, text) => void sent.push({ modem, to, text }),
    clock,
    stateDir: tempDir(t, 'lw-uplink-notify-'),
    log: silentLogger(),
  })
  const events: NotifyEvent[] = []
  store.on('change', (c) => c.kind === 'event' && c.next.type === 'notify' && events.push(c.next))
  await notifier.start()
  const run = async () => {
    clock.advance(0)
    await flush()
  }
  return { store, clock, notifier, sent, events, run }
}

t.test('SmsNotifier: an sms alert goes by SMS at once though online and not always; its clear too; an ordinary one does not', async (t) => {
  const s = await notifierBox(t)
  s.store.setAlert({ id: 'line/l1/down', severity: 'major', source: 'line/l1', state: 'raised', message: 'Line l1 is down: x' })
  await s.run()
  t.same(s.sent, [], 'an ordinary alert: the broker has it')
  t.equal(s.notifier.queued, 0)
  s.store.setAlert({ id: 'uplinks/wired', severity: 'critical', sms: true, source: 'uplinks', state: 'raised', message: 'Internet down: every wired uplink (wan1) is down' })
  await s.run()
  t.same(s.sent, [{ modem: 'gsm1', to: '+79161112233', text: '[shop1] Internet down: every wired uplink (wan1) is down' }], 'sent at once, to the roles configured')
  t.same(s.events.map((e) => [e.alert, e.to, e.state]), [['uplinks/wired', 'Anna', 'sent']])
  s.store.setAlert({ id: 'line/l1/down', severity: 'major', source: 'line/l1', state: 'cleared', message: 'Line l1 is back up: y' })
  s.store.setAlert({ id: 'uplinks/wired', severity: 'critical', sms: true, source: 'uplinks', state: 'cleared', message: 'Internet back: wan1 is up' })
  await s.run()
  t.same(s.sent.map((m) => m.text), ['[shop1] Internet down: every wired uplink (wan1) is down', '[shop1] Internet back: wan1 is up'], 'the clear of the SMS one too, not the ordinary one')
  await s.notifier.stop()
})

t.test('AlertManager and SmsNotifier together: the wired uplinks going down and back reach the phone', async (t) => {
  const s = await notifierBox(t)
  for (const u of [uplinkIn('wan1', { state: 'up' }), uplinkIn('wan2', { state: 'up', preference: 2 })]) s.store.init('uplink', u)
  const mgr = new AlertManager({ store: s.store, language: 'en', journal: tempJournal(t), log: silentLogger() })
  await mgr.start()
  s.store.update('uplink', 'wan1', { state: 'down' })
  await s.run()
  t.same(s.sent, [])
  s.store.update('uplink', 'wan2', { state: 'down' })
  await s.run()
  t.same(s.sent.map((m) => m.text), ['[shop1] Internet down: every wired uplink (wan1, wan2) is down'])
  s.store.update('uplink', 'wan1', { state: 'up' })
  await s.run()
  t.same(s.sent.map((m) => m.text).slice(1), ['[shop1] Internet back: wan1 is up'])
  await mgr.stop()
  await s.notifier.stop()
})
