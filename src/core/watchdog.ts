import type { Clock, Timer } from './clock.js'
import type { Logger } from './logger.js'
import type { SystemdNotifier } from './sd-notify.js'

/**
 * Pets systemd's watchdog at half its interval, but only while the box is
 * healthy: the event loop turns (this timer fires) and `problem()` finds
 * nothing stuck. A hung driver thus gets the service restarted by systemd
 * (WatchdogSec=), instead of a box that runs but watches nothing.
 */
export class Watchdog {
  readonly #notifier: Pick<SystemdNotifier, 'watchdog' | 'status'>
  readonly #clock: Clock
  readonly #log: Logger
  readonly #problem: () => string | null
  readonly #everyMs: number
  #timer: Timer | null = null
  #withheld: string | null = null
  /** Pets sent, for tests. */
  pets = 0

  constructor(deps: { notifier: Pick<SystemdNotifier, 'watchdog' | 'status'>; intervalMs: number; clock: Clock; log: Logger; problem: () => string | null }) {
    this.#notifier = deps.notifier
    this.#clock = deps.clock
    this.#log = deps.log
    this.#problem = deps.problem
    this.#everyMs = Math.max(500, deps.intervalMs / 2)
  }

  start(): void {
    this.#check()
    this.#timer = this.#clock.setInterval(() => this.#check(), this.#everyMs)
  }

  stop(): void {
    this.#timer?.cancel()
    this.#timer = null
  }

  #check(): void {
    const problem = this.#problem()
    if (problem) {
      if (this.#withheld !== problem) {
        this.#log.error({ problem }, 'not petting the watchdog: systemd will restart the service')
        void this.#notifier.status(`unhealthy: ${problem}`)
      }
      this.#withheld = problem
      return
    }
    if (this.#withheld) {
      this.#log.info('healthy again: petting the watchdog')
      void this.#notifier.status('running')
    }
    this.#withheld = null
    this.pets++
    void this.#notifier.watchdog()
  }
}
