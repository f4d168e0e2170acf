/**
 * Time bands of a cost plan ("peak" on weekdays 08:00–18:00…), in the
 * site's time zone: the zone database gives the local weekday and time, so
 * daylight saving is the zone's own. Pure.
 */
import { wallClock } from '../core/zone.js'
import type { Day } from '../silence/week.js'

export interface BandRule {
  name: string
  days: Day[]
  /** "08:00", site time, inclusive. */
  from: string
  /** "18:00", exclusive; "24:00" for midnight. A window may not wrap midnight: split it in two rules. */
  to: string
}

const DAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** The local weekday and minute of the day at `at` in `timeZone`. */
export function siteTime(at: number, timeZone: string): { day: Day; minute: number } {
  const w = wallClock(at, timeZone)
  return { day: DAYS[w.weekday]!, minute: w.hour * 60 + w.minute }
}

/** The name of the first rule whose window holds the site time at `at`; null when none does. */
export function bandAt(rules: readonly BandRule[], at: number, timeZone: string): string | null {
  if (rules.length === 0) return null
  const { day, minute } = siteTime(at, timeZone)
  const rule = rules.find((r) => r.days.includes(day) && minute >= minutesOf(r.from) && minute < minutesOf(r.to))
  return rule?.name ?? null
}

/** What is wrong with a list of rules (empty when nothing is), for config checks. */
export function bandRuleProblems(rules: readonly BandRule[]): string[] {
  const out: string[] = []
  rules.forEach((r, i) => {
    const what = `band ${i + 1} "${r.name}"`
    if (!HHMM.test(r.from) || r.from === '24:00') out.push(`${what}: from "${r.from}" is not HH:MM`)
    else if (!HHMM.test(r.to)) out.push(`${what}: to "${r.to}" is not HH:MM (24:00 for midnight)`)
    else if (minutesOf(r.to) <= minutesOf(r.from)) out.push(`${what}: ${r.from}–${r.to} wraps or is empty; split a window over midnight in two`)
    if (r.days.length === 0 || r.days.some((d) => !DAYS.includes(d))) out.push(`${what}: days must be some of ${DAYS.join(', ')}`)
  })
  return out
}
