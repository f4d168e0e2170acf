import t from 'tap'
import { prng } from '../../src/sim/prng.js'
import { peerFactor, silenceEvidence } from '../../src/silence/evidence.js'
import { RateModel } from '../../src/silence/rates.js'
import { hourOfWeek, inBusinessHours, knownTimeZone } from '../../src/silence/week.js'
import { poissonArrivals } from '../../src/sim/traffic.js'

const MON_0930_MSK = Date.parse('2026-11-23T06:30:00Z') // a Monday, 09:30 in Moscow (UTC+3)
const HOUR = 3_600_000

/** Teach a model a stretch of healthy Poisson traffic, as the watcher would: watched until each call, then the call. */
function feed(model: RateModel, rnd: () => number, rate: (ms: number) => number, from: number, to: number, tz: string): void {
  let last = from
  for (const c of poissonArrivals(rnd, rate, from, to)) {
    model.watched(last, c, tz)
    model.call(c, tz)
    last = c
  }
  model.watched(last, to, tz)
}

t.test('hour of the week and business hours, in the site\'s zone', async (t) => {
  t.equal(hourOfWeek(MON_0930_MSK, 'Europe/Moscow'), 9)
  t.equal(hourOfWeek(MON_0930_MSK, 'UTC'), 6)
  t.equal(hourOfWeek(Date.parse('2026-11-29T20:59:00Z'), 'Europe/Moscow'), 167, 'Sunday 23:59')
  t.equal(hourOfWeek(Date.parse('2026-11-29T21:00:00Z'), 'Europe/Moscow'), 0, 'Monday 00:00 again')
  const hours = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '09:00', to: '21:00' }].map((h) => ({ ...h, days: [...h.days] }))
  t.ok(inBusinessHours(MON_0930_MSK, hours, 'Europe/Moscow'))
  t.notOk(inBusinessHours(MON_0930_MSK - HOUR, hours, 'Europe/Moscow'), '08:30')
  t.notOk(inBusinessHours(MON_0930_MSK + 11.5 * HOUR, hours, 'Europe/Moscow'), '21:00 is closed')
  t.notOk(inBusinessHours(MON_0930_MSK + 5 * 24 * HOUR, hours, 'Europe/Moscow'), 'Saturday')
  t.ok(inBusinessHours(MON_0930_MSK + 5 * 24 * HOUR, [], 'Europe/Moscow'), 'no business hours: always')
  t.ok(knownTimeZone('Europe/Moscow'))
  t.notOk(knownTimeZone('Mars/Olympus'))
})

t.test('the rate model learns a line\'s rates by hour of the week and follows a change', async (t) => {
  const rnd = prng(7)
  const model = new RateModel()
  const rate = (ms: number) => (hourOfWeek(ms, 'UTC') % 24 === 12 ? 60 : 6)
  let from = Date.parse('2026-11-02T00:00:00Z')
  const weeks = (n: number, r: (ms: number) => number) => {
    feed(model, rnd, r, from, from + n * 168 * HOUR, 'UTC')
    from += n * 168 * HOUR
  }
  weeks(4, rate)
  const noonMonday = 12
  t.ok(Math.abs(model.rate(noonMonday) - 60) < 12, `noon learnt near 60/h (${model.rate(noonMonday).toFixed(1)})`)
  t.ok(Math.abs(model.rate(3) - 6) < 3, `03:00 learnt near 6/h (${model.rate(3).toFixed(1)})`)
  const e = model.expected(Date.parse('2026-12-07T11:30:00Z'), Date.parse('2026-12-07T12:30:00Z'), 'UTC')
  t.ok(e > 25 && e < 45, `half an hour at 6/h and half at 60/h expects ~33 (${e.toFixed(1)})`)
  weeks(8, (ms) => rate(ms) * 2)
  t.ok(model.rate(noonMonday) > 100, `after eight weeks at double the traffic it has followed (${model.rate(noonMonday).toFixed(1)})`)
  const round = new RateModel(JSON.parse(JSON.stringify(model.toJSON())))
  t.ok(Math.abs(round.rate(noonMonday) - model.rate(noonMonday)) < 0.01, 'saved and read back')
  t.notOk(RateModel.valid({ calls: [1], hours: [1] }), 'a damaged file is refused')
  t.notOk(RateModel.valid({ calls: new Array(168).fill(-1), hours: new Array(168).fill(1) }))
})

