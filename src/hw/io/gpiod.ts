/**
 * A johnny-five IO plugin on the Linux GPIO character device (any Pi, the
 * Pi 5's RP1 included: no /dev/mem, no sysfs). Pins are line offsets; names
 * (GPIO17, pin11) come from the board map.
 *
 * - Inputs are polled every `pollMs` with one timer for all of them:
 *   node-libgpiod (libgpiod 1.x) has no edge-event read.
 * - PWM is done in software (the chardev gives no PWM hardware): a lamp dims,
 *   a passive piezo buzzes. JS timers have ~1 ms resolution, so keep
 *   pwmHz ≤ 500; 0 and 255 are steady levels and cost no timer.
 * - All time goes through the injected clock, so tests run on simulated time.
 */
import { EventEmitter } from 'node:events'
import type { Clock, Timer } from '../../core/clock.js'
import { errorMessage } from '../../core/errors.js'
import type { IoPin, IoPlugin } from './contract.js'
import type { Bias, GpioChip, GpioInputLine, GpioOutputLine } from './gpio-chip.js'

const MODES = Object.freeze({ INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, PULLUP: 11 })
const CONSUMER = 'linewatch'

interface LineState {
  out: GpioOutputLine | null
  in: GpioInputLine | null
  bias: Bias
  duty: number
  level: number
  readers: ((value: number) => void)[]
  /** The chip refused this line once: told then, not asked again (a blinking lamp would ask twice a second). */
  refused?: boolean
}

export class GpiodIO extends EventEmitter implements IoPlugin {
  readonly MODES = MODES
  readonly HIGH = 1 as const
  readonly LOW = 0 as const
  readonly RESOLUTION = { ADC: 1023, DAC: null, PWM: 255 }
  readonly name = 'linewatch-gpiod'
  readonly analogPins: number[] = []
  readonly pins: IoPin[]
  isReady = false
  readonly #byName = new Map<string, number>()
  readonly #clock: Clock
  readonly #pollMs: number
  readonly #pwmPeriodMs: number
  readonly #lines = new Map<number, LineState>()
  #chip: GpioChip | null = null
  readonly #openChip: () => GpioChip
  #openError: Error | null = null
  #poll: Timer | null = null
  #pwm: Timer | null = null
  #closed = false

  constructor(opts: { chip: GpioChip | (() => GpioChip); pins: { name: string; header?: number; line: number }[]; clock: Clock; pollMs?: number; pwmHz?: number }) {
    super()
    this.#clock = opts.clock
    this.#pollMs = opts.pollMs ?? 10
    this.#pwmPeriodMs = 1000 / Math.min(500, opts.pwmHz ?? 100)
    const size = Math.max(0, ...opts.pins.map((p) => p.line + 1))
    this.pins = Array.from({ length: size }, () => ({ supportedModes: [], mode: MODES.OUTPUT, value: 0, report: 0, analogChannel: 127 }))
    for (const p of opts.pins) {
      this.pins[p.line]!.supportedModes = [MODES.INPUT, MODES.OUTPUT, MODES.PWM, MODES.PULLUP]
      this.#byName.set(p.name.toUpperCase(), p.line)
      if (p.header !== undefined) this.#byName.set(`PIN${p.header}`, p.line)
    }
    const chip = opts.chip
    this.#openChip = typeof chip === 'function' ? chip : () => chip
    setImmediate(() => {
      try {
        this.#chipOrThrow()
      } catch (err) {
        this.emit('error', err as Error)
        return
      }
      this.isReady = true
      this.emit('connect')
      this.emit('ready')
    })
  }

  normalize(pin: number | string): number {
    if (typeof pin === 'number') {
      if (this.pins[pin]?.supportedModes.length) return pin
      throw new RangeError(`GPIO: line ${pin} is not on this board`)
    }
    const line = this.#byName.get(pin.replace(/\s+/g, '').toUpperCase())
    if (line === undefined) throw new RangeError(`GPIO: no pin named ${pin} (GPIO17 or pin11)`)
    return line
  }

  pinMode(pin: number, mode: number): this {
    const p = this.#pin(pin)
    p.mode = mode
    if (mode === MODES.OUTPUT || mode === MODES.PWM) this.#output(pin)
    else if (mode === MODES.PULLUP) this.#input(pin, 'pull-up')
    else if (mode === MODES.INPUT) this.#input(pin, 'disable')
    return this
  }

  digitalWrite(pin: number, value: number): this {
    const p = this.#pin(pin)
    if (p.mode === MODES.INPUT || p.mode === MODES.PULLUP) {
      // Firmata's convention, what johnny-five's Button does for isPullup
      this.#input(pin, value ? 'pull-up' : 'disable')
      return this
    }
    const s = this.#output(pin)
    s.duty = value ? 255 : 0
    this.#reschedulePwm()
    this.#set(pin, s, value ? 1 : 0)
    return this
  }

  pwmWrite(pin: number, value: number): this {
    const p = this.#pin(pin)
    p.mode = MODES.PWM
    const s = this.#output(pin)
    s.duty = Math.max(0, Math.min(255, Math.round(value)))
    p.value = s.duty
    if (s.duty === 0 || s.duty === 255) this.#set(pin, s, s.duty ? 1 : 0)
    this.#reschedulePwm()
    return this
  }

  analogWrite(pin: number, value: number): this {
    return this.pwmWrite(pin, value)
  }

