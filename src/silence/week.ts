/**
 * Site time: the hour of the week (Monday 00:00–00:59 = 0 … Sunday 23:xx = 167)
 * and business hours, in the site's time zone (the zone database, so daylight
 * saving is the zone's own). Pure.
 */
import { knownTimeZone, wallClock } from '../core/zone.js'

export const HOURS_PER_WEEK = 168
export const HOUR_MS = 3_600_000

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Day = (typeof DAYS)[number]

export interface BusinessHours {
  days: Day[]
  /** "09:00" */
  from: string
  /** "21:00"; "24:00" for midnight */
  to: string
}

function parts(ms: number, timeZone: string): { day: number; hour: number; minute: number } {
  const w = wallClock(ms, timeZone)
  return { day: w.weekday, hour: w.hour, minute: w.minute }
}

/** Every zone's offset is a whole number of quarter hours: within one UTC quarter hour the local hour is one. */
const QUARTER_MS = 900_000
const hourCache = new Map<string, number>()

/** The hour of the week at `ms` in the site's zone (cached per quarter hour: the rate model asks a lot). */
export function hourOfWeek(ms: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(ms / QUARTER_MS)}`
  let how = hourCache.get(key)
  if (how === undefined) {
    const { day, hour } = parts(ms, timeZone)
    how = day * 24 + hour
    if (hourCache.size > 20_000) hourCache.clear()
    hourCache.set(key, how)
  }
  return how
}

/** The local hours from `from` to `to`: each piece's hour of the week and its length in hours. */
export function* localHours(from: number, to: number, timeZone: string): Generator<{ how: number; hours: number }> {
  for (let t = from; t < to; ) {
    const end = Math.min(to, nextLocalHour(t, timeZone))
    yield { how: hourOfWeek(t, timeZone), hours: (end - t) / HOUR_MS }
    t = end
  }
}

/** When the next local hour starts after `ms` (zones 30 or 45 minutes off UTC change hour at :30 or :15 UTC). */
export function nextLocalHour(ms: number, timeZone: string): number {
  const quarter = Math.floor(ms / QUARTER_MS) * QUARTER_MS
  for (let t = quarter + QUARTER_MS; ; t += QUARTER_MS) if (hourOfWeek(t, timeZone) !== hourOfWeek(ms, timeZone)) return t
}

export { knownTimeZone }

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** Whether `ms` falls in business hours (an empty list means always). */
export function inBusinessHours(ms: number, hours: BusinessHours[], timeZone: string): boolean {
  if (hours.length === 0) return true
  const { day, hour, minute } = parts(ms, timeZone)
  const now = hour * 60 + minute
  return hours.some((h) => h.days.includes(DAYS[day]!) && now >= minutesOf(h.from) && now < minutesOf(h.to))
}
