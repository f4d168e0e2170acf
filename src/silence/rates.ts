import { HOUR_MS, HOURS_PER_WEEK, hourOfWeek } from './week.js'

/** What is kept on disk per line: calls and hours watched, per hour of the week, both decayed. */
export interface RateData {
  calls: number[]
  hours: number[]
}

/** Old weeks count less: after this many weeks a week's weight has halved. */
const HALF_LIFE_WEEKS = 4
/** Per hour of exposure: the weight that makes HALF_LIFE_WEEKS of history count half. */
const DECAY_PER_HOUR = Math.pow(0.5, 1 / (HALF_LIFE_WEEKS * HOURS_PER_WEEK))
/** Pseudo-hours of the line's own mean rate in each bucket: a bucket seen once is not taken at its word. */
const PRIOR_HOURS = 0.5

/**
 * A line's expected incoming calls per hour, for each hour of the week, learnt
 * from its own history: calls seen and hours watched in each bucket, old weeks
 * fading with a 4-week half-life, and each bucket pulled towards the line's
 * mean a little until it has its own history. Hours when the line was down or
 * unknown are not watched, so an outage does not teach it that the hour is quiet.
 */
export class RateModel {
  readonly #calls: Float64Array
  readonly #hours: Float64Array

  constructor(data?: RateData) {
    this.#calls = Float64Array.from(data?.calls ?? new Array<number>(HOURS_PER_WEEK).fill(0))
    this.#hours = Float64Array.from(data?.hours ?? new Array<number>(HOURS_PER_WEEK).fill(0))
  }

  /** A call arrived at `ms`. */
  call(ms: number, timeZone: string): void {
    this.#calls[hourOfWeek(ms, timeZone)]! += 1
  }

  /** The line was watched (healthy) from `from` to `to`: exposure goes to the hours it covers, everything fades a little. */
  watched(from: number, to: number, timeZone: string): void {
    for (let t = from; t < to; ) {
      const end = Math.min(to, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS)
      const h = (end - t) / HOUR_MS
      this.#hours[hourOfWeek(t, timeZone)]! += h
      const fade = Math.pow(DECAY_PER_HOUR, h)
      for (let i = 0; i < HOURS_PER_WEEK; i++) {
        this.#calls[i]! *= fade
        this.#hours[i]! *= fade
      }
      t = end
    }
  }

  /** Hours watched in total (decayed): how much history there is. */
  get history(): number {
    return this.#hours.reduce((a, b) => a + b, 0)
  }

  /** The line's mean rate over all watched hours (calls per hour). */
  get mean(): number {
    const h = this.history
    return h > 0 ? this.#calls.reduce((a, b) => a + b, 0) / h : 0
  }

  /** Expected calls per hour in hour-of-week `how`. */
  rate(how: number): number {
    return (this.#calls[how]! + PRIOR_HOURS * this.mean) / (this.#hours[how]! + PRIOR_HOURS)
  }

  /** Expected calls between two times (the integral of the rate). */
  expected(from: number, to: number, timeZone: string): number {
    let sum = 0
    for (let t = from; t < to; ) {
      const end = Math.min(to, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS)
      sum += this.rate(hourOfWeek(t, timeZone)) * ((end - t) / HOUR_MS)
      t = end
    }
    return sum
  }

  toJSON(): RateData {
    const r = (a: Float64Array) => Array.from(a, (x) => Math.round(x * 1e4) / 1e4)
    return { calls: r(this.#calls), hours: r(this.#hours) }
  }

  static valid(d: unknown): d is RateData {
    const ok = (a: unknown) => Array.isArray(a) && a.length === HOURS_PER_WEEK && a.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)
    return !!d && typeof d === 'object' && ok((d as RateData).calls) && ok((d as RateData).hours)
  }
}