  digitalRead(pin: number, cb: (value: number) => void): this {
    const s = this.#lines.get(pin)?.in ? this.#lines.get(pin)! : this.#input(pin, this.#lines.get(pin)?.bias ?? 'disable')
    this.#pin(pin).report = 1
    // no chip: no level to tell (a guess would read as a line with voltage); the open error was emitted
    if (!s.in) return this
    s.readers.push(cb)
    setImmediate(() => cb(s.level))
    this.#poll ??= this.#clock.setInterval(() => this.#pollInputs(), this.#pollMs)
    return this
  }

  /** Stops the timers and releases every line and the chip. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#poll?.cancel()
    this.#pwm?.cancel()
    this.#poll = this.#pwm = null
    for (const s of this.#lines.values()) {
      s.out?.release()
      s.in?.release()
    }
    this.#lines.clear()
    this.#chip?.close()
  }

  #pin(pin: number): IoPin {
    if (this.#closed) throw new Error('GPIO: the chip is closed')
    const p = this.pins[pin]
    if (!p?.supportedModes.length) throw new RangeError(`GPIO: line ${pin} is not on this board`)
    return p
  }

  #state(pin: number): LineState {
    let s = this.#lines.get(pin)
    if (!s) this.#lines.set(pin, (s = { out: null, in: null, bias: 'disable', duty: 0, level: 0, readers: [] }))
    return s
  }

  /** Opened on first use (a monitor may claim its input before 'ready'); a failure is kept and told again. */
  #chipOrThrow(): GpioChip {
    if (this.#chip) return this.#chip
    if (this.#openError) throw this.#openError
    try {
      this.#chip = this.#openChip()
    } catch (err) {
      this.#openError = err instanceof Error ? err : new Error(String(err))
      throw this.#openError
    }
    return this.#chip
  }

  /**
   * The chip, or null when it cannot be opened: that error is emitted once (at construction), and a pin
   * used then does nothing rather than throw into a monitor's start (the box runs on without its pins).
   */
  #chipOrNull(): GpioChip | null {
    try {
      return this.#chipOrThrow()
    } catch {
      return null
    }
  }

  /**
   * A line the chip refuses (held by another program, not on this chip: the wrong chip found) is told as an
   * 'error' and left unused, like a chip that cannot be opened: one pin is not worth the box's start.
   */
  #request<T>(pin: number, s: LineState, request: () => T): T | null {
    if (s.refused) return null
    try {
      return request()
    } catch (err) {
      s.refused = true
      this.emit('error', new Error(`GPIO line ${pin}: ${errorMessage(err)}`))
      return null
    }
  }

  #output(pin: number): LineState {
    const s = this.#state(pin)
    if (s.out) return s
    const chip = this.#chipOrNull()
    if (!chip) return s
    s.in?.release()
    s.in = null
    s.out = this.#request(pin, s, () => chip.requestOutput(pin, 0, CONSUMER))
    s.level = 0
    return s
  }

  #input(pin: number, bias: Bias): LineState {
    const s = this.#state(pin)
    if (s.in && s.bias === bias) return s
    const chip = this.#chipOrNull()
    if (!chip) return s
    s.out?.release()
    s.in?.release()
    s.out = null
    s.duty = 0
    s.in = this.#request(pin, s, () => chip.requestInput(pin, bias, CONSUMER))
    s.bias = bias
    if (!s.in) return s
    s.level = s.in.get()
    this.pins[pin]!.value = s.level
    this.#reschedulePwm()
    return s
  }

  #set(pin: number, s: LineState, level: 0 | 1): void {
    if (s.level === level || !s.out) return
    try {
      s.out.set(level)
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)))
      return
    }
    s.level = level
    if (this.pins[pin]!.mode !== MODES.PWM) this.pins[pin]!.value = level
    this.emit('write', pin, level)
  }

  #pollInputs(): void {
    for (const [pin, s] of this.#lines) {
      if (!s.in || s.readers.length === 0) continue
      let level: 0 | 1
      try {
        level = s.in.get()
      } catch (err) {
        this.emit('error', err instanceof Error ? err : new Error(String(err)))
        continue
      }
      if (level === s.level) continue
      s.level = level
      this.pins[pin]!.value = level
      for (const cb of s.readers) cb(level)
    }
  }

  /** One scheduler for all PWM lines: on at the start of each period, off after its duty. */
  #reschedulePwm(): void {
    const active = [...this.#lines.values()].some((s) => s.out && s.duty > 0 && s.duty < 255)
    if (!active) {
      this.#pwm?.cancel()
      this.#pwm = null
      return
    }
    if (this.#pwm) return
    const period = () => {
      if (this.#closed) return
      const start = this.#clock.now()
      const pwm = [...this.#lines].filter(([, s]) => s.out && s.duty > 0 && s.duty < 255)
      if (pwm.length === 0) return this.#reschedulePwm()
      for (const [pin, s] of pwm) this.#set(pin, s, 1)
      const offs = [...new Set(pwm.map(([, s]) => Math.max(1, Math.round((s.duty / 255) * this.#pwmPeriodMs))))].sort((a, b) => a - b)
      const next = (i: number) => {
        if (i >= offs.length) {
          this.#pwm = this.#clock.setTimeout(period, Math.max(0, start + this.#pwmPeriodMs - this.#clock.now()))
          return
        }
        this.#pwm = this.#clock.setTimeout(() => {
          for (const [pin, s] of pwm) if (Math.max(1, Math.round((s.duty / 255) * this.#pwmPeriodMs)) === offs[i] && s.duty < 255) this.#set(pin, s, 0)
          next(i + 1)
        }, Math.max(0, start + offs[i]! - this.#clock.now()))
      }
      next(0)
    }
    this.#pwm = this.#clock.setTimeout(period, 0)
  }
}
