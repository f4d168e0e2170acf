import { Backoff } from '../core/backoff.js'
import type { Clock, Timer } from '../core/clock.js'

export type RecoveryStep = 'soft-reset' | 'power-key' | 'power-cut' | 'rest'

export const STEP_TEXT: Record<RecoveryStep, string> = {
  'soft-reset': 'soft reset (AT+CFUN=1,1)',
  'power-key': 'power key pulse',
  'power-cut': 'power cut and restored',
  rest: 'resting before the next round',
}

/** A port lost this many times in this window is a module to restart, not only to reopen. */
const FLAPS_TO_RECOVER = 5
const FLAP_WINDOW_MS = 600_000

export interface RecoveryActions {
  /**
   * Ask the module to restart itself (it may be too hung to hear it). May resolve with whether the module
   * answered the command: a module that says OK (or ERROR) heard it and is restarting.
   */
  softReset(): Promise<boolean> | void
  /** Whether the port is open, so the module can be asked at all. */
  portOpen(): boolean
  /** Pulse the module's power key through GPIO; null when none is wired. */
  powerKey: (() => void) | null
  /** Cut the module's supply through GPIO and restore it; null when none is wired. */
  powerCut: (() => void) | null
  /** The ladder moved: a step (with the round, from 1) or null when recovered. */
  report(step: RecoveryStep | null, round: number): void
}

/**
 * The recovery ladder for a modem that stopped answering (or whose port is
 * gone): soft reset, then the power key, then a power cut, each followed by a
 * wait for the module to boot; then a rest that doubles (5 min to 1 h) before
 * the next round, so a dead module is retried for ever without hammering it.
 *
 * The power key toggles: a pulse switches a running module off (a hung one
 * too) and an off one on. So the key is pressed twice, the second time only
 * when the first did not bring the module back; and once more after a power
 * cut, for modules (SIM800) that stay off when power returns. A step that
 * ends in a boot ends the ladder through end(), so no press switches a module
 * that has just come back off again.
 *
 * The waits react to the module (unless fixedWaits, kept for the bench): any
 * answer or boot banner ends the ladder (the driver calls end()); a sign of
 * life (bytes on the line, the port back, the reset answered) gives the
 * module the whole boot wait; a module that goes off after a press (its
 * power-down line, its USB port gone) gets the next press once the key is
 * free; complete silence for quietMs means the step did nothing, so the next
 * step comes then. bootWaitMs stays the upper bound of every wait. Only the
 * first round is quick: a round that ended without the module back is
 * followed by rounds where silence, too, gets the whole boot wait (a module
 * slower to say anything than quietMs is then not switched off mid-boot).
 *
 * Only started when the modem does not answer, so a modem carrying a call is
 * never reset while it answers. Time comes from the injected clock.
 */
export class RecoveryLadder {
  readonly #clock: Clock
  readonly #actions: RecoveryActions
  readonly #bootWaitMs: number
  readonly #cutOffMs: number
  readonly #keyReleaseMs: number
  readonly #quietMs: number
  readonly #fixedWaits: boolean
  readonly #rest: Backoff
  #timer: Timer | null = null
  /** When the current step was taken, and the longest its wait may last. */
  #stepAt = 0
  #stepBoundMs = 0
  /** The module showed a sign of life since the current step: it gets the whole wait. */
  #alive = false
  /** Whether the pending timer is a step's wait (not a rest, nor the key's release after a power-down). */
  #waiting = false
  /** The module went off after the last press: the next press switches it on. */
  #wentOff = false
  /** Started when the port went: if it stays away two boot waits, the hardware steps begin. */
  #lostTooLong: Timer | null = null
  /** When the port was lost lately. */
  #losses: number[] = []
  #round = 0
  #index = 0
  #active = false

  /**
   * cutOffMs: how long a power cut keeps the supply off; the boot wait starts when it is back.
   * keyReleaseMs: from a press to when the key may be pressed again (held, released, the module off).
   * quietMs: after a step, silence this long (no byte, no port change) means the step did nothing (at most bootWaitMs).
   * fixedWaits: every step waits the whole bootWaitMs whatever the module does (the old ladder; for the bench).
   */
  constructor(
    clock: Clock,
    actions: RecoveryActions,
    opts: { bootWaitMs: number; quietMs?: number; fixedWaits?: boolean; cutOffMs?: number; keyReleaseMs?: number; restMinMs?: number; restMaxMs?: number },
  ) {
    this.#clock = clock
    this.#actions = actions
    this.#bootWaitMs = opts.bootWaitMs
    this.#cutOffMs = opts.cutOffMs ?? 0
    this.#keyReleaseMs = opts.keyReleaseMs ?? 0
    this.#quietMs = Math.min(opts.quietMs ?? opts.bootWaitMs, opts.bootWaitMs)
    this.#fixedWaits = opts.fixedWaits ?? false
    this.#rest = new Backoff(opts.restMinMs ?? 300_000, opts.restMaxMs ?? 3_600_000)
  }

  get active(): boolean {
    return this.#active
  }

  /** The steps of one round, given what is wired. */
  get steps(): RecoveryStep[] {
    const { powerKey, powerCut } = this.#actions
    return [
      'soft-reset',
      ...(powerKey ? (['power-key', 'power-key'] as const) : []),
      ...(powerCut ? (['power-cut'] as const) : []),
      ...(powerKey && powerCut ? (['power-key'] as const) : []),
    ]
  }

