import { LINE_DEFAULTS } from '../helpers/parts.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempJournal } from '../helpers/journal.js'
import t, { type Test } from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { LineConfig, SilenceConfig } from '../../src/config/schema.js'
import { AlertManager } from '../../src/alerts/manager.js'
import { initialLine } from '../../src/lines/monitor.js'
import { SilenceWatch } from '../../src/silence/watch.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

const LINES: LineConfig[] = [
  { id: 'sip1', kind: 'gsm', numbers: [], channels: 2, modem: 'm1', ...LINE_DEFAULTS },
  { id: 'gsm1', kind: 'gsm', numbers: [], channels: 1, modem: 'm2', ...LINE_DEFAULTS },
  { id: 'spare', kind: 'gsm', numbers: [], channels: 1, modem: 'm3', ...LINE_DEFAULTS, watchSilence: false },
  { id: 'trunk', kind: 'sip', numbers: [], channels: 4, ...LINE_DEFAULTS },
]
const CFG: SilenceConfig = { businessHours: [], fixedMinutes: 30, falseAlarmProbability: 0.001, learnHours: 20, testCalls: { perDay: 120, withinMinutes: 30 } }
const MIN = 60_000

async function setup(t: Test, dir = tempDir(t, 'lw-silence-')) {
  const clock = new FakeClock(Date.parse('2026-11-23T06:00:00Z'))
  const { store } = testStore(clock)
  for (const l of LINES) store.init('line', { ...initialLine(l, clock.now()), state: 'up' })
  const watch = new SilenceWatch({ store, lines: LINES, config: CFG, timeZone: 'UTC', stateDir: dir, log: silentLogger() })
  const alerts = new AlertManager({ store, language: 'en', journal: tempJournal(t, {}, dir), log: silentLogger() })
  await alerts.start()
  await watch.start()
  const call = (line: string) => store.update('line', line, { lastCallAt: clock.now() })
  const minutes = (n: number, every?: () => void) => {
    for (let i = 0; i < n; i++) {
      clock.advance(MIN)
      every?.()
      watch.tick(clock.now())
    }
  }
  return { clock, store, watch, alerts, call, minutes, dir }
}

t.test('before it has history the fixed rule fires after 30 silent minutes; a call clears it', async (t) => {
  const { store, watch, alerts, call, minutes } = await setup(t)
  minutes(29)
  t.match(store.get('line', 'sip1')!.silence, { minutes: 29, firing: null })
  t.equal(store.get('line', 'sip1')!.expectedCalls, null, 'no rate yet')
  minutes(1)
  t.match(store.get('line', 'sip1')!.silence, { minutes: 30, firing: 'fixed' })
  t.match(store.snapshot.alerts['line/sip1/silent'], { state: 'raised', message: /no incoming calls for 30 min/ })
  call('sip1')
  t.match(store.get('line', 'sip1')!.silence, { minutes: 0, firing: null })
  t.equal(store.snapshot.alerts['line/sip1/silent'], undefined, 'cleared by the call')
  t.equal(store.get('line', 'spare')!.silence, null, 'a line not watched has no silence')
  t.equal(store.get('line', 'trunk')!.silence, null, 'nor a SIP line: the box does not see its calls yet')
  await watch.stop()
  await alerts.stop()
})

t.test('with history: a busy line is flagged in minutes, the busier the other line the sooner; a quiet one waits', async (t) => {
  const { store, watch, alerts, call, minutes } = await setup(t)
  // a day of history: 60 calls an hour on sip1, 30 on gsm1
  for (let i = 0; i < 24 * 60; i++) minutes(1, () => {
    if (i % 1 === 0) call('sip1')
    if (i % 2 === 0) call('gsm1')
  })
  t.ok(watch.model('sip1')!.history >= 20, 'a day learnt')
  t.ok(Math.abs(store.get('line', 'sip1')!.expectedCalls! - 60) < 3, `sip1 expects ~60/h (${store.get('line', 'sip1')!.expectedCalls})`)
  // sip1 dies; gsm1 goes on
  let fired = 0
  for (let i = 1; i <= 30 && !fired; i++) {
    minutes(1, () => i % 2 === 0 && call('gsm1'))
    if (store.get('line', 'sip1')!.silence!.firing) fired = i
  }
  t.equal(store.get('line', 'sip1')!.silence!.firing, 'adaptive')
  t.ok(fired >= 9 && fired <= 14, `flagged after ${fired} min (about 11: a silence below 0.001/60, at 60 calls an hour)`)
  t.ok(store.get('line', 'sip1')!.silence!.pValue < 0.001)
  t.match(store.snapshot.alerts['line/sip1/silent'], { state: 'raised' })
  t.equal(store.get('line', 'gsm1')!.silence!.firing, null, 'the working line is not flagged')
  await watch.stop()
  await alerts.stop()
})

