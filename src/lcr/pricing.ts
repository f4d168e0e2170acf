/**
 * What a call costs on a deck row: the carrier's increments (60/60, 30/6,
 * 1/1…), connection fee and minimum charge. Pure.
 */
import type { RateRow } from './deck.js'

/**
 * The seconds charged for a call of `seconds`: nothing for an unanswered
 * call (0 s); else the first increment whole, then every next increment
 * begun. With first 0 (e.g. "0/60") billing starts in next-increment steps.
 */
export function billedSeconds(seconds: number, first: number, next: number): number {
  if (!Number.isFinite(seconds)) throw new RangeError(`call length ${seconds} is not a number of seconds`)
  if (!(next >= 1) || !(first >= 0)) throw new RangeError(`increments ${first}/${next}: first must be >= 0 and next >= 1`)
  if (seconds <= 0) return 0
  return seconds <= first ? first : first + Math.ceil((seconds - first) / next) * next
}

/** Round to 6 decimals: sums of rates such as 0.1 + 0.2 otherwise show float noise. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6

/**
 * The cost of a call of `seconds` on `row`: connection fee plus the rate for
 * the billed seconds, at least the minimum charge. An unanswered call (0 s)
 * costs nothing, connection fee included.
 */
export function callCost(row: Pick<RateRow, 'ratePerMinute' | 'connectionFee' | 'firstIncrement' | 'nextIncrement' | 'minimumCharge'>, seconds: number): number {
  const billed = billedSeconds(seconds, row.firstIncrement, row.nextIncrement)
  if (billed === 0) return 0
  return round6(Math.max(row.minimumCharge, row.connectionFee + (row.ratePerMinute * billed) / 60))
}
