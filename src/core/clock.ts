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
}

export const systemClock: Clock = {
  now: () => Date.now(),
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
  #seq = 0
  #timers = new Map<number, Scheduled>()

  constructor(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = start
  }

  now(): number {
    return this.#now
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

  /** Move time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      let next: Scheduled | undefined
      for (const t of this.#timers.values()) {
        if (t.due <= end && (!next || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t
      }
      if (!next) break
      this.#now = Math.max(this.#now, next.due)
      if (next.every === null) this.#timers.delete(next.id)
      else next.due += next.every
      next.fn()
    }
    this.#now = end
  }

  #add(fn: () => void, ms: number, every: number | null): Timer {
    const id = ++this.#seq
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), every, fn })
    return { cancel: () => this.#timers.delete(id) }
  }
}
