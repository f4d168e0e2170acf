/**
 * Site time from the system's time zone database (/usr/share/zoneinfo, TZif files, RFC 8536) instead of
 * Intl.DateTimeFormat: the first Intl formatter pages in ~6 MB of Node's ICU locale data and ~2 MB of
 * heap for good (issue 20: the idle box's memory), and all the box needs is a UTC offset. The files are
 * also the ones the OS keeps up to date (Debian's tzdata), not the copy inside the Node binary.
 * Where there is no zone database (or a file cannot be read), Intl answers instead.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One zone: transition instants (ms, ascending) and the offset in force from each; then the footer's rule. */
interface Zone {
  at: Float64Array
  offset: Float64Array
  /** Before the first transition (RFC 8536: time type 0). */
  first: number
  /** After the last transition: the POSIX TZ string's rule, or the last offset when there is none. */
  rule: Rule | null
}

interface Rule {
  std: number
  dst: number
  /** When DST starts and ends, as a function of the year, in local wall ms from the year's start (no rule: no DST). */
  start?: RuleDate
  end?: RuleDate
}

interface RuleDate {
  kind: 'J' | 'n' | 'M'
  n: number
  week: number
  weekday: number
  /** Seconds after local midnight (may be negative or beyond 24 h, RFC 8536 §3.3.1). */
  time: number
}

const zones = new Map<string, Zone | null>()
const NAME = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/

function zoneDir(): string {
  return process.env.TZDIR || '/usr/share/zoneinfo'
}

function load(timeZone: string): Zone | null {
  if (zones.has(timeZone)) return zones.get(timeZone)!
  let zone: Zone | null = null
  if (NAME.test(timeZone)) {
    try {
      zone = parseTzif(readFileSync(join(zoneDir(), timeZone)))
    } catch {
      zone = null
    }
  }
  zones.set(timeZone, zone)
  return zone
}

/** A TZif file (versions 1–4): the 64-bit block when there is one, and the footer. Throws on anything else. */
export function parseTzif(buf: Buffer): Zone {
  const header = (pos: number) => {
    if (buf.toString('latin1', pos, pos + 4) !== 'TZif') throw new Error('not a TZif file')
    const n = (i: number) => buf.readUInt32BE(pos + 20 + i * 4)
    return { version: buf[pos + 4]!, isut: n(0), isstd: n(1), leap: n(2), time: n(3), type: n(4), chars: n(5) }
  }
  let h = header(0)
  let pos = 44
  let wide = false
  if (h.version >= 0x32) {
    // skip the 32-bit block to the second header
    pos += h.time * 5 + h.type * 6 + h.chars + h.leap * 8 + h.isstd + h.isut
    h = header(pos)
    pos += 44
    wide = true
  }
  const times = new Float64Array(h.time)
  for (let i = 0; i < h.time; i++) times[i] = (wide ? Number(buf.readBigInt64BE(pos + i * 8)) : buf.readInt32BE(pos + i * 4)) * 1000
  pos += h.time * (wide ? 8 : 4)
  const idx = buf.subarray(pos, pos + h.time)
  pos += h.time
  const types: number[] = []
  for (let i = 0; i < h.type; i++) types.push(buf.readInt32BE(pos + i * 6) * 1000)
  if (types.length === 0) throw new Error('a TZif file without time types')
  pos += h.type * 6 + h.chars + h.leap * (wide ? 12 : 8) + h.isstd + h.isut
  const offset = new Float64Array(h.time)
  for (let i = 0; i < h.time; i++) offset[i] = types[idx[i]!] ?? types[0]!
  let rule: Rule | null = null
  if (wide && buf[pos] === 0x0a) {
    const endNl = buf.indexOf(0x0a, pos + 1)
    const tz = buf.toString('latin1', pos + 1, endNl < 0 ? buf.length : endNl)
    if (tz) rule = parsePosixTz(tz)
  }
  if (!rule && h.time > 0) rule = { std: offset[h.time - 1]!, dst: offset[h.time - 1]! }
  return { at: times, offset, first: types[0]!, rule }
}

/** [+-]hh[:mm[:ss]] → seconds. */
function hms(s: string): number {
  const m = /^([+-])?(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(s)
  if (!m) throw new Error(`bad time "${s}" in a TZ string`)
  const v = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)
  return m[1] === '-' ? -v : v
}

