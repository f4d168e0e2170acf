/**
 * The figures' alerts (off by default): this hour's service level below the
 * target from five calls offered, and missed calls left without a call back
 * for longer than stats.alerts.missedNotCalledBackMinutes; both clear by
 * themselves. Texts agree in English and Russian.
 */
import { join } from 'node:path'
import t from 'tap'
import { missedCallsAlert, serviceLevelAlert } from '../../src/alerts/rules.js'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { StateStore } from '../../src/core/store.js'
import type { CallRow } from '../../src/stats/call-log.js'
import { StatsService } from '../../src/stats/service.js'
import { tempDir } from '../helpers/tmp.js'

const call = (id: string, started: number, ringS: number | null, caller = '+79161112233'): CallRow => ({
  id, line: 'gsm1', direction: 'in', caller, called: null, started, answered: ringS === null ? null : started + ringS * 1000, ended: started + 60_000, ringMs: (ringS ?? 60) * 1000, talkMs: ringS === null ? null : 60_000 - ringS * 1000, outcome: ringS === null ? 'missed' : 'answered', path: null, cost: null, currency: null, test: false, sources: ['modem'],
})

t.test('service level and missed calls raise and clear their alerts', async (t) => {
  const dir = tempDir(t)
  const { config } = validateConfigText(`site: s\nbox: b\nboard: sim\nmodems: [{ id: m1, port: "sim:m1" }]\nlines: [{ id: gsm1, kind: gsm, modem: m1 }]\nstats: { alerts: { serviceLevel: true, missedNotCalledBackMinutes: 15 } }\nstorage: { dir: "${dir}" }\n`)
  const clock = new FakeClock(Date.UTC(2026, 11, 3, 10, 50))
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: clock.now() }, clock)
  const stats = new StatsService({ config: config!, store, clock, log: silentLogger(), testCall: () => null })
  stats.start(join(dir))
  t.teardown(() => stats.stop())
  const hour = Date.UTC(2026, 11, 3, 10)
  for (const [i, ring] of [5, 10, 30, 40].entries()) stats.log!.put(call(`c${i}`, hour + i * 60_000, ring, `+7916000000${i}`))
  stats.tick(clock.now())
  t.notOk(store.snapshot.alerts['stats/service-level'], 'four calls are not enough to judge')
  stats.log!.put(call('m', hour + 10 * 60_000, null, '+79165550000'))
  stats.tick(clock.now())
  t.equal(store.snapshot.alerts['stats/service-level']?.message, 'Service level this hour: 40 % of 5 calls answered within 20 s (target 80 %)')
  t.equal(store.snapshot.alerts['stats/missed-calls']?.message, '1 missed call has not been called back for over 15 min (the oldest from +79165550000)')
  stats.log!.put({ ...call('back', clock.now(), 5), direction: 'out', caller: null, called: '+79165550000' })
  stats.tick(clock.now())
  t.notOk(store.snapshot.alerts['stats/missed-calls'], 'called back: cleared')
  clock.advance(15 * 60_000) // 11:05, a new hour with no calls yet
  stats.tick(clock.now())
  t.notOk(store.snapshot.alerts['stats/service-level'], 'a new hour: cleared')
})

t.test('the texts agree with their numbers', async (t) => {
  const target = { percent: 80, seconds: 20 }
  t.equal(serviceLevelAlert(62.5, 21, target, 'ru').message, 'Уровень обслуживания за этот час: 63 % из 21 звонка отвечены за 20 с (цель 80 %)')
  t.equal(serviceLevelAlert(50, 6, target, 'ru').message, 'Уровень обслуживания за этот час: 50 % из 6 звонков отвечены за 20 с (цель 80 %)')
  t.equal(missedCallsAlert(1, '+7916', 15, 'ru').message, '1 пропущенный звонок без перезвона дольше 15 мин (самый давний — с номера +7916)')
  t.equal(missedCallsAlert(3, '+7916', 15, 'ru').message, '3 пропущенных звонка без перезвона дольше 15 мин (самый давний — с номера +7916)')
  t.equal(missedCallsAlert(5, '+7916', 15, 'ru').message, '5 пропущенных звонков без перезвона дольше 15 мин (самый давний — с номера +7916)')
  t.equal(missedCallsAlert(2, '+7916', 30, 'en').message, '2 missed calls have not been called back for over 30 min (the oldest from +7916)')
  t.equal(serviceLevelAlert(90, 10, target, 'en').state, 'cleared', 'on target: cleared')
})
