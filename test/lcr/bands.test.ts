import t from 'tap'
import { bandAt, bandRuleProblems, siteTime, type BandRule } from '../../src/lcr/bands.js'

const WEEKDAYS: BandRule['days'] = ['mon', 'tue', 'wed', 'thu', 'fri']
const RULES: BandRule[] = [
  { name: 'peak', days: WEEKDAYS, from: '08:00', to: '18:00' },
  { name: 'evening', days: WEEKDAYS, from: '18:00', to: '24:00' },
  { name: 'weekend', days: ['sat', 'sun'], from: '00:00', to: '24:00' },
]
const utc = (iso: string) => Date.parse(`${iso}Z`)

t.test('Europe/Berlin across the change to summer time (29 March 2026, 01:00 UTC)', async (t) => {
  const tz = 'Europe/Berlin'
  t.equal(bandAt(RULES, utc('2026-03-27T07:30'), tz), 'peak', 'Friday 08:30 CET')
  t.equal(bandAt(RULES, utc('2026-03-27T06:30'), tz), null, 'Friday 07:30 CET: no band')
  t.equal(bandAt(RULES, utc('2026-03-30T06:30'), tz), 'peak', 'the same UTC time on Monday is 08:30 CEST')
  t.equal(bandAt(RULES, utc('2026-03-30T05:59'), tz), null, 'Monday 07:59 CEST')
  t.equal(bandAt(RULES, utc('2026-03-30T16:00'), tz), 'evening', 'Monday 18:00 CEST: peak ends, evening starts')
  t.equal(bandAt(RULES, utc('2026-03-30T15:59'), tz), 'peak')
  t.equal(bandAt(RULES, utc('2026-03-29T00:59'), tz), 'weekend', 'Sunday 01:59 CET')
  t.same(siteTime(utc('2026-03-29T01:00'), tz), { day: 'sun', minute: 3 * 60 }, '02:00 CET does not exist: 03:00 CEST')
  t.equal(bandAt(RULES, utc('2026-03-29T21:59'), tz), 'weekend', 'Sunday 23:59 CEST')
  t.equal(bandAt(RULES, utc('2026-03-29T22:00'), tz), null, 'Monday 00:00 CEST: weekend over')
  t.equal(bandAt(RULES, utc('2026-10-23T16:30'), tz), 'evening', 'Friday 18:30 CEST in October')
  t.equal(bandAt(RULES, utc('2026-10-26T16:30'), tz), 'peak', 'Monday after the change back: 17:30 CET')
})

t.test('Europe/Moscow: no daylight saving, UTC+3 all year', async (t) => {
  const tz = 'Europe/Moscow'
  t.equal(bandAt(RULES, utc('2026-03-27T05:00'), tz), 'peak', 'Friday 08:00 MSK')
  t.equal(bandAt(RULES, utc('2026-03-27T04:59'), tz), null, 'Friday 07:59 MSK')
  t.equal(bandAt(RULES, utc('2026-03-30T05:00'), tz), 'peak', 'the same after Berlin changed')
  t.equal(bandAt(RULES, utc('2026-03-30T04:59'), tz), null)
  t.equal(bandAt(RULES, utc('2026-03-27T20:59'), tz), 'evening', 'Friday 23:59 MSK')
  t.equal(bandAt(RULES, utc('2026-03-27T21:00'), tz), 'weekend', 'Saturday 00:00 MSK, still Friday in UTC')
  t.equal(bandAt(RULES, utc('2026-07-06T15:00'), tz), 'evening', 'Monday 18:00 MSK in summer')
})

t.test('the first matching rule wins; no rules, no band', async (t) => {
  const overlapping: BandRule[] = [
    { name: 'lunch', days: ['wed'], from: '12:00', to: '13:00' },
    { name: 'day', days: ['wed'], from: '08:00', to: '20:00' },
  ]
  t.equal(bandAt(overlapping, utc('2026-04-01T12:30'), 'UTC'), 'lunch')
  t.equal(bandAt(overlapping, utc('2026-04-01T13:00'), 'UTC'), 'day')
  t.equal(bandAt([...overlapping].reverse(), utc('2026-04-01T12:30'), 'UTC'), 'day')
  t.equal(bandAt([], utc('2026-04-01T12:30'), 'UTC'), null)
  t.throws(() => bandAt(RULES, 0, 'Mars/Olympus'), RangeError, 'an unknown zone is an error')
})

t.test('rule checks', async (t) => {
  t.same(bandRuleProblems(RULES), [])
  t.same(bandRuleProblems([{ name: 'night', days: ['mon'], from: '22:00', to: '06:00' }]), ['band 1 "night": 22:00–06:00 wraps or is empty; split a window over midnight in two'])
  t.same(bandRuleProblems([{ name: 'x', days: ['mon'], from: '8:00', to: '09:00' }]), ['band 1 "x": from "8:00" is not HH:MM'])
  t.same(bandRuleProblems([{ name: 'x', days: ['mon'], from: '08:00', to: '24:30' }]), ['band 1 "x": to "24:30" is not HH:MM (24:00 for midnight)'])
  t.same(bandRuleProblems([{ name: 'x', days: [], from: '08:00', to: '09:00' }]), ['band 1 "x": days must be some of mon, tue, wed, thu, fri, sat, sun'])
})
