/**
 * Exponential back-off: min, doubling, capped at max, with optional jitter so
 * that many boxes of a chain do not retry a returning broker in step.
 */
export class Backoff {
  #next: number
  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly jitter = 0,
    private readonly random: () => number = Math.random,
  ) {
    this.#next = min
  }

  /** The wait before the next attempt; each call doubles the one after. */
  next(): number {
    const base = this.#next
    this.#next = Math.min(this.#next * 2, this.max)
    return Math.round(base * (1 - this.jitter + 2 * this.jitter * this.random()))
  }

  reset(): void {
    this.#next = this.min
  }
}