  /** Whether anything beyond a soft reset is wired: without it a lost port can only be reopened. */
  get hasHardwareSteps(): boolean {
    return this.#actions.powerKey !== null || this.#actions.powerCut !== null
  }

  /** The modem stopped answering: start the ladder (once). */
  begin(): void {
    if (this.#active) return
    this.#lostTooLong?.cancel()
    this.#lostTooLong = null
    this.#active = true
    this.#wentOff = false
    this.#round = 0
    this.#rest.reset()
    this.#runRound()
  }

  /** The modem answers again. */
  end(): void {
    if (!this.#active) return
    this.stop()
    this.#actions.report(null, this.#round)
  }

  /**
   * The port went away. A running ladder goes on (a USB module a press switched off takes its port
   * with it). Otherwise, when a key or a supply switch is wired, the ladder starts if the port stays
   * away two boot waits (a re-enumerating module is back in seconds and is only reopened) or at its
   * fifth loss in ten minutes (a port that keeps dropping is a module in trouble, not a cable).
   */
  portLost(): void {
    const now = this.#clock.now()
    this.#losses = [...this.#losses.filter((t) => now - t < FLAP_WINDOW_MS), now]
    if (this.#active && !this.#fixedWaits && this.#waiting) {
      // after a press the module took its USB port with it: it is off, press again once the key is free;
      // after the soft reset it is a module restarting (a USB device re-enumerates); a cut takes it anyway
      const step = this.steps[this.#index]
      if (step === 'power-key') return this.poweredDown()
      if (step === 'soft-reset') return this.alive()
      return
    }
    if (this.#active || !this.hasHardwareSteps) return
    if (this.#losses.length >= FLAPS_TO_RECOVER) return this.begin()
    this.#lostTooLong?.cancel()
    this.#lostTooLong = this.#clock.setTimeout(() => this.begin(), 2 * this.#bootWaitMs)
  }

  /** The port is back: in the middle of recovery that is a module booting, so no step while it starts. */
  portBack(): void {
    this.#lostTooLong?.cancel()
    this.#lostTooLong = null
    this.#hold()
  }

  /** Give the module a whole boot wait before the next step. */
  #hold(): void {
    if (!this.#active || !this.#waiting) return
    this.#alive = true
    this.#waitUntil(this.#clock.now() + this.#bootWaitMs)
  }

  /**
   * A sign of life while a step's wait runs (bytes on the line, a banner that is not yet an answer, the
   * reset answered, a USB module restarting): the module is starting, so it gets the whole wait of the step.
   */
  alive(): void {
    if (!this.#active || !this.#waiting || this.#alive || this.#fixedWaits) return
    this.#alive = true
    this.#waitUntil(this.#stepAt + this.#stepBoundMs)
  }

  #waitUntil(at: number): void {
    this.#timer?.cancel()
    this.#waiting = true
    this.#timer = this.#clock.setTimeout(() => this.#step(this.#index + 1), Math.max(0, at - this.#clock.now()))
  }

  /**
   * The module said it is powering down (a key press switched it off): press again once the key is
   * released and the module is off, not after the whole boot wait. A press while the key is still
   * held would be no press at all.
   */
  poweredDown(): void {
    if (!this.#active || this.steps[this.#index] !== 'power-key') return
    this.#timer?.cancel()
    this.#waiting = false
    this.#wentOff = true
    this.#timer = this.#clock.setTimeout(() => this.#step(this.#index + 1), this.#keyReleaseMs)
  }

  stop(): void {
    this.#active = false
    this.#waiting = false
    this.#timer?.cancel()
    this.#timer = null
    this.#lostTooLong?.cancel()
    this.#lostTooLong = null
  }

  #runRound(): void {
    this.#round++
    this.#step(0)
  }

  #step(i: number): void {
    if (!this.#active) return
    this.#index = i
    this.#waiting = false
    const step = this.steps[i]
    if (!step) {
      this.#actions.report('rest', this.#round)
      this.#timer = this.#clock.setTimeout(() => this.#runRound(), this.#rest.next())
      return
    }
    // without a port there is nobody to ask: straight to the hardware
    if (step === 'soft-reset' && !this.#actions.portOpen()) return this.#step(i + 1)
    this.#actions.report(step, this.#round)
    // a press that switches the module on (it went off after the last press, its USB port is gone, or it follows a cut)
    // is waited out whole: a module may say nothing until it has booted, and a quick next step would switch it off again
    const switchesOn = step === 'power-key' && (this.#wentOff || !this.#actions.portOpen() || this.steps[i - 1] === 'power-cut')
    this.#wentOff = false
    const extra = step === 'power-cut' ? this.#cutOffMs : 0
    this.#stepAt = this.#clock.now()
    this.#stepBoundMs = this.#bootWaitMs + extra
    this.#alive = false
    const quick = !this.#fixedWaits && this.#round === 1 && !switchesOn
    this.#waitUntil(this.#stepAt + (quick ? this.#quietMs + extra : this.#stepBoundMs))
    if (step === 'soft-reset') {
      const answered = this.#actions.softReset()
      // it said OK: it heard the reset and is restarting (if this is still the wait after that reset)
      const at = this.#stepAt
      if (answered) void answered.then((yes) => yes && this.#stepAt === at && this.#index === i && this.alive())
    } else if (step === 'power-key') this.#actions.powerKey?.()
    else if (step === 'power-cut') this.#actions.powerCut?.()
  }
}
