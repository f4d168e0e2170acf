/**
 * Bundle minutes: free minutes per month (from a reset day) or per day, to
 * every destination or to listed prefixes, or unlimited to them up to a
 * fair-use cap. Counted from real call durations, by the started minute, as
 * carriers count them; the caller keeps the counts on disk. Pure but for the
 * counts it is given.
 */
import type { PlanConfig } from '../config/schema.js'
import { wallClock } from '../core/zone.js'

export type Bundle = PlanConfig['bundles'][number]

/**
 * Seconds used in the current period, per pool of minutes: `<path>/<plan>/<bundle>` for a bundle each
 * path (SIM) has of its own, as operators sell them; `<plan>/<bundle>` for a `shared` one.
 */
export type BundleCounts = Record<string, { period: string; seconds: number }>

/** The pool a path's call draws on: its own, or the plan's when the bundle is shared. */
export function poolKey(plan: string, b: Bundle, path: string): string {
  return b.shared ? `${plan}/${b.id}` : `${path}/${plan}/${b.id}`
}

const partsOf = (ms: number, timeZone: string) => {
  const w = wallClock(ms, timeZone)
  return { y: w.year, m: w.month, d: w.day }
}

/** The site's date of a moment: `2026-11-23`. */
export function localDay(at: number, timeZone: string): string {
  const { y, m, d } = partsOf(at, timeZone)
  return `${y}-${pad(m)}-${pad(d)}`
}

/** A bundle's size in seconds (Infinity: unlimited without a cap). */
export function bundleSeconds(b: Bundle): number {
  return b.unlimited ? (b.fairUseMinutes ?? Infinity) * 60 : (b.minutes ?? 0) * 60
}

/** The period a moment falls in, site time: `2026-11-23` for a daily bundle, `2026-11` (from its reset day) for a monthly one. */
export function periodOf(b: Bundle, at: number, timeZone: string): string {
  const { y, m, d } = partsOf(at, timeZone)
  if (b.per === 'day') return localDay(at, timeZone)
  // before the reset day, the minutes still belong to last month's period
  const [py, pm] = d >= b.resetDay ? [y, m] : m === 1 ? [y - 1, 12] : [y, m - 1]
  return `${py}-${pad(pm)}`
}

const pad = (n: number) => String(n).padStart(2, '0')
const covers = (b: Bundle, digits: string) => b.prefixes.length === 0 || b.prefixes.some((p) => digits.startsWith(p))

/** Seconds left in a pool now (`poolKey`; Infinity for unlimited without a cap). */
export function secondsLeft(key: string, b: Bundle, counts: BundleCounts, at: number, timeZone: string): number {
  const c = counts[key]
  const used = c && c.period === periodOf(b, at, timeZone) ? c.seconds : 0
  return Math.max(0, bundleSeconds(b) - used)
}

/** The first bundle of the plan for this destination with at least `seconds` left on this path, or null. */
export function coveringBundle(plan: PlanConfig, path: string, digits: string, seconds: number, counts: BundleCounts, at: number, timeZone: string): { bundle: Bundle; left: number } | null {
  for (const b of plan.bundles) {
    if (!covers(b, digits)) continue
    const left = secondsLeft(poolKey(plan.id, b, path), b, counts, at, timeZone)
    if (left >= seconds) return { bundle: b, left }
  }
  return null
}

/**
 * Count a call's minutes (started minutes) against the bundles that cover it, in order, each up
 * to what it has left. Returns the first one used and the seconds covered (the rest is paid at
 * the deck's rate), or null when none had any.
 */
export function countCall(plan: PlanConfig, path: string, digits: string, seconds: number, counts: BundleCounts, at: number, timeZone: string): { bundle: Bundle; covered: number } | null {
  if (seconds <= 0) return null
  let billed = Math.ceil(seconds / 60) * 60
  let covered = 0
  let first: Bundle | null = null
  for (const b of plan.bundles) {
    const key = poolKey(plan.id, b, path)
    const left = secondsLeft(key, b, counts, at, timeZone)
    if (billed <= 0 || !covers(b, digits) || left <= 0) continue
    const period = periodOf(b, at, timeZone)
    const used = counts[key]?.period === period ? counts[key]!.seconds : 0
    const take = Math.min(billed, left)
    counts[key] = { period, seconds: used + take }
    billed -= take
    covered += take
    first ??= b
  }
  return first ? { bundle: first, covered: Math.min(seconds, covered) } : null
}

/**
 * The pools of a routing config: one per path for each bundle of its plan, or one per plan for a
 * shared bundle. What `/api/v1/routing`, `<base>/stats` and the bundle alert list.
 */
export function pools(plans: PlanConfig[], paths: { id: string; plan: string }[]): { key: string; plan: string; bundle: Bundle; path: string | null }[] {
  return plans.flatMap((plan) =>
    plan.bundles.flatMap((b): { key: string; plan: string; bundle: Bundle; path: string | null }[] =>
      b.shared ? [{ key: poolKey(plan.id, b, ''), plan: plan.id, bundle: b, path: null }] : paths.filter((p) => p.plan === plan.id).map((p) => ({ key: poolKey(plan.id, b, p.id), plan: plan.id, bundle: b, path: p.id })),
    ),
  )
}

/**
 * Counts written before bundles were per path (one pool per `<plan>/<bundle>`): each path of the plan
 * starts from the whole pool's count (the safe side: no path is thought to have more free minutes
 * than it may), and the old pool is dropped. Shared bundles keep theirs. Returns whether anything moved.
 */
export function migrateCounts(counts: BundleCounts, plans: PlanConfig[], paths: { id: string; plan: string }[]): boolean {
  let moved = false
  for (const plan of plans) {
    for (const b of plan.bundles) {
      const old = counts[`${plan.id}/${b.id}`]
      if (b.shared || !old) continue
      for (const p of paths.filter((x) => x.plan === plan.id)) counts[poolKey(plan.id, b, p.id)] ??= { ...old }
      delete counts[`${plan.id}/${b.id}`]
      moved = true
    }
  }
  return moved
}
