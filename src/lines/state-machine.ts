import type { PartState } from '../core/state.js'

/** How sure the box must be before it changes a line's state (lines[].hysteresis). */
export interface LineHysteresis {
  /** Reports in a row that the line is worse before it is called so. */
  downAfter: number
  /** …and for at least this long. */
  downAfterSeconds: number
  /** Reports in a row that the line is better before it is called so. */
  upAfter: number
  /** How long a line that was down or degraded must stay better before it is called so. */
  holdDownSeconds: number
}

/** What a line's machine must not forget at a restart: a line that was down is not up at once after a reboot. */
export interface LineMemory {
  /** The last state other than unknown, and since when. */
  lastKnown: PartState
  since: number
  upAt: number | null
  flaps: number
}

export interface Verdict {
  state: PartState
  reason: string
}

/** A change waiting for its hysteresis: what the line will be, and when at the earliest (null: when enough reports agree). */
export interface LineTransition {
  to: PartState
  reason: string
  since: number
  at: number | null
}

const RANK: Record<PartState, number> = { up: 0, unknown: 0, degraded: 2, down: 3 }
const bad = (s: PartState) => s === 'down' || s === 'degraded'
/** A line that goes bad again this soon after coming back is flapping: its next hold-down doubles. */
const FLAP_WINDOW_HOLDDOWNS = 5
const MAX_FLAP_DOUBLINGS = 4

/**
 * A line's published state from the raw verdicts of its sources, with
 * hysteresis: worse only after `downAfter` reports over `downAfterSeconds`
 * (or at once on a firm report, such as the line voltage gone); better again
 * only after `upAfter` reports and a hold-down of good time, doubled for a
 * line that flaps. `unknown` (no source knows) is published at once: the box
 * does not pretend to know. The first verdict at start is taken at once, and
 * so is a return to the state the line had before `unknown`; any other change
 * after `unknown` has its hysteresis (up for a line last seen bad waits out
 * its hold-down).
 * Pure: reports and time in, state out; the caller keeps the timer for `deadline`.
 */
export class LineStateMachine {
  readonly #h: LineHysteresis
  #state: PartState = 'unknown'
  #reason: string
  #raw: Verdict & { firm: boolean }
  #pending: { to: PartState; since: number; count: number } | null = null
  #lastKnown: PartState = 'unknown'
  #upAt: number | null = null
  #flaps = 0
  #knownSince = 0

  constructor(h: LineHysteresis, reason: string) {
    this.#h = h
    this.#reason = reason
    this.#raw = { state: 'unknown', reason, firm: false }
  }

  get state(): PartState {
    return this.#state
  }

  get reason(): string {
    return this.#reason
  }

  memory(): LineMemory {
    return { lastKnown: this.#lastKnown, since: this.#knownSince, upAt: this.#upAt, flaps: this.#flaps }
  }

  /**
   * Before the restart the line was `lastKnown`: a first report that agrees is taken at once, any
   * other has its hysteresis (a line that was down waits out its hold-down). The flapping count
   * holds while its window runs.
   */
  recall(m: LineMemory, now: number): void {
    if (!(m.lastKnown in RANK) || m.lastKnown === 'unknown') return
    this.#lastKnown = m.lastKnown
    this.#knownSince = m.since
    this.#upAt = m.upAt
    const window = FLAP_WINDOW_HOLDDOWNS * this.#h.holdDownSeconds * 1000
    this.#flaps = m.upAt !== null && now - m.upAt < window ? Math.min(Math.max(0, Math.floor(m.flaps)), MAX_FLAP_DOUBLINGS) : 0
  }

  /** The hold-down a recovery waits for now (longer while the line flaps). */
  get holdDownMs(): number {
    return this.#h.holdDownSeconds * 1000 * 2 ** this.#flaps
  }

  get transition(): LineTransition | null {
    const p = this.#pending
    if (!p) return null
    const wait = this.#waitMs(p.to)
    return { to: p.to, reason: this.#raw.reason, since: p.since, at: p.count >= this.#needed(p.to) ? p.since + wait : null }
  }

  /** When `tick` may change the state (a hold-down or a down time running out); null when only a report can. */
  get deadline(): number | null {
    return this.transition?.at ?? null
  }

  /** One report of the line's raw state (the worst its sources say). Returns whether the published state or reason changed. */
  observe(v: Verdict & { firm?: boolean }, now: number): boolean {
    this.#raw = { ...v, firm: v.firm ?? false }
    const p = this.#pending
    if (p && this.#direction(v.state) === this.#direction(p.to)) {
      p.count++
      p.to = v.state
    } else {
      this.#pending = null
    }
    return this.#evaluate(now)
  }

  /** Time passes: a pending change whose time has come takes effect. */
  tick(now: number): boolean {
    return this.#evaluate(now)
  }

  /** Worse or better than the line is (or, while `unknown`, than it was last known to be). */
  #direction(s: PartState): 'worse' | 'better' | 'same' {
    if (s === this.#state) return 'same'
    const from = this.#state === 'unknown' ? this.#lastKnown : this.#state
    return RANK[s] > RANK[from] ? 'worse' : 'better'
  }

  #needed(to: PartState): number {
    return this.#direction(to) === 'worse' ? this.#h.downAfter : this.#h.upAfter
  }

  #waitMs(to: PartState): number {
    return this.#direction(to) === 'worse' ? this.#h.downAfterSeconds * 1000 : this.holdDownMs
  }

  #evaluate(now: number): boolean {
    const raw = this.#raw
    const before = `${this.#state} ${this.#reason}`
    if (raw.state === this.#state) {
      this.#pending = null
      this.#reason = raw.reason
    } else if (raw.state === 'unknown' || this.#immediate(raw)) {
      this.#set(raw, now)
    } else {
      this.#pending ??= { to: raw.state, since: now, count: 1 }
      const p = this.#pending
      if (p.count >= this.#needed(p.to) && now - p.since >= this.#waitMs(p.to)) this.#set(raw, now)
    }
    return `${this.#state} ${this.#reason}` !== before
  }

  /**
   * Changes that need no confirmation: a firm report of worse; the first word at start; and, after
   * `unknown`, the state the line had before it (any other change after `unknown` has its hysteresis).
   */
  #immediate(raw: Verdict & { firm: boolean }): boolean {
    if (raw.firm && RANK[raw.state] > RANK[this.#state]) return true
    return this.#state === 'unknown' && (this.#lastKnown === 'unknown' || raw.state === this.#lastKnown)
  }

  #set(v: Verdict, now: number): void {
    if (bad(v.state) && !bad(this.#lastKnown)) {
      // gone bad again soon after coming back: the next recovery must prove itself for longer
      const flapped = this.#upAt !== null && now - this.#upAt < FLAP_WINDOW_HOLDDOWNS * this.#h.holdDownSeconds * 1000
      this.#flaps = flapped ? Math.min(this.#flaps + 1, MAX_FLAP_DOUBLINGS) : 0
    }
    if (v.state === 'up' && bad(this.#lastKnown)) this.#upAt = now
    this.#state = v.state
    this.#reason = v.reason
    this.#pending = null
    if (v.state !== 'unknown') {
      if (v.state !== this.#lastKnown) this.#knownSince = now
      this.#lastKnown = v.state
    }
  }
}
