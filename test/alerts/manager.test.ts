import { readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { AlertManager } from '../../src/alerts/index.js'
import { lineAlert } from '../../src/alerts/rules.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { Journal } from '../../src/core/journal.js'
import type { AlertRecord, PartState } from '../../src/core/state.js'
import { initialLine } from '../../src/lines/monitor.js'
import { tempDir } from '../helpers/tmp.js'
import { modemIn, LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'

async function box(dir: string, language: 'en' | 'ru' = 'en') {
  const clock = new FakeClock()
  const store = testStore(clock).store
  store.init('line', initialLine({ id: 'l1', kind: 'gsm', numbers: [], channels: 1, modem: 'm', ...LINE_DEFAULTS }, clock.now()))
  const alerts: AlertRecord[] = []
  store.on('change', (c) => c.kind === 'alert' && alerts.push(c.next))
  const journal = new Journal(join(dir, 'journal.log'), silentLogger())
  journal.open()
  const mgr = new AlertManager({ store, language, journal, log: silentLogger() })
  mgr.start()
  const set = (state: PartState, reason = 'r') => store.update('line', 'l1', { state, reason })
  /** The box stops: what was said is on the card. */
  const stop = () => {
    mgr.stop()
    journal.close()
  }
  /** The raised alerts as the journal has them (the last record of the alerts' section). */
  const onCard = async () => {
    const lines = (await readFile(join(dir, 'journal.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { s: string; r: unknown })
    return lines.filter((l) => l.s === 'alerts').at(-1)?.r
  }
  return { store, alerts, mgr, set, stop, onCard }
}

t.test('raised once when a line goes down, cleared when it is back', async (t) => {
  const dir = tempDir(t, 'lw-alerts-')
  const { alerts, mgr, set, store } = await box(dir)
  set('up')
  t.same(alerts, [], 'nothing to clear at first')
  set('down', 'modem m: not answering')
  set('down', 'modem m: port closed')
  t.same(alerts.map((a) => [a.id, a.state, a.severity]), [['line/l1/down', 'raised', 'major']], 'a new reason is not a new alert')
  t.equal(alerts[0]!.message, 'Line l1 is down: modem m: not answering')
  t.ok(store.snapshot.alerts['line/l1/down'])
  set('unknown')
  set('up', 'registered')
  t.same(alerts.map((a) => a.state), ['raised', 'cleared'])
  t.same(store.snapshot.alerts, {})
  mgr.stop()
})

t.test('messages in Russian', async (t) => {
  const line = { ...initialLine({ id: 'l1', kind: 'gsm', numbers: [], channels: 1, ...LINE_DEFAULTS }, 0), state: 'down' as const, reason: 'нет сети' }
  t.equal(lineAlert(line, 'ru')!.message, 'Линия l1 не работает: нет сети')
})

t.test('an alert raised before a restart is cleared after it, not raised again', async (t) => {
  const dir = tempDir(t, 'lw-alerts-')
  const first = await box(dir)
  first.set('down')
  first.stop()
  t.match(await first.onCard(), { active: [{ id: 'line/l1/down', state: 'raised' }] })
  const second = await box(dir)
  t.ok(second.store.snapshot.alerts['line/l1/down'], 'restored')
  second.set('down')
  t.same(second.alerts, [], 'still down after the restart: no second raise')
  second.set('up')
  t.same(second.alerts.map((a) => a.state), ['cleared'])
  second.stop()
  t.same(await second.onCard(), { active: [] })
})

t.test('a journal torn by a power cut in the middle of a write: the torn record is cut off, the rest kept', async (t) => {
  const dir = tempDir(t, 'lw-alerts-')
  const first = await box(dir)
  first.set('down')
  first.stop()
  const whole = await readFile(join(dir, 'journal.log'), 'utf8')
  await writeFile(join(dir, 'journal.log'), `${whole}{"s":"alerts","r":{"active":[{"id":"line/l1/do`)
  const { alerts, store, stop, set } = await box(dir)
  t.ok(store.snapshot.alerts['line/l1/down'], 'the alert from before the torn write')
  set('up')
  t.same(alerts.map((a) => a.state), ['cleared'])
  stop()
  t.same(await readFile(join(dir, 'journal.log'), 'utf8').then((x) => x.includes('line/l1/do"')), false, 'the torn line is gone')
  t.equal((await readdir(dir)).filter((f) => f !== 'journal.log').length, 0)
})

t.test('a SIM problem is one alert while it lasts, cleared when the SIM is ready', async (t) => {
  const { store, alerts, mgr } = await box(tempDir(t, 'lw-alerts-'), 'ru')
  store.init('modem', modemIn({ state: 'up' }, 'm1'))
  store.update('modem', 'm1', { sim: 'SIM not inserted' })
  store.update('modem', 'm1', { sim: 'SIM PIN' })
  t.same(alerts.map((a) => [a.id, a.state]), [['modem/m1/sim', 'raised']], 'raised once, not per poll or per change of wording')
  t.equal(alerts[0]!.message, 'Модем m1: проблема с SIM-картой: SIM not inserted')
  store.update('modem', 'm1', { sim: 'READY' })
  t.same(alerts.map((a) => a.state), ['raised', 'cleared'])
  mgr.stop()
})