function ruleDate(s: string): RuleDate {
  const [date, time] = s.split('/') as [string, string | undefined]
  const t = time === undefined ? 7200 : hms(time)
  let m: RegExpExecArray | null
  if ((m = /^J(\d{1,3})$/.exec(date))) return { kind: 'J', n: Number(m[1]), week: 0, weekday: 0, time: t }
  if ((m = /^(\d{1,3})$/.exec(date))) return { kind: 'n', n: Number(m[1]), week: 0, weekday: 0, time: t }
  if ((m = /^M(\d{1,2})\.(\d)\.(\d)$/.exec(date))) return { kind: 'M', n: Number(m[1]), week: Number(m[2]), weekday: Number(m[3]), time: t }
  throw new Error(`bad date "${date}" in a TZ string`)
}

/** A POSIX TZ string as TZif footers write it: `MSK-3`, `<+0545>-5:45`, `EST5EDT,M3.2.0,M11.1.0`, `IST-1GMT0,M10.5.0,M3.5.0/1`. */
export function parsePosixTz(tz: string): Rule {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([+-]?[\d:]+)(?:(<[^>]+>|[A-Za-z]{3,})([+-]?[\d:]+)?(?:,([^,]+),([^,]+))?)?$/.exec(tz)
  if (!m) throw new Error(`a TZ string this reader does not know: "${tz}"`)
  const std = -hms(m[2]!) * 1000 // POSIX offsets count west of Greenwich
  if (!m[3]) return { std, dst: std }
  const dst = m[4] === undefined ? std + 3_600_000 : -hms(m[4]) * 1000
  if (!m[5] || !m[6]) throw new Error(`a TZ string with DST but no rule: "${tz}"`)
  return { std, dst, start: ruleDate(m[5]), end: ruleDate(m[6]) }
}

const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

/** The local wall-clock moment (as if UTC) a rule date falls on in `year`. */
function wallOf(year: number, d: RuleDate): number {
  let day: number
  if (d.kind === 'J') day = Date.UTC(year, 0, d.n + (leap(year) && d.n >= 60 ? 1 : 0))
  else if (d.kind === 'n') day = Date.UTC(year, 0, d.n + 1)
  else {
    const first = new Date(Date.UTC(year, d.n - 1, 1)).getUTCDay()
    let date = 1 + ((d.weekday - first + 7) % 7) + (d.week - 1) * 7
    const days = new Date(Date.UTC(year, d.n, 0)).getUTCDate()
    while (date > days) date -= 7
    day = Date.UTC(year, d.n - 1, date)
  }
  return day + d.time * 1000
}

function ruleOffset(r: Rule, at: number): number {
  if (!r.start || !r.end) return r.std
  const year = new Date(at + r.std).getUTCFullYear()
  const start = wallOf(year, r.start) - r.std // given in standard time
  const end = wallOf(year, r.end) - r.dst // given in daylight time
  const inDst = start < end ? at >= start && at < end : !(at >= end && at < start)
  return inDst ? r.dst : r.std
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function intlOffset(at: number, timeZone: string): number {
  const p: Record<string, number> = {}
  let f = formatters.get(timeZone)
  if (!f) formatters.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })))
  for (const x of f.formatToParts(at)) if (x.type !== 'literal') p[x.type] = Number(x.value)
  const s = Math.floor(at / 1000) * 1000
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - s
}

/** The zone's offset from UTC at `at`, in ms (positive east of Greenwich). Throws for a zone nobody knows. */
export function utcOffsetMs(at: number, timeZone: string): number {
  const z = load(timeZone)
  if (!z) return intlOffset(at, timeZone)
  const n = z.at.length
  if (n === 0 || at < z.at[0]!) return n === 0 && z.rule ? ruleOffset(z.rule, at) : z.first
  if (at >= z.at[n - 1]! && z.rule) return ruleOffset(z.rule, at)
  let lo = 0
  let hi = n - 1 // the last transition at or before `at`
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (z.at[mid]! <= at) lo = mid
    else hi = mid - 1
  }
  return z.offset[lo]!
}

export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** 0 = Monday … 6 = Sunday */
  weekday: number
}

/** The local calendar date and time at `at` in `timeZone`. */
export function wallClock(at: number, timeZone: string): WallClock {
  const d = new Date(at + utcOffsetMs(at, timeZone))
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: (d.getUTCDay() + 6) % 7 }
}

/** Whether a time zone name is one the system (or, without a zone database, Node) knows. */
export function knownTimeZone(timeZone: string): boolean {
  if (load(timeZone)) return true
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone })
    return true
  } catch {
    return false
  }
}
