import t, { type Test } from 'tap'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { tempJournal } from '../helpers/journal.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import type { LineConfig, SilenceConfig } from '../../src/config/schema.js'
import { AlertManager } from '../../src/alerts/manager.js'
import { initialLine } from '../../src/lines/monitor.js'
import { probeReason, TestBudget } from '../../src/silence/probe.js'
import { SilenceWatch } from '../../src/silence/watch.js'
import { playWithTests, simNetwork } from './network.js'

const LINES: LineConfig[] = [
  { id: 'busy', kind: 'gsm', numbers: ['+70000000001'], channels: 2, modem: 'm1', ...LINE_DEFAULTS },
  { id: 'quiet', kind: 'gsm', numbers: ['+70000000002'], channels: 1, modem: 'm2', ...LINE_DEFAULTS },
]
const MIN = 60_000
const HOUR = 3_600_000
/** Monday 2026-11-23 06:00 UTC (the site's zone). */
const START = Date.parse('2026-11-23T06:00:00Z')
const cfg = (perDay = 120, businessHours: SilenceConfig['businessHours'] = []): SilenceConfig => ({ businessHours, fixedMinutes: 30, falseAlarmProbability: 0.001, learnHours: 20, testCalls: { perDay, withinMinutes: 30 } })
const EVENINGS_OFF: SilenceConfig['businessHours'] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '21:00' }]
/** Business hours only on Sunday: on the weekdays played nothing but a test call can flag a line. */
const SUNDAYS: SilenceConfig['businessHours'] = [{ days: ['sun'], from: '09:00', to: '21:00' }]

async function setup(t: Test, config: SilenceConfig, withTester = true, dir = tempDir(t, 'lw-probe-'), at = START) {
  const clock = new FakeClock(at)
  const { store } = testStore(clock)
  for (const l of LINES) store.init('line', { ...initialLine(l, clock.now()), state: 'up' })
  const net = simNetwork(store, clock, LINES)
  const watch = new SilenceWatch({ store, lines: LINES, config, timeZone: 'UTC', stateDir: dir, log: silentLogger(), ...(withTester ? { tester: net.tester } : {}) })
  const alerts = new AlertManager({ store, language: 'en', journal: tempJournal(t, {}, dir), log: silentLogger() })
  await alerts.start()
  await watch.start()
  t.teardown(async () => {
    await watch.stop()
    await alerts.stop()
  })
  /** The first flag of a line after `after`: its silence firing or a failed test call. */
  const flags: { line: string; at: number; by: string }[] = []
  store.on('change', (c) => {
    if (c.kind !== 'line') return
    if (c.next.silence?.firing && !c.prev?.silence?.firing) flags.push({ line: c.id, at: clock.now(), by: c.next.silence.firing })
    if (c.next.lastTestCall && !c.next.lastTestCall.ok && c.next.lastTestCall !== c.prev?.lastTestCall) flags.push({ line: c.id, at: clock.now(), by: 'test call' })
  })
  const play = (calls: Record<string, number[]>, to: number) => playWithTests({ clock, store, watch }, calls, to)
  return { clock, store, watch, net, flags, play, alerts, dir }
}

/** A call every `every` ms from `from` to `to`. */
const every = (ms: number, from: number, to: number) => Array.from({ length: Math.floor((to - from) / ms) }, (_, i) => from + (i + 1) * ms)

