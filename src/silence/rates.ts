import { HOURS_PER_WEEK, hourOfWeek, localHours } from './week.js'

/** What is kept on disk per line: calls and hours watched, per hour of the week, both decayed. */
export interface RateData {
  calls: number[]
  hours: number[]
}

/** Old weeks count less: after this many weeks a week's weight has halved. */
const HALF_LIFE_WEEKS = 4
/** Per hour of exposure: the weight that makes HALF_LIFE_WEEKS of history count half. */
const DECAY_PER_HOUR = Math.pow(0.5, 1 / (HALF_LIFE_WEEKS * HOURS_PER_WEEK))
/**
 * Pseudo-hours of the same hour on the other days in each bucket: a bucket is seen once a week, so
 * alone it is noisy; the same hour of the other days (a store's Tuesday noon is much like its
 * Wednesday noon) steadies it without hiding a real difference (weekends) once weeks have been seen.
 */
const PRIOR_HOURS = 2

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
    for (const { how, hours } of localHours(from, to, timeZone)) {
      this.#hours[how]! += hours
      const fade = Math.pow(DECAY_PER_HOUR, hours)
      for (let i = 0; i < HOURS_PER_WEEK; i++) {
        this.#calls[i]! *= fade
        this.#hours[i]! *= fade
      }
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

  /**
   * The same hour on the days of the same kind (Monday to Friday, or Saturday and Sunday): the prior
   * each bucket leans on. Not across kinds: a store closed on Saturdays must not expect its weekday calls then.
   */
  #hourOfDayRate(how: number): number {
    const day = Math.floor(how / 24)
    const days = day < 5 ? [0, 1, 2, 3, 4] : [5, 6]
    let calls = 0
    let hours = 0
    for (const d of days) {
      calls += this.#calls[d * 24 + (how % 24)]!
      hours += this.#hours[d * 24 + (how % 24)]!
    }
    return hours > 0 ? calls / hours : this.mean
  }

  /** The rate's posterior in hour-of-week `how` (Gamma: shape a, rate b per hour): calls and hours seen plus the prior's. */
  #posterior(how: number): { a: number; b: number } {
    return { a: this.#calls[how]! + PRIOR_HOURS * this.#hourOfDayRate(how), b: this.#hours[how]! + PRIOR_HOURS }
  }

  /** Expected calls per hour in hour-of-week `how`. */
  rate(how: number): number {
    const { a, b } = this.#posterior(how)
    return a / b
  }

  /**
   * ln P(no call from `from` to `to`) on a healthy line whose rate is `factor` times its usual:
   * the Gamma-Poisson predictive, Σ a·ln(b / (b + factor·τ)) over the hours crossed. Unlike
   * exp(-expected) it allows for the rate being only estimated: a bucket with little history
   * gives weaker evidence, a well-known busy hour nearly the Poisson figure.
   */
  logSilence(from: number, to: number, timeZone: string, factor = 1): number {
    let sum = 0
    for (const { how, hours } of localHours(from, to, timeZone)) {
      const { a, b } = this.#posterior(how)
      sum += a * Math.log(b / (b + factor * hours))
    }
    return sum
  }

  /** Expected calls between two times (the integral of the rate). */
  expected(from: number, to: number, timeZone: string): number {
    let sum = 0
    for (const { how, hours } of localHours(from, to, timeZone)) sum += this.rate(how) * hours
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