t.test('evidence: a silence is improbable when its probability falls below the false-alarm probability', async (t) => {
  const base = { minutes: 10, businessMinutes: 10, peers: null, fixedMinutes: 30, falseAlarmProbability: 0.001, businessNow: true }
  /** A well-known rate: the Poisson figure, exp(-expected·factor). */
  const poisson = (expected: number, ratePerHour = 1) => ({ expected, ratePerHour, logSilence: (f: number) => -expected * f })
  t.match(silenceEvidence({ ...base, own: poisson(6.8) }), { firing: null, adaptiveFires: false })
  t.match(silenceEvidence({ ...base, own: poisson(7) }), { firing: 'adaptive', adaptiveFires: true, fixedFires: false })
  t.match(silenceEvidence({ ...base, own: poisson(7), businessNow: false }), { firing: null }, 'outside business hours: nobody is woken')
  t.equal(silenceEvidence({ ...base, own: poisson(7) }).pValue, Math.exp(-7))
  t.match(silenceEvidence({ ...base, own: poisson(7, 60) }), { firing: null }, 'at 60 calls an hour there are 60 silences an hour: 0.1 % each would be too many')
  t.match(silenceEvidence({ ...base, own: poisson(11.1, 60) }), { firing: 'adaptive' }, 'below 0.001/60: flagged (11 expected, 11 minutes at 60/h)')
  t.match(silenceEvidence({ ...base, own: null, businessMinutes: 30 }), { firing: 'fixed', adaptiveFires: false }, 'no history yet: the fixed rule')
  t.match(silenceEvidence({ ...base, own: poisson(0.5), businessMinutes: 45 }), { firing: null, fixedFires: true }, 'with history, a quiet hour\'s 45 minutes are no alarm')
  t.equal(peerFactor(null), 1)
  t.equal(peerFactor({ seen: 20, expected: 8 }), 2.2, 'the other line is busier than usual: stronger evidence')
  t.equal(peerFactor({ seen: 0, expected: 30 }), 0.25, 'everyone quiet (a holiday): weaker, and never below 1/4')
  t.equal(peerFactor({ seen: 500, expected: 10 }), 4, 'and never above 4')
  t.match(silenceEvidence({ ...base, own: poisson(4), peers: { seen: 20, expected: 8 } }), { firing: 'adaptive', expectedCalls: 8.8 }, '4 expected alone is no alarm; with the other line busy it is')
})

t.test('the predictive allows for a rate that is only estimated: little history, weaker evidence', async (t) => {
  const at = Date.parse('2026-11-02T12:00:00Z')
  const weeksOf = (weeks: number) => new RateModel({ calls: new Array(168).fill(3 * weeks), hours: new Array(168).fill(weeks) })
  const quiet = at + 2.3 * 3_600_000 // at 3 calls an hour, exp(-6.9) = 0.001
  const pLong = Math.exp(weeksOf(20).logSilence(at, quiet, 'UTC'))
  const pShort = Math.exp(weeksOf(1).logSilence(at, quiet, 'UTC'))
  t.ok(pLong > 0.0009 && pLong < 0.0015, `twenty weeks of 3/h: near the Poisson 0.001 (${pLong.toExponential(2)})`)
  t.ok(pShort > pLong * 2, `one week of 3/h: the same silence is far less surprising (${pShort.toExponential(2)})`)
  t.ok(Math.exp(weeksOf(20).logSilence(at, quiet, 'UTC', 2)) < pLong / 100, 'busier than usual (factor 2): far more surprising')
})

t.test('zones off UTC by 30 or 45 minutes change hour at :30 or :15 UTC; a store closed on Saturdays expects nothing then', async (t) => {
  const { nextLocalHour } = await import('../../src/silence/week.js')
  const t0 = Date.parse('2026-11-23T04:00:00Z') // 09:30 in Kolkata (UTC+5:30)
  t.equal(new Date(nextLocalHour(t0, 'Asia/Kolkata')).toISOString(), '2026-11-23T04:30:00.000Z', '10:00 Kolkata')
  t.equal(new Date(nextLocalHour(t0, 'Asia/Kathmandu')).toISOString(), '2026-11-23T04:15:00.000Z', '10:00 Kathmandu (UTC+5:45)')
  t.equal(new Date(nextLocalHour(t0, 'UTC')).toISOString(), '2026-11-23T05:00:00.000Z')
  // six weeks of weekday-only traffic (30 calls an hour, 09–21 local), closed at weekends
  const rnd = prng(11)
  const model = new RateModel()
  const from = Date.parse('2026-11-02T00:00:00Z')
  const to = from + 6 * 168 * HOUR
  const rate = (ms: number) => {
    const how = hourOfWeek(ms, 'Asia/Kolkata')
    return how < 120 && how % 24 >= 9 && how % 24 < 21 ? 30 : 0
  }
  feed(model, rnd, rate, from, to, 'Asia/Kolkata')
  t.ok(model.rate(5 * 24 + 10) < 0.5, `Saturday 10:00 expects almost nothing (${model.rate(5 * 24 + 10).toFixed(2)})`)
  t.ok(model.rate(10) > 20, `Monday 10:00 near 30 (${model.rate(10).toFixed(1)})`)
  t.ok(model.rate(21) < 3, `Monday 21:00, closed, expects little although half-hour zone (${model.rate(21).toFixed(2)})`)
  const lastHour = model.expected(Date.parse('2026-12-14T15:00:00Z'), Date.parse('2026-12-14T16:00:00Z'), 'Asia/Kolkata') // Monday 20:30–21:30 local
  t.ok(lastHour > 10 && lastHour < 20, `20:30–21:30 local, half of it closed, expects ~15 (${lastHour.toFixed(1)}): hours are cut on local hour boundaries`)
})
