import type { Clock, Timer } from '../core/clock.js'

/** A module firmware's timers: all of them die together when it stops (power down, reboot). */
export class FirmwareTimers {
  readonly #clock: Clock
  readonly #live = new Set<Timer>()

  constructor(clock: Clock) {
    this.#clock = clock
  }

  later(ms: number, fn: () => void): Timer {
    const handle = this.#track(this.#clock.setTimeout(() => (this.#live.delete(handle), fn()), ms))
    return handle
  }

  every(ms: number, fn: () => void): Timer {
    return this.#track(this.#clock.setInterval(fn, ms))
  }

  cancelAll(): void {
    for (const t of [...this.#live]) t.cancel()
  }

  #track(inner: Timer): Timer {
    const handle: Timer = { cancel: () => (inner.cancel(), this.#live.delete(handle)) }
    this.#live.add(handle)
    return handle
  }
}

/**
 * The path a module's answers take: at once, or `delayMs()` later and never
 * before an earlier answer (a slow module is slow, not out of order).
 */
export class ReplyPath {
  readonly #clock: Clock
  readonly #timers: FirmwareTimers
  readonly #delayMs: () => number
  readonly #out: (data: string) => void
  #queue: { due: number; data: string }[] = []

  constructor(clock: Clock, timers: FirmwareTimers, delayMs: () => number, out: (data: string) => void) {
    this.#clock = clock
    this.#timers = timers
    this.#delayMs = delayMs
    this.#out = out
  }

  send(data: string): void {
    const last = this.#queue.at(-1)
    if (!last && this.#delayMs() <= 0) return this.#out(data)
    this.#queue.push({ due: Math.max(this.#clock.now() + this.#delayMs(), last?.due ?? 0), data })
    if (!last) this.#drainLater()
  }

  /** Forget what is held back (its timer goes with FirmwareTimers.cancelAll). */
  clear(): void {
    this.#queue = []
  }

  #drainLater(): void {
    const head = this.#queue[0]
    if (!head) return
    this.#timers.later(head.due - this.#clock.now(), () => {
      while (this.#queue[0] && this.#queue[0].due <= this.#clock.now()) this.#out(this.#queue.shift()!.data)
      this.#drainLater()
    })
  }
}
