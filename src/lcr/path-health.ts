/**
 * What the PBX's attempt reports say about a path. Only path faults count
 * against it (congestion, no channel, a carrier's 503 or 408); busy and no
 * answer are the callee's business. N faults in a row open the path's
 * breaker: it is left out for a while, then one call may try it (half-open);
 * an answer closes it, another fault opens it again for twice as long. Pure.
 */

export type AttemptOutcome = 'answered' | 'busy' | 'no-answer' | 'failed'

/**
 * Causes that mean the path could not carry the call: Asterisk's DIALSTATUS CONGESTION and
 * CHANUNAVAIL, SIP 408/500/502/503/504, Q.850 34 (no circuit), 38 (network out of order),
 * 41 (temporary failure), 42 (congestion), 44 (channel not available), 47 (resource unavailable),
 * and FreeSWITCH's names for them (NORMAL_CIRCUIT_CONGESTION, NORMAL_TEMPORARY_FAILURE,
 * SWITCH_CONGESTION, REQUESTED_CHAN_UNAVAIL, NETWORK_OUT_OF_ORDER, GATEWAY_DOWN, RECOVERY_ON_TIMER_EXPIRE).
 */
const PATH_FAULT =
  /^(congestion|chanunavail|channel[ _-]?unavailable|no[ _-]?(free[ _-]?)?channel|network[ _-]?out[ _-]?of[ _-]?order|(normal[ _-]?)?temporary[ _-]?failure|normal[ _-]?circuit[ _-]?congestion|switch[ _-]?congestion|requested[ _-]?chan[ _-]?unavail|gateway[ _-]?down|recovery[ _-]?on[ _-]?timer[ _-]?expire|(sip[ _-]?)?(408|500|502|503|504)|(q850[ _-]?)?(34|38|41|42|44|47))$/i

export function isPathFault(outcome: AttemptOutcome, cause: string | null | undefined): boolean {
  return outcome === 'failed' && !!cause && PATH_FAULT.test(cause.trim())
}

export interface BreakerState {
  state: 'closed' | 'open' | 'half-open'
  faultsInRow: number
  /** While open: when one call may try it again. */
  retryAt: number | null
}

/** What a breaker must not forget at a restart (a half-open trial in progress is forgotten: the next call is the trial). */
export interface BreakerMemory {
  faults: number
  openUntil: number | null
  opens: number
}

const MAX_OPEN_DOUBLINGS = 4
/** A trial call offered while half-open that is never reported (the PBX took another path, or crashed) stops blocking after this. */
const TRIAL_MS = 120_000

export class PathBreaker {
  #faults = 0
  #openUntil: number | null = null
  #opens = 0
  /** When the half-open trial was offered (null: none waiting for its report). */
  #trialAt: number | null = null

  constructor(
    private readonly faultsToOpen: number,
    private readonly openMs: number,
  ) {}

  memory(): BreakerMemory {
    return { faults: this.#faults, openUntil: this.#openUntil, opens: this.#opens }
  }

  recall(m: BreakerMemory): void {
    const count = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.floor(x) : 0)
    this.#faults = count(m.faults)
    this.#openUntil = typeof m.openUntil === 'number' && Number.isFinite(m.openUntil) ? m.openUntil : null
    this.#opens = Math.min(count(m.opens), MAX_OPEN_DOUBLINGS + 1)
  }

  /** Whether a call may take the path now; in half-open, only one until it reports. */
  allows(now: number): boolean {
    if (this.#openUntil === null) return true
    return now >= this.#openUntil && (this.#trialAt === null || now - this.#trialAt >= TRIAL_MS)
  }

  /** The route answer offered the path to a call while half-open: the next caller waits for its report. */
  offered(now: number): void {
    if (this.#openUntil !== null && now >= this.#openUntil && this.allows(now)) this.#trialAt = now
  }

  state(now: number): BreakerState {
    if (this.#openUntil === null) return { state: 'closed', faultsInRow: this.#faults, retryAt: null }
    return { state: now >= this.#openUntil ? 'half-open' : 'open', faultsInRow: this.#faults, retryAt: this.#openUntil }
  }

  /**
   * An attempt's report. `worked`: the path carried the call to the callee (answered or busy).
   * While open, only a call that worked closes the breaker; another report (cancelled, a late one
   * from before) proves nothing and changes nothing but the trial's wait.
   */
  record(fault: boolean, now: number, worked: boolean): void {
    this.#trialAt = null
    if (worked) {
      this.#faults = 0
      this.#openUntil = null
      this.#opens = 0
      return
    }
    if (!fault) {
      if (this.#openUntil === null) this.#faults = 0
      return
    }
    this.#faults++
    // calls failing together while it is open count, but only the trial's failure opens it again, for longer
    if (this.#openUntil !== null ? now >= this.#openUntil : this.#faults >= this.faultsToOpen) {
      this.#openUntil = now + this.openMs * 2 ** Math.min(this.#opens, MAX_OPEN_DOUBLINGS)
      this.#opens++
    }
  }
}

/** Answer-seizure ratio over the path's last N attempts (its faults included: a seizure that failed), and how often it was used. */
export class PathQuality {
  readonly #recent: boolean[] = []
  uses = 0

  constructor(private readonly window: number) {}

  record(outcome: AttemptOutcome): void {
    this.uses++
    this.#recent.push(outcome === 'answered')
    if (this.#recent.length > this.window) this.#recent.shift()
  }

  /** null until 5 attempts are known. */
  get asr(): number | null {
    if (this.#recent.length < 5) return null
    return Math.round((1000 * this.#recent.filter(Boolean).length) / this.#recent.length) / 1000
  }
}
