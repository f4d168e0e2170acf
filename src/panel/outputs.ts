import type { Clock, Timer } from '../core/clock.js'
import type { PanelSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { frameAt, nextFrameChange, type PanelFrame } from './patterns.js'

/** A physical panel: GPIO lamps through johnny-five, a Modbus stack light. */
export interface PanelDriver {
  readonly id: string
  start(): Promise<void>
  /** Show a frame. Called at every pattern edge; a driver writes only what changed. Must not throw. */
  show(frame: PanelFrame): void
  stop(): Promise<void>
}

/**
 * Plays the panel snapshot on the drivers: the frame now, then a timer to the
 * next pattern edge only (no fixed tick), so a panel showing steady lamps
 * costs nothing and a blinking one wakes only when a lamp changes.
 */
export class PanelOutputs {
  readonly #store: StateStore
  readonly #clock: Clock
  readonly #drivers: readonly PanelDriver[]
  #timer: Timer | null = null
  #running = false
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'panel') this.#play(c.next)
  }

  constructor(deps: { store: StateStore; clock: Clock; drivers: readonly PanelDriver[] }) {
    this.#store = deps.store
    this.#clock = deps.clock
    this.#drivers = deps.drivers
  }

  get drivers(): readonly PanelDriver[] {
    return this.#drivers
  }

  /** Starts the drivers (each on its own: one that fails is reported by itself and does not stop the others). */
  async start(): Promise<void> {
    this.#running = true
    this.#store.on('change', this.#onChange)
    await Promise.all(this.#drivers.map((d) => d.start()))
    this.#play(this.#store.snapshot.panel)
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#store.off('change', this.#onChange)
    this.#timer?.cancel()
    this.#timer = null
    await Promise.all(this.#drivers.map((d) => d.stop()))
  }

  #play(panel: PanelSnapshot): void {
    if (!this.#running) return
    this.#timer?.cancel()
    this.#timer = null
    const now = this.#clock.now()
    const frame = frameAt(panel, now)
    for (const d of this.#drivers) d.show(frame)
    const next = nextFrameChange(panel, now)
    if (Number.isFinite(next)) this.#timer = this.#clock.setTimeout(() => this.#play(this.#store.snapshot.panel), next - now)
  }
}
