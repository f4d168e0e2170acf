/**
 * Simulated incoming traffic for the silence bench and tests: a store's calls
 * per hour by weekday and hour (site time), and Poisson arrivals that follow
 * it. Deterministic for a given random source.
 */
import type { Clock } from '../core/clock.js'
import type { StateStore } from '../core/store.js'
import type { SilenceWatch } from '../silence/watch.js'
import { HOUR_MS } from '../silence/week.js'
import { prng } from './prng.js'

/** Calls per hour on one line of a small store, weekdays, by hour 0–23 (site time): busy at noon, quiet at night. */
export const WEEKDAY_PROFILE = [0, 0, 0, 0, 0, 0, 0, 0, 2, 20, 40, 55, 60, 50, 45, 45, 40, 35, 25, 12, 5, 3, 0.5, 0]
/** Saturday and Sunday: later and quieter. */
export const WEEKEND_PROFILE = [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 12, 20, 25, 25, 20, 18, 15, 10, 6, 3, 1, 0.5, 0, 0]

/** The profile's rate at `ms`, given the site's UTC offset in hours (the bench keeps a fixed offset). */
export function storeRate(ms: number, utcOffsetHours = 3, scale = 1): number {
  const local = new Date(ms + utcOffsetHours * HOUR_MS)
  const day = local.getUTCDay() // 0 = Sunday
  const profile = day === 0 || day === 6 ? WEEKEND_PROFILE : WEEKDAY_PROFILE
  return profile[local.getUTCHours()]! * scale
}

/** The rate may change every quarter hour (zones 30 or 45 minutes off UTC change hour then). */
const STEP_MS = HOUR_MS / 4

/** Poisson arrivals between two times with a rate (calls per hour) that may change every quarter hour. */
export function poissonArrivals(rnd: () => number, rate: (ms: number) => number, from: number, to: number): number[] {
  const out: number[] = []
  for (let step = Math.floor(from / STEP_MS) * STEP_MS; step < to; step += STEP_MS) {
    const lambda = rate(step)
    if (lambda <= 0) continue
    // exponential gaps inside the step; the memorylessness makes restarting at each step exact
    for (let t = Math.max(step, from); ; ) {
      t += (-Math.log(1 - rnd()) / lambda) * HOUR_MS
      if (t >= Math.min(step + STEP_MS, to)) break
      out.push(Math.round(t))
    }
  }
  return out
}

/** The simulated store's two lines for a seed: line1 at the profile, line2 at half of it (same calls for the same seed). */
export function storeTraffic(seed: number, from: number, to: number): { line1: number[]; line2: number[] } {
  const rnd = prng(seed)
  return { line1: poissonArrivals(rnd, (ms) => storeRate(ms), from, to), line2: poissonArrivals(rnd, (ms) => storeRate(ms, 3, 0.5), from, to) }
}

/**
 * Play calls (per line, sorted) into a silence watch minute by minute up to `to`, the clock moving
 * with them: what the box's minute tick would see, without the rest of the box (fast).
 */
export function playToSilenceWatch(run: { clock: Clock & { advance(ms: number): void }; store: StateStore; watch: SilenceWatch }, calls: Record<string, number[]>, to: number): void {
  const next: Record<string, number> = Object.fromEntries(Object.keys(calls).map((k) => [k, 0]))
  for (let now = run.clock.now() + 60_000; now <= to; now += 60_000) {
    for (const [line, times] of Object.entries(calls)) {
      while (next[line]! < times.length && times[next[line]!]! <= now) run.store.update('line', line, { lastCallAt: times[next[line]!++]! })
    }
    run.clock.advance(now - run.clock.now())
    run.watch.tick(now)
  }
}