t.test('a line that goes down is not watched; the silence of an outage is not learnt as quiet', async (t) => {
  const { store, watch, alerts, call, minutes } = await setup(t)
  for (let i = 0; i < 24 * 60; i++) minutes(1, () => call('sip1'))
  const before = watch.model('sip1')!.history
  store.update('line', 'sip1', { state: 'down', reason: 'trunk unregistered' })
  t.equal(store.get('line', 'sip1')!.silence, null)
  minutes(120)
  t.equal(store.get('line', 'sip1')!.silence, null, 'no silence counted while down')
  store.update('line', 'sip1', { state: 'up' })
  minutes(60)
  t.ok(store.get('line', 'sip1')!.silence!.firing, 'silent for an hour after coming back: flagged')
  t.ok(watch.model('sip1')!.history <= before + 0.01, 'none of those hours was learnt as watched: no call ended them')
  await watch.stop()
  await alerts.stop()
})

t.test('the learnt rates survive a restart (rates.json in the state folder)', async (t) => {
  const first = await setup(t)
  for (let i = 0; i < 24 * 60; i++) first.minutes(1, () => first.call('sip1'))
  await first.watch.stop()
  await first.alerts.stop()
  const saved = JSON.parse(await readFile(join(first.dir, 'rates.json'), 'utf8')) as { lines: Record<string, { calls: number[] }> }
  t.ok(saved.lines.sip1!.calls.reduce((a, b) => a + b, 0) > 1000, 'the calls are on disk')
  const second = await setup(t, first.dir)
  t.ok(second.watch.model('sip1')!.history >= 20, 'read back at start')
  second.minutes(15)
  t.equal(second.store.get('line', 'sip1')!.silence!.firing, 'adaptive', 'so a dead line is flagged in minutes right after a reboot')
  await second.watch.stop()
  await second.alerts.stop()
})

t.test('a flagged silence survives a reboot: the alert stays raised, the silence goes on from where it was', async (t) => {
  const first = await setup(t)
  first.minutes(31)
  t.match(first.store.snapshot.alerts['line/sip1/silent'], { state: 'raised' })
  await first.watch.stop()
  await first.alerts.stop()
  const second = await setup(t, first.dir)
  second.minutes(1)
  t.match(second.store.get('line', 'sip1')!.silence, { firing: 'fixed' }, 'still flagged after the reboot')
  t.match(second.store.snapshot.alerts['line/sip1/silent'], { state: 'raised' }, 'not cleared by the reboot')
  await second.watch.stop()
  await second.alerts.stop()
})

t.test('a box that was off for long does not resume its silences: nobody watched meanwhile', async (t) => {
  const first = await setup(t)
  first.minutes(31)
  await first.watch.stop()
  await first.alerts.stop()
  const second = await setup(t, first.dir)
  // setup() starts its clock at the same instant: move the saved time back two hours instead
  await second.watch.stop()
  const { readFile: read, writeFile: write } = await import('node:fs/promises')
  const file = join(first.dir, 'rates.json')
  const data = JSON.parse(await read(file, 'utf8')) as { savedAt: number }
  data.savedAt -= 2 * 3_600_000
  await write(file, JSON.stringify(data))
  const third = await setup(t, first.dir)
  third.minutes(1)
  t.match(third.store.get('line', 'sip1')!.silence, { minutes: 1, firing: null }, 'a fresh silence')
  await third.watch.stop()
  await third.alerts.stop()
  await second.alerts.stop()
})
