/**
 * When the silence watch places a test call itself, and the daily budget it
 * spends. Pure.
 *
 * Two reasons, the cheaper first:
 * - `suspect`: the silence is already unlikely on a healthy line (pValue below
 *   SUSPECT_P, after the other lines' evidence): at a busy hour that is a few
 *   minutes. A test settles it at once, where the statistics alone must wait
 *   until the silence is improbable below α per hour (11 min at 60 calls an
 *   hour) to keep false alarms rare. A passing test costs nothing but a ring;
 *   a false alarm needs a test that fails on a working line.
 * - `cover`: the model cannot see a dead line within `withinMinutes` (evenings,
 *   nights, quiet lines, a line without history): once the last proof of life
 *   (a call, a passing test) is so old that the next tick plus the ring would
 *   be too late, test.
 */

/** A silence a healthy line has less than 1 % chance of: worth a ring (at 60 calls an hour, 4.6 min). */
export const SUSPECT_P = 0.01
/** After a test with no verdict (no modem free, the line busy) try again this much later. */
export const RETRY_MINUTES = 5
/** The watch ticks once a minute: a decision waits up to that long. */
const TICK_MINUTES = 1

/** What the watch needs of the box's test caller (src/actions/test-call.ts). */
export interface SilenceTester {
  /** The line can be tested (a number to dial, a ring the box can see). */
  can(line: string): boolean
  /** Place a test call now; resolves once it is over (its verdict, when there is one, is the line's lastTestCall). */
  run(line: string): Promise<unknown>
  /** The line a test call is out for now, whoever placed it, or null: its ring is the box's own, not a customer's call. */
  testing(): string | null
  /** How long a test waits for the ring (testCalls.ringSeconds). */
  ringSeconds: number
}

export interface ProbeInput {
  /** Minutes since the last proof of life (the silence). */
  minutes: number
  /** The silence's pValue (1 while the line has no history). */
  pValue: number
  withinMinutes: number
  ringSeconds: number
}

/** Why a line should be tested now, or null. */
export function probeReason(i: ProbeInput): 'suspect' | 'cover' | null {
  if (i.pValue < SUSPECT_P) return 'suspect'
  // tested at the next tick instead, a dead line's ring would time out after the deadline
  if (i.minutes + TICK_MINUTES + i.ringSeconds / 60 > i.withinMinutes) return 'cover'
  return null
}

/** Test calls placed in the last 24 hours: no 24 hours ever hold more than `perDay` (so no calendar day does either). */
export class TestBudget {
  #times: number[]

  constructor(
    readonly perDay: number,
    saved: unknown = [],
  ) {
    this.#times = Array.isArray(saved) ? saved.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : []
  }

  used(now: number): number {
    this.#times = this.#times.filter((t) => t > now - 86_400_000 && t <= now)
    return this.#times.length
  }

  /** Spend one test call now, when the budget allows. */
  take(now: number): boolean {
    if (this.used(now) >= this.perDay) return false
    this.#times.push(now)
    return true
  }

  toJSON(): number[] {
    return [...this.#times]
  }
}
