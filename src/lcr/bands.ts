/**
 * Time bands of a cost plan ("peak" on weekdays 08:00–18:00…), in the
 * site's time zone: Intl gives the local weekday and time, so daylight
 * saving is the zone's own. Pure.
 */
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
const formatters = new Map<string, Intl.DateTimeFormat>()

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** The local weekday and minute of the day at `at` in `timeZone`. */
export function siteTime(at: number, timeZone: string): { day: Day; minute: number } {
  let f = formatters.get(timeZone)
  if (!f) {
    // h23: some ICU versions print midnight as "24" with hour12: false
    f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    formatters.set(timeZone, f)
  }
  let weekday = ''
  let hour = 0
  let minute = 0
  for (const p of f.formatToParts(new Date(at))) {
    if (p.type === 'weekday') weekday = p.value.toLowerCase().slice(0, 3)
    else if (p.type === 'hour') hour = Number(p.value)
    else if (p.type === 'minute') minute = Number(p.value)
  }
  const day = DAYS.find((d) => d === weekday)
  if (!day) throw new Error(`cannot read the weekday of ${new Date(at).toISOString()} in ${timeZone}`)
  return { day, minute: hour * 60 + minute }
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