t.test('probe reasons and the budget (pure)', async (t) => {
  const base = { withinMinutes: 30, ringSeconds: 30 }
  t.equal(probeReason({ ...base, minutes: 4, pValue: 0.02 }), null)
  t.equal(probeReason({ ...base, minutes: 4, pValue: 0.009 }), 'suspect', 'an unlikely silence is tested at once')
  t.equal(probeReason({ ...base, minutes: 28, pValue: 0.5 }), null, '28 min: the next tick and the ring still make 30')
  t.equal(probeReason({ ...base, minutes: 28.6, pValue: 0.5 }), 'cover', '28.6 min: the next tick would be too late')
  const b = new TestBudget(3)
  t.ok(b.take(0) && b.take(HOUR) && b.take(2 * HOUR))
  t.notOk(b.take(3 * HOUR), 'the fourth in a day is refused')
  t.equal(b.used(24 * HOUR + 1), 2, 'the first has left the 24 hours')
  t.ok(b.take(24 * HOUR + 1))
  t.same(new TestBudget(3, [1, 'x', 2]).toJSON(), [1, 2], 'a damaged saved list keeps its numbers')
})

t.test('a busy line that dies is flagged within 7 min by a test call; the statistics alone took longer', async (t) => {
  const minutesToFlag: Record<string, number> = {}
  for (const [withTester, peersCall] of [[true, true], [true, false], [false, true]] as const) {
    const { clock, flags, play, net } = await setup(t, cfg(), withTester)
    // a day of history at 60 calls an hour on `busy`, 30 on `quiet`
    const dayEnd = START + 24 * HOUR
    await play({ busy: every(MIN, START, dayEnd), quiet: every(2 * MIN, START, dayEnd) }, dayEnd)
    t.same(flags, [], `no flag in a healthy day (tester: ${withTester})`)
    const lastCall = clock.now()
    net.dead.add('busy')
    // the other line goes on as usual, or happens to fall quiet too (it must not put the test off)
    await play({ quiet: peersCall ? every(2 * MIN, lastCall, lastCall + 30 * MIN) : [] }, lastCall + 30 * MIN)
    const flag = flags.find((f) => f.line === 'busy')
    t.ok(flag, `flagged (tester: ${withTester})`)
    minutesToFlag[`${withTester}/${peersCall}`] = (flag!.at - lastCall) / MIN
    if (withTester) t.equal(flag!.by, 'test call')
    if (peersCall) t.notOk(flags.some((f) => f.line === 'quiet'), 'the working line is not flagged')
  }
  const m = (k: string) => minutesToFlag[k]!.toFixed(1)
  t.ok(minutesToFlag['true/true']! <= 7, `with test calls: ${m('true/true')} min after the last call`)
  t.ok(minutesToFlag['true/false']! <= 7, `with test calls and the other line quiet too: ${m('true/false')} min`)
  t.ok(minutesToFlag['false/true']! > 7, `without: ${m('false/true')} min (the 0.1 %-per-hour rule)`)
})

t.test('evenings: a quiet line is tested so a dead line is flagged within 30 min; a healthy one never alarms', async (t) => {
  // no history, business hours 09–21 on weekdays: at night neither detector may fire on its own
  const { clock, store, watch, flags, play, net } = await setup(t, cfg(120, EVENINGS_OFF))
  const night = START + 15 * HOUR // Monday 21:00
  await play({}, night)
  const before = net.dialled.length
  // four healthy hours of night: tested about every half hour, every test passes, nothing flagged
  await play({}, night + 4 * HOUR)
  const tested = net.dialled.slice(before).filter((d) => d.line === 'quiet')
  t.ok(tested.length >= 7 && tested.length <= 9, `the quiet line tested ${tested.length} times in 4 hours`)
  t.same(flags, [], 'a healthy quiet line: no alarm')
  t.equal(store.snapshot.alerts['line/quiet/silent'], undefined)
  t.ok(store.get('line', 'quiet')!.silence!.minutes < 30, 'each passing test restarted the silence')
  t.equal(watch.model('quiet')!.toJSON().calls.reduce((a, b) => a + b, 0), 0, 'the test rings were not learnt as customers\' calls')
  // dies 7 minutes after the last passing test: the worst case is just after one
  const lastProof = store.get('line', 'quiet')!.lastCallAt!
  const death = lastProof + 60_000
  net.dead.add('quiet')
  await play({}, night + 6 * HOUR)
  const flag = flags.find((f) => f.line === 'quiet')
  t.ok(flag && flag.by === 'test call', 'flagged by a failed test call')
  t.ok((flag!.at - death) / MIN <= 30, `flagged ${((flag!.at - death) / MIN).toFixed(1)} min after it died`)
  t.match(store.snapshot.alerts['line/quiet/test-call'], { state: 'raised' })
  t.ok(clock.now() > flag!.at)
})

