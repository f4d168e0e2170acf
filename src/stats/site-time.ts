/**
 * Site time for the figures: the local hour, day, ISO week and month a moment
 * falls in, and the moment a local day starts, in the site's IANA time zone
 * (DST days have 23 or 25 hours; nothing here assumes 24).
 */
import { utcOffsetMs, wallClock, type WallClock } from '../core/zone.js'

export type LocalParts = Omit<WallClock, 'weekday'>

export function localParts(at: number, timeZone: string): LocalParts {
  const { year, month, day, hour, minute, second } = wallClock(at, timeZone)
  return { year, month, day, hour, minute, second }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')


/** The moment a local date and hour begins at the site (the first such moment on a day that repeats an hour). */
export function localMoment(year: number, month: number, day: number, timeZone: string, hour = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour)
  let at = wall - utcOffsetMs(wall, timeZone)
  // a second pass settles a guess made across a DST change
  at = wall - utcOffsetMs(at, timeZone)
  return at
}

/** The moment the site hour `at` falls in began (the repeated hour of an autumn change: its second pass counts from its own start). */
export function localHourStart(at: number, timeZone: string): number {
  const p = localParts(at, timeZone)
  return at - (p.minute * 60 + p.second) * 1000 - (at % 1000)
}

/** `YYYY-MM-DD` at the site → the moment that day starts. Throws for anything else. */
export function dayStart(date: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) throw new Error(`"${date}" is not a date (YYYY-MM-DD)`)
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const check = new Date(Date.UTC(y, mo - 1, d))
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new Error(`"${date}" is not a day of the calendar`)
  return localMoment(y, mo, d, timeZone)
}

/** The ISO week (YYYY-Www) of a local date. */
function isoWeek(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day))
  const weekday = date.getUTCDay() || 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday)
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7)
  return `${date.getUTCFullYear()}-W${pad(week)}`
}

export type Period = 'hour' | 'day' | 'week' | 'month'
export const PERIODS: readonly Period[] = ['hour', 'day', 'week', 'month']

/** The bucket a moment falls in: `2026-12-03T14`, `2026-12-03`, `2026-W49`, `2026-12`. */
export function bucketOf(at: number, by: Period, timeZone: string): string {
  const p = localParts(at, timeZone)
  const day = `${p.year}-${pad(p.month)}-${pad(p.day)}`
  if (by === 'hour') return `${day}T${pad(p.hour)}`
  if (by === 'day') return day
  if (by === 'week') return isoWeek(p.year, p.month, p.day)
  return `${p.year}-${pad(p.month)}`
}
