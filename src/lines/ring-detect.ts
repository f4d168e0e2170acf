import type { Clock, Timer } from '../core/clock.js'

export interface RingCadence {
  /** Edges closer than this belong to one burst (a 25 Hz ring through an opto-coupler pulses every 20 ms). */
  pulseGapMs: number
  /** A shorter burst is noise (a spike, a parallel phone's pulse dialling), not a ring. */
  minBurstMs: number
  /** A longer burst is not a ring either: the detector is stuck, or the line is faulty. */
  maxBurstMs: number
  /** Rings closer than this belong to one call; this long without a ring ends it. */
  callGapMs: number
}

export interface RingEvents {
  /** A call starts ringing (its first ring). */
  call(at: number): void
  /** One ring: how long it rang and the pause before it (null for the first). */
  ring(r: { at: number; onMs: number; offMs: number | null; ringNo: number }): void
  /** The call stopped ringing (answered elsewhere, or the caller gave up) `callGapMs` after its last ring. */
  callEnd(r: { at: number; rings: number }): void
  /** A burst that was not a ring. */
  rejected(r: { at: number; ms: number; why: 'short' | 'long' }): void
}

/**
 * Ring detection from the edges of a ring-detect input: edges closer than
 * `pulseGapMs` make a burst (works for a pulsing opto-coupler and for a
 * filtered, steady one alike); a burst within [minBurstMs, maxBurstMs] is a
 * ring (the debounce); rings less than `callGapMs` apart are one call (the
 * cadence: 1 s on / 4 s off in Russia, 2/4 in the US, 0.4-0.2-0.4 / 2 in
 * the UK). Time from the injected clock; one timer at a time.
 */
export class RingDetector {
  readonly #cfg: RingCadence
  readonly #clock: Clock
  readonly #on: RingEvents
  #active = false
  #burstStart: number | null = null
  #lastEdge = 0
  #lastRingEnd: number | null = null
  #rings = 0
  /** After a burst held past maxBurstMs: edges are ignored until the input has been idle for pulseGapMs (the tail of it is no ring). */
  #stuck = false
  #timer: Timer | null = null

  constructor(cfg: RingCadence, clock: Clock, on: RingEvents) {
    this.#cfg = cfg
    this.#clock = clock
    this.#on = on
  }

  /** Whether a call is ringing now (between its first ring and callGapMs after its last). */
  get inCall(): boolean {
    return this.#rings > 0
  }

  /** The input's level changed: `active` is the ringing level. */
  edge(active: boolean): void {
    const now = this.#clock.now()
    if (active === this.#active) return
    this.#active = active
    this.#lastEdge = now
    if (active && this.#burstStart === null && !this.#stuck) this.#burstStart = now
    this.#arm()
  }

  stop(): void {
    this.#timer?.cancel()
    this.#timer = null
  }

  /** One timer for whatever ends next: the burst (no edge for pulseGapMs, input idle), a stuck input, or the call. */
  #arm(): void {
    this.#timer?.cancel()
    const now = this.#clock.now()
    let at: number | null = null
    if (this.#burstStart !== null) at = this.#active ? this.#burstStart + this.#cfg.maxBurstMs + 1 : this.#lastEdge + this.#cfg.pulseGapMs
    else if (this.#stuck) at = this.#active ? null : this.#lastEdge + this.#cfg.pulseGapMs
    else if (this.#lastRingEnd !== null && this.#rings > 0) at = this.#lastRingEnd + this.#cfg.callGapMs
    this.#timer = at === null ? null : this.#clock.setTimeout(() => this.#due(), Math.max(0, at - now))
  }

  #due(): void {
    this.#timer = null
    const now = this.#clock.now()
    const start = this.#burstStart
    if (start !== null) {
      if (this.#active) {
        // held active past any ring: report it once, and take the burst as over until the input moves again
        if (now - start > this.#cfg.maxBurstMs) {
          this.#on.rejected({ at: start, ms: now - start, why: 'long' })
          this.#burstStart = null
          this.#stuck = true
        }
      } else if (now - this.#lastEdge >= this.#cfg.pulseGapMs) {
        this.#burstStart = null
        this.#burst(start, this.#lastEdge)
      }
      return this.#arm()
    }
    if (this.#stuck) {
      if (!this.#active && now - this.#lastEdge >= this.#cfg.pulseGapMs) this.#stuck = false
      return this.#arm()
    }
    if (this.#rings > 0 && this.#lastRingEnd !== null && now - this.#lastRingEnd >= this.#cfg.callGapMs) {
      const rings = this.#rings
      this.#rings = 0
      this.#lastRingEnd = null
      this.#on.callEnd({ at: now, rings })
    }
    this.#arm()
  }

  #burst(start: number, end: number): void {
    const ms = end - start
    if (ms < this.#cfg.minBurstMs) return this.#on.rejected({ at: start, ms, why: 'short' })
    if (ms > this.#cfg.maxBurstMs) return this.#on.rejected({ at: start, ms, why: 'long' })
    const first = this.#rings === 0
    if (first) this.#on.call(start)
    this.#rings++
    this.#on.ring({ at: start, onMs: ms, offMs: first || this.#lastRingEnd === null ? null : start - this.#lastRingEnd, ringNo: this.#rings })
    this.#lastRingEnd = end
  }
}