t.test('the budget is honoured: no more test calls in a day than configured, and it holds across a restart', async (t) => {
  const first = await setup(t, cfg(10, SUNDAYS))
  await first.play({}, START + 20 * HOUR)
  t.equal(first.net.dialled.length, 10, 'ten test calls, then the budget is spent')
  t.equal(first.watch.testsUsed(first.clock.now()), 10)
  await first.watch.stop()
  // rebooted: the same day's budget is still spent
  const second = await setup(t, cfg(10, SUNDAYS), true, first.dir, first.clock.now())
  await second.play({}, START + 23 * HOUR)
  t.equal(second.net.dialled.length, 0, 'none after the reboot while the day\'s ten are within 24 h')
  // then it comes back, one by one as the first ones leave the 24 hours
  await second.play({}, START + 48 * HOUR)
  const dialled = [...first.net.dialled, ...second.net.dialled]
  t.ok(second.net.dialled.length >= 9, `the next day: ${second.net.dialled.length} more`)
  const worst = Math.max(...dialled.map((d) => dialled.filter((x) => x.at > d.at - 24 * HOUR && x.at <= d.at).length))
  t.equal(worst, 10, 'never more than ten in any 24 hours')
  const none = await setup(t, cfg(0, SUNDAYS))
  await none.play({}, START + 6 * HOUR)
  t.equal(none.net.dialled.length, 0, 'perDay 0: none')
})

t.test('with no modem free to call from, the watch backs off instead of trying every few minutes', async (t) => {
  const { store, play } = await setup(t, cfg(1000, SUNDAYS))
  store.update('modem', 'tester', { state: 'down' })
  const tries: string[] = []
  store.on('change', (c) => c.kind === 'event' && c.next.type === 'test-call' && tries.push(c.next.line))
  await play({}, START + 8 * HOUR)
  const quiet = tries.filter((l) => l === 'quiet').length
  t.ok(quiet >= 4 && quiet <= 8, `the quiet line tried ${quiet} times in 8 hours (5, 10, 20, … min apart), not ~90`)
  t.equal(store.get('line', 'quiet')!.lastTestCall, null, 'no verdict on the line')
})

t.test('without history a test comes before the 30-minute rule would flag a healthy line', async (t) => {
  const { flags, play, net } = await setup(t, cfg())
  // a call just before a tick: the rule counts that whole minute as silence, so it fires at 29 min of it
  await play({ quiet: [START + 59_000], busy: [START + 59_000] }, START + 3 * HOUR)
  t.same(flags, [], 'no alarm: each test rang before the rule could fire')
  t.ok(net.dialled.filter((d) => d.line === 'quiet').length >= 6, 'the quiet line was tested through the three hours')
})

t.test('config: silence.testCalls has defaults and refuses values out of range with the key named', async (t) => {
  const { validateConfigText } = await import('../../src/config/index.js')
  const base = 'site: s\nbox: b\nboard: sim\n'
  t.match(validateConfigText(base).config?.silence.testCalls, { perDay: 120, withinMinutes: 30 })
  const bad = validateConfigText(`${base}silence:\n  testCalls: { perDay: -1, withinMinutes: 5 }\n`)
  t.equal(bad.config, null)
  t.same(bad.problems.map((p) => `${p.path}: ${p.message}`), ['silence.testCalls.perDay: must be >= 0', 'silence.testCalls.withinMinutes: must be >= 10'])
})
