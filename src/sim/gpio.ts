import { EventEmitter } from 'node:events'
import { BOARDS } from '../hw/boards.js'

const MODES = Object.freeze({ INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 })



export interface SimPin {
  supportedModes: number[]
  mode: number
  /** Output level written by the box, or the input level it reads. */
  value: number
  report: number
  analogChannel: number
  pullUp: boolean
  /** Level driven from outside (a pressed button); null = floating. */
  external: number | null
}

interface SimIoEvents {
  connect: []
  ready: []
  /** A pin the box wrote: (pin, value). What the tests and the demo watch. */
  write: [number, number]
  [key: string]: unknown[]
}

/**
 * A johnny-five IO plugin with pins anyone can see: the box writes outputs
 * through johnny-five as on real hardware; tests read `pins[n].value` and
 * press buttons with `drive(pin, level)`. Follows the IO plugin contract:
 * frozen MODES, pins[], connect then ready emitted asynchronously,
 * digitalRead callbacks on every change of level.
 */
export class SimIO extends EventEmitter<SimIoEvents> {
  readonly MODES = MODES
  readonly HIGH = 1
  readonly LOW = 0
  readonly RESOLUTION = { ADC: 1023, DAC: null, PWM: 255 }
  readonly name = 'linewatch-sim'
  readonly defaultLed = 0
  readonly analogPins: number[] = []
  readonly pins: SimPin[]
  isReady = false
  readonly #readers = new Map<number, ((value: number) => void)[]>()

  constructor(opts: { pinCount?: number } = {}) {
    super()
    this.pins = Array.from({ length: opts.pinCount ?? BOARDS.sim.pins }, () => ({
      supportedModes: [MODES.INPUT, MODES.OUTPUT, MODES.PWM],
      mode: MODES.OUTPUT,
      value: 0,
      report: 0,
      analogChannel: 127,
      pullUp: false,
      external: null,
    }))
    setImmediate(() => {
      this.isReady = true
      this.emit('connect')
      this.emit('ready')
    })
  }

  pinMode(pin: number, mode: number): this {
    this.#pin(pin).mode = mode
    return this
  }

  digitalWrite(pin: number, value: number): this {
    const p = this.#pin(pin)
    const level = value ? 1 : 0
    if (p.mode === MODES.INPUT) {
      // Firmata's convention: HIGH on an input enables its pull-up.
      p.pullUp = level === 1
      this.#settle(pin)
    } else {
      p.value = level
      this.emit('write', pin, level)
    }
    return this
  }

  pwmWrite(pin: number, value: number): this {
    const p = this.#pin(pin)
    p.mode = MODES.PWM
    p.value = value
    this.emit('write', pin, value)
    return this
  }

  analogWrite(pin: number, value: number): this {
    return this.pwmWrite(pin, value)
  }

  digitalRead(pin: number, cb: (value: number) => void): this {
    const p = this.#pin(pin)
    p.report = 1
    this.#readers.set(pin, [...(this.#readers.get(pin) ?? []), cb])
    setImmediate(() => cb(p.value))
    return this
  }

  analogRead(): this {
    return this
  }

  setSamplingInterval(): this {
    return this
  }

  // ---- the outside world ----

  /** Drive an input from outside (a button to ground = 0); null lets it float to its pull. */
  drive(pin: number, level: 0 | 1 | null): void {
    this.#pin(pin).external = level
    this.#settle(pin)
  }

  /** Current level of a pin. */
  level(pin: number): number {
    return this.#pin(pin).value
  }

  #settle(pin: number): void {
    const p = this.#pin(pin)
    const level = p.external ?? (p.pullUp ? 1 : 0)
    if (level === p.value) return
    p.value = level
    for (const cb of this.#readers.get(pin) ?? []) cb(level)
  }

  #pin(pin: number): SimPin {
    const p = this.pins[pin]
    if (!p) throw new RangeError(`SimIO: no pin ${pin} (0..${this.pins.length - 1})`)
    return p
  }
}
