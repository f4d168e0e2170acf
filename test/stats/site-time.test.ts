import t from 'tap'
import { bucketOf, dayStart, localParts } from '../../src/stats/site-time.js'

const HOUR = 3600_000

t.test('a local day starts at local midnight, and DST days have 23 and 25 hours', async (t) => {
  const berlin = 'Europe/Berlin'
  t.equal(new Date(dayStart('2026-12-03', berlin)).toISOString(), '2026-12-02T23:00:00.000Z', 'CET is UTC+1')
  t.equal(new Date(dayStart('2026-07-01', berlin)).toISOString(), '2026-06-30T22:00:00.000Z', 'CEST is UTC+2')
  t.equal(dayStart('2026-03-30', berlin) - dayStart('2026-03-29', berlin), 23 * HOUR, 'the spring day has 23 hours')
  t.equal(dayStart('2026-10-26', berlin) - dayStart('2026-10-25', berlin), 25 * HOUR, 'the autumn day has 25 hours')
  t.equal(dayStart('2026-12-04', 'Europe/Moscow') - dayStart('2026-12-03', 'Europe/Moscow'), 24 * HOUR, 'Moscow keeps no DST')
  t.equal(new Date(dayStart('2026-12-03', 'Europe/Moscow')).toISOString(), '2026-12-02T21:00:00.000Z')
  t.equal(dayStart('2026-12-03', 'UTC'), Date.UTC(2026, 11, 3))
})

t.test('buckets in site time', async (t) => {
  const at = Date.UTC(2026, 11, 31, 22, 30) // 23:30 in Berlin, 01:30 on 1 January in Moscow
  t.equal(bucketOf(at, 'hour', 'Europe/Berlin'), '2026-12-31T23')
  t.equal(bucketOf(at, 'day', 'Europe/Moscow'), '2027-01-01')
  t.equal(bucketOf(at, 'month', 'Europe/Moscow'), '2027-01')
  t.equal(bucketOf(at, 'week', 'Europe/Berlin'), '2026-W53', 'ISO week: 2026 has 53')
  t.equal(bucketOf(Date.UTC(2027, 0, 4, 12), 'week', 'UTC'), '2027-W01')
  // the repeated hour of the autumn change: both 02:xx are hour 02 of that day
  const first = dayStart('2026-10-25', 'Europe/Berlin') + 2 * HOUR
  t.same([localParts(first, 'Europe/Berlin').hour, localParts(first + HOUR, 'Europe/Berlin').hour], [2, 2], '02:00 comes twice')
})

t.test('junk dates are refused with the reason', async (t) => {
  t.throws(() => dayStart('2026-02-30', 'UTC'), /not a day of the calendar/)
  t.throws(() => dayStart('yesterday', 'UTC'), /is not a date \(YYYY-MM-DD\)/)
})
