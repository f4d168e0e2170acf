/**
 * Time goes through a Clock so that monitors, drivers and the simulator can be
 * driven by a FakeClock in tests: a 30-minute silence is tested in microseconds.
 */
export interface Timer {
  cancel(): void
}

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): Timer
  setInterval(fn: () => void, ms: number): Timer
  /** Milliseconds from an arbitrary start that never jump (the wall clock does, when NTP sets it). */
  monotonic?(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms)
    return { cancel: () => clearTimeout(h) }
  },
  setInterval(fn, ms) {
    const h = setInterval(fn, ms)
    return { cancel: () => clearInterval(h) }
  },
}

interface Scheduled {
  id: number
  due: number
  every: number | null
  fn: () => void
}

/** A clock that only moves when told to. Timers fire in due order during advance(). */
export class FakeClock implements Clock {
  #now: number
  #mono = 0
  #seq = 0
  #timers = new Map<number, Scheduled>()

  constructor(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  monotonic(): number {
    return this.#mono
  }

  /**
   * The wall clock is set (NTP's first sync on a box without a battery clock): it moves by `ms` at
   * once while monotonic time does not, and timers keep their delays (Node's run on monotonic time).
   */
  jump(ms: number): void {
    this.#now += ms
    for (const t of this.#timers.values()) t.due += ms
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, null)
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, Math.max(1, ms))
  }

  get pending(): number {
    return this.#timers.size
  }

  /** When the next timer falls due; null with none (a simulation steps from one to the next). */
  get nextDue(): number | null {
    let due: number | null = null
    for (const t of this.#timers.values()) if (due === null || t.due < due) due = t.due
    return due
  }

  /** Move time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      let next: Scheduled | undefined
      for (const t of this.#timers.values()) {
        if (t.due <= end && (!next || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t
      }
      if (!next) break
      this.#mono += Math.max(this.#now, next.due) - this.#now
      this.#now = Math.max(this.#now, next.due)
      if (next.every === null) this.#timers.delete(next.id)
      else next.due += next.every
      next.fn()
    }
    this.#mono += end - this.#now
    this.#now = end
  }

  #add(fn: () => void, ms: number, every: number | null): Timer {
    const id = ++this.#seq
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), every, fn })
    return { cancel: () => this.#timers.delete(id) }
  }
}
