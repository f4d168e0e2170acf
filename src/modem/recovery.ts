import { Backoff } from '../core/backoff.js'
import type { Clock, Timer } from '../core/clock.js'

export type RecoveryStep = 'soft-reset' | 'power-key' | 'rest'

export const STEP_TEXT: Record<RecoveryStep, string> = {
  'soft-reset': 'soft reset (AT+CFUN=1,1)',
  'power-key': 'power key pulse',
  rest: 'resting before the next round',
}

export interface RecoveryActions {
  /** Ask the module to restart itself (it may be too hung to hear it). */
  softReset(): void
  /** Pulse the module's power key through GPIO; null when none is wired. */
  powerKey: (() => void) | null
  /** The ladder moved: a step (with the round, from 1) or null when recovered. */
  report(step: RecoveryStep | null, round: number): void
}

/**
 * The recovery ladder for a modem that stopped answering: soft reset, then
 * the power key (when wired), each followed by a wait for the module to boot;
 * then a rest that doubles (5 min to 1 h) before the next round, so a dead
 * module is retried for ever without hammering it. Only started when the
 * modem does not answer, so a modem carrying a call is never reset while it
 * answers. Time comes from the injected clock.
 */
export class RecoveryLadder {
  readonly #clock: Clock
  readonly #actions: RecoveryActions
  readonly #bootWaitMs: number
  readonly #rest: Backoff
  #timer: Timer | null = null
  #round = 0
  #active = false

  constructor(clock: Clock, actions: RecoveryActions, opts: { bootWaitMs: number; restMinMs?: number; restMaxMs?: number }) {
    this.#clock = clock
    this.#actions = actions
    this.#bootWaitMs = opts.bootWaitMs
    this.#rest = new Backoff(opts.restMinMs ?? 300_000, opts.restMaxMs ?? 3_600_000)
  }

  get active(): boolean {
    return this.#active
  }

  get steps(): RecoveryStep[] {
    return this.#actions.powerKey ? ['soft-reset', 'power-key'] : ['soft-reset']
  }

  /** The modem stopped answering: start the ladder (once). */
  begin(): void {
    if (this.#active) return
    this.#active = true
    this.#round = 0
    this.#rest.reset()
    this.#runRound()
  }

  /** The modem answers again. */
  end(): void {
    if (!this.#active) return
    this.#active = false
    this.#timer?.cancel()
    this.#timer = null
    this.#actions.report(null, this.#round)
  }

  stop(): void {
    this.#active = false
    this.#timer?.cancel()
    this.#timer = null
  }

  #runRound(): void {
    this.#round++
    this.#step(0)
  }

  #step(i: number): void {
    if (!this.#active) return
    const step = this.steps[i]
    if (!step) {
      this.#actions.report('rest', this.#round)
      this.#timer = this.#clock.setTimeout(() => this.#runRound(), this.#rest.next())
      return
    }
    this.#actions.report(step, this.#round)
    if (step === 'soft-reset') this.#actions.softReset()
    else if (step === 'power-key') this.#actions.powerKey?.()
    this.#timer = this.#clock.setTimeout(() => this.#step(i + 1), this.#bootWaitMs)
  }
}
