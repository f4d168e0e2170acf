import type { LineConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import type { FarCaller } from './host.js'
import type { SimIO } from './gpio.js'

/** How the simulated exchange rings: 1 s on, 4 s off (Russia's cadence), as a 25 Hz ring through an opto-coupler (pulses every 20 ms). */
export interface SimCadence {
  onMs: number
  offMs: number
  /** Ring voltage frequency; 0: a filtered detector, steady while ringing. */
  hz: number
  /** Rings before the caller gives up. */
  rings: number
}

export const RU_CADENCE: SimCadence = { onMs: 1000, offMs: 4000, hz: 25, rings: 6 }

/**
 * An analog line from the exchange to the FXO port, as the box's GPIO inputs
 * see it: the line voltage on the voltage pin, ring bursts on the ring pin.
 * Faults: `cut()` (no voltage, no calls: a cable cut), `deafen()` (voltage
 * present, but calls no longer arrive: a fault at the carrier's exchange, the
 * kind only silence and test calls find).
 */
export class SimAnalogLine {
  readonly id: string
  readonly numbers: string[]
  cadence: SimCadence = { ...RU_CADENCE }
  readonly #io: SimIO
  readonly #clock: Clock
  readonly #cfg: NonNullable<LineConfig['analog']>
  #cut = false
  #deaf = false
  #call: { timers: Timer[]; caller: FarCaller | null } | null = null
  /** Incoming calls that reached the line (rang at least once). */
  ringsStarted = 0

  constructor(opts: { io: SimIO; clock: Clock; line: LineConfig }) {
    this.id = opts.line.id
    this.numbers = opts.line.numbers
    this.#io = opts.io
    this.#clock = opts.clock
    this.#cfg = opts.line.analog ?? {}
    this.#driveVoltage()
    this.#driveRing(false)
  }

  get isCut(): boolean {
    return this.#cut
  }

  get isDeaf(): boolean {
    return this.#deaf
  }

  get ringing(): boolean {
    return this.#call !== null
  }

  cut(): void {
    this.#cut = true
    this.#stopRinging('NO CARRIER')
    this.#driveVoltage()
  }

  deafen(): void {
    this.#deaf = true
  }

  /** Back to normal: voltage present, calls arrive. */
  restore(): void {
    this.#cut = false
    this.#deaf = false
    this.#driveVoltage()
  }

  /**
   * A call to one of the line's numbers: it rings here `cadence.rings` times, then the caller
   * hears no answer (nobody picks up in the simulation). A cut or deaf line rings nowhere.
   */
  incoming(_from: string | null, caller: FarCaller | null): { hangUp(): void } | null {
    if (this.#call) return null // one call at a time: the second caller hears busy
    if (this.#cut || this.#deaf) return { hangUp() {} }
    this.ringsStarted++
    const call = { timers: [] as Timer[], caller }
    this.#call = call
    const { onMs, offMs, rings } = this.cadence
    for (let i = 0; i < rings; i++) call.timers.push(this.#clock.setTimeout(() => this.#burst(onMs), i * (onMs + offMs)))
    call.timers.push(this.#clock.setTimeout(() => this.#stopRinging('NO ANSWER'), rings * (onMs + offMs)))
    return { hangUp: () => (this.#call === call ? this.#stopRinging(null) : undefined) }
  }

  stop(): void {
    this.#stopRinging(null)
  }

  #burst(ms: number): void {
    const call = this.#call
    if (!call) return
    const { hz } = this.cadence
    if (hz === 0) {
      this.#driveRing(true)
      call.timers.push(this.#clock.setTimeout(() => this.#driveRing(false), ms))
      return
    }
    // an opto-coupler on the ringing voltage conducts on each half-wave
    const half = 1000 / hz / 2
    let on = true
    this.#driveRing(true)
    const end = this.#clock.now() + ms
    const pulse = this.#clock.setInterval(() => {
      on = !on && this.#clock.now() < end
      this.#driveRing(on)
      if (!on && this.#clock.now() >= end) pulse.cancel()
    }, half)
    call.timers.push(pulse)
  }

  #stopRinging(line: string | null): void {
    const call = this.#call
    if (!call) return
    this.#call = null
    for (const t of call.timers) t.cancel()
    this.#driveRing(false)
    if (line) call.caller?.ended(line)
  }

  #driveVoltage(): void {
    const v = this.#cfg.voltage
    if (v) this.#io.drive(Number(v.pin), (this.#cut ? 1 - v.presentLevel : v.presentLevel) as 0 | 1)
  }

  #driveRing(ringing: boolean): void {
    const r = this.#cfg.ring
    if (r) this.#io.drive(Number(r.pin), (ringing ? r.ringingLevel : 1 - r.ringingLevel) as 0 | 1)
  }
}
