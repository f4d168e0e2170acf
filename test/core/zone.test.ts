/**
 * Site time from the zone database agrees with Intl (ICU's own copy of the same database) on zones of
 * every kind: DST north and south, half and quarter hours, a 30-minute DST, negative DST, no DST, zones
 * whose rules changed; at every transition (±1 s) from 1990 to 2045 and at seeded random moments.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { knownTimeZone, parsePosixTz, parseTzif, utcOffsetMs, wallClock } from '../../src/core/zone.js'

const ZONES = ['UTC', 'Europe/Moscow', 'Europe/London', 'Europe/Berlin', 'Europe/Dublin', 'America/New_York', 'America/Los_Angeles', 'America/St_Johns', 'America/Sao_Paulo', 'America/Santiago', 'Australia/Sydney', 'Australia/Lord_Howe', 'Australia/Adelaide', 'Pacific/Auckland', 'Pacific/Chatham', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Tehran', 'Asia/Tokyo', 'Asia/Dubai', 'Africa/Cairo', 'Africa/Johannesburg', 'Etc/GMT+5', 'Europe/Kyiv', 'Asia/Yekaterinburg']
const hasDb = (() => {
  try {
    readFileSync('/usr/share/zoneinfo/Europe/Moscow')
    return true
  } catch {
    return false
  }
})()

const formatters = new Map<string, Intl.DateTimeFormat>()
function intlOffset(at: number, timeZone: string): number {
  const p: Record<string, number> = {}
  let f = formatters.get(timeZone)
  if (!f) formatters.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })))
  for (const x of f.formatToParts(at)) if (x.type !== 'literal') p[x.type] = Number(x.value)
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(at / 1000) * 1000
}

t.test('offsets agree with Intl at every transition and at random moments, 1990-2045', { skip: hasDb ? false : 'no /usr/share/zoneinfo here (Intl answers instead)' }, async (t) => {
  let seed = 42
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const from = Date.UTC(1990, 0, 1)
  const to = Date.UTC(2045, 0, 1)
  for (const tz of ZONES) {
    const bad: string[] = []
    let checked = 0
    const check = (at: number) => {
      checked++
      const mine = utcOffsetMs(at, tz)
      const theirs = intlOffset(at, tz)
      if (mine !== theirs && bad.length < 3) bad.push(`${new Date(at).toISOString()}: ${mine / 60000} min, Intl ${theirs / 60000}`)
    }
    // every change of offset Intl sees (none is less than a day after another), found day by day, pinned to the second
    let prev = intlOffset(from, tz)
    for (let at = from; at < to; at += 86_400_000) {
      const cur = intlOffset(at, tz)
      if (cur !== prev) {
        let lo = at - 86_400_000
        let hi = at
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000
          if (intlOffset(mid, tz) === prev) lo = mid
          else hi = mid
        }
        for (const d of [-1000, 0, 1000]) check(hi + d)
        prev = cur
      }
    }
    for (let i = 0; i < 400; i++) check(from + Math.floor(rand() * (to - from)))
    t.same(bad, [], `${tz}: ${checked} moments agree with Intl`)
  }
})

t.test('wall clock: date, time and weekday (0 = Monday) in the zone', async (t) => {
  // 2026-03-29 01:30 UTC: Berlin has just moved to summer time (03:30 CEST, a Sunday); Moscow 04:30
  const at = Date.UTC(2026, 2, 29, 1, 30, 15)
  t.same(wallClock(at, 'Europe/Berlin'), { year: 2026, month: 3, day: 29, hour: 3, minute: 30, second: 15, weekday: 6 })
  t.same(wallClock(at, 'Europe/Moscow'), { year: 2026, month: 3, day: 29, hour: 4, minute: 30, second: 15, weekday: 6 })
  // the day before in New York (Saturday evening, EDT since 8 March)
  t.same(wallClock(at, 'America/New_York'), { year: 2026, month: 3, day: 28, hour: 21, minute: 30, second: 15, weekday: 5 })
})

t.test('POSIX TZ strings, as TZif footers write them', async (t) => {
  t.same(parsePosixTz('MSK-3'), { std: 3 * 3_600_000, dst: 3 * 3_600_000 })
  t.same(parsePosixTz('<+0545>-5:45'), { std: (5 * 60 + 45) * 60_000, dst: (5 * 60 + 45) * 60_000 })
  const ny = parsePosixTz('EST5EDT,M3.2.0,M11.1.0')
  t.equal(ny.std, -5 * 3_600_000)
  t.equal(ny.dst, -4 * 3_600_000, 'DST is an hour ahead when the string gives no offset')
  t.same(ny.start, { kind: 'M', n: 3, week: 2, weekday: 0, time: 7200 })
  t.same(parsePosixTz('<-03>3<-02>,M3.5.0/-2,M10.5.0/-1').start, { kind: 'M', n: 3, week: 5, weekday: 0, time: -7200 }, 'negative transition times (RFC 8536)')
  t.same(parsePosixTz('EST5EDT,0/0,J365/25').end, { kind: 'J', n: 365, week: 0, weekday: 0, time: 25 * 3600 }, 'all-year DST')
  for (const bad of ['', 'M', 'EST', 'EST5EDT,M3.2.0', 'EST5EDT,M13.x.0,M11.1.0', '5EST']) t.throws(() => parsePosixTz(bad), `"${bad}" is refused`)
  // an all-year DST rule is in DST all year
  const zone = parsePosixTz('EST5EDT,0/0,J365/25')
  t.ok(zone.dst > zone.std)
})

t.test('garbage and truncated files are refused, not read as a zone', async (t) => {
  t.throws(() => parseTzif(Buffer.from('not a zone file at all, long enough to have a header.........')), /TZif/)
  if (hasDb) {
    const good = readFileSync('/usr/share/zoneinfo/Europe/Moscow')
    t.throws(() => parseTzif(good.subarray(0, 60)), 'a file cut short throws')
  }
})

t.test('known zones: the database, else Intl; nonsense is not a zone', async (t) => {
  t.ok(knownTimeZone('Europe/Moscow'))
  t.ok(knownTimeZone('UTC'))
  t.notOk(knownTimeZone('Mars/Olympus_Mons'))
  t.notOk(knownTimeZone('../../etc/passwd'), 'a path is not a zone name')
  t.throws(() => utcOffsetMs(0, 'Mars/Olympus_Mons'), RangeError)
})
