import type { Clock, Timer } from '../core/clock.js'
import { ErrorCode, hasCode } from '../core/errors.js'
import type { AtEngine } from './engine.js'

/** While the ladder runs, an open port is asked `AT` this often: a module that boots without a banner (or whose banner went out before the port was open) is found at once. */
export const PROBE_EVERY_MS = 2000
/** A probe's answer is an `OK` a module that is up gives at once. */
export const PROBE_TIMEOUT_MS = 1000

/**
 * `AT` every PROBE_EVERY_MS while started, on the engine of the moment, when
 * `ready()` allows (not over a poll, nor before the reset's answer). The first
 * answer (OK or ERROR) calls `answered`; silence is what the ladder waits out,
 * so it is neither logged nor counted as a timeout.
 */
export class Prober {
  readonly #clock: Clock
  readonly #deps: { engine: () => AtEngine | null; ready: () => boolean; timeoutMs: number; answered: () => void }
  #timer: Timer | null = null
  #busy = false

  constructor(clock: Clock, deps: { engine: () => AtEngine | null; ready: () => boolean; timeoutMs: number; answered: () => void }) {
    this.#clock = clock
    this.#deps = deps
  }

  start(): void {
    this.#timer ??= this.#clock.setInterval(() => void this.#probe(), PROBE_EVERY_MS)
  }

  stop(): void {
    this.#timer?.cancel()
    this.#timer = null
  }

  async #probe(): Promise<void> {
    const engine = this.#deps.engine()
    if (!engine || this.#busy || !this.#deps.ready()) return
    this.#busy = true
    try {
      await engine.send('AT', { timeoutMs: Math.min(PROBE_TIMEOUT_MS, this.#deps.timeoutMs) })
      if (this.#timer) this.#deps.answered()
    } catch (err) {
      if (hasCode(err, ErrorCode.AT_ERROR) && this.#timer) this.#deps.answered()
    } finally {
      this.#busy = false
    }
  }
}
