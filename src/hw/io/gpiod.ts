/**
 * A johnny-five IO plugin on the Linux GPIO character device (any Pi, the
 * Pi 5's RP1 included: no /dev/mem, no sysfs). Pins are line offsets; names
 * (GPIO17, pin11) come from the board map.
 *
 * - Inputs follow the kernel's edge events where the chip gives them (the
 *   real chip: libgpiod's gpiomon, one child per chip and bias); else, or
 *   once a watch fails, they are polled every `pollMs` with one timer for all.
 * - PWM is done in software (the chardev gives no PWM hardware): a lamp dims,
 *   a passive piezo buzzes. JS timers have ~1 ms resolution, so keep
 *   pwmHz ≤ 500; 0 and 255 are steady levels and cost no timer.
 * - All time goes through the injected clock, so tests run on simulated time.
 */
import { EventEmitter } from 'node:events'
import type { Clock, Timer } from '../../core/clock.js'
import { errorMessage } from '../../core/errors.js'
import type { IoPin, IoPlugin } from './contract.js'
import type { Bias, GpioChip, GpioInputLine, GpioOutputLine, GpioWatch } from './gpio-chip.js'

const MODES = Object.freeze({ INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, PULLUP: 11 })
const CONSUMER = 'linewatch'

/** Lines of one bias watched together; while it runs they are not requested by this process. */
interface WatchGroup {
  pins: number[]
  bias: Bias
  watch: GpioWatch | null
}

interface LineState {
  out: GpioOutputLine | null
  in: GpioInputLine | null
  bias: Bias
  duty: number
  level: number
  readers: ((value: number) => void)[]
  /** The chip refused this line once: told then, not asked again (a blinking lamp would ask twice a second). */
  refused?: boolean
  /** Its edges come from this watch (s.in is null meanwhile). */
  watch?: WatchGroup | null
  /** A failed read was told: not again until a read succeeds (the poll would tell it 100 times a second). */
  readFailed?: boolean
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
  /** 'events' until a watch fails (or the chip has none): then every input is polled. */
  #inputs: 'events' | 'poll'
  readonly #toWatch = new Set<number>()
  #watchScheduled = false
  readonly #groups = new Set<WatchGroup>()

  constructor(opts: { chip: GpioChip | (() => GpioChip); pins: { name: string; header?: number; line: number }[]; clock: Clock; pollMs?: number; pwmHz?: number; inputs?: 'events' | 'poll' }) {
    super()
    this.#clock = opts.clock
    this.#pollMs = opts.pollMs ?? 10
    this.#inputs = opts.inputs ?? 'events'
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
    const cur = this.#lines.get(pin)
    const s = cur?.in || cur?.watch ? cur : this.#input(pin, cur?.bias ?? 'disable')
    this.#pin(pin).report = 1
    // no chip: no level to tell (a guess would read as a line with voltage); the open error was emitted
    if (!s.in && !s.watch) return this
    s.readers.push(cb)
    setImmediate(() => cb(s.level))
    if (!s.watch) this.#follow(pin)
    return this
  }

  /** How inputs are read now: 'events' (the kernel's edges) or 'poll' (every pollMs). */
  get inputs(): 'events' | 'poll' {
    return this.#inputs
  }

  /** Stops the timers and releases every line and the chip. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#poll?.cancel()
    this.#pwm?.cancel()
    this.#poll = this.#pwm = null
    for (const g of this.#groups) void g.watch?.close()
    this.#groups.clear()
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
    if (s.watch) return this.#unwatch(s.watch, pin)
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
    if ((s.in || s.watch) && s.bias === bias) return s
    if (s.watch) {
      s.bias = bias
      return this.#unwatch(s.watch, pin)
    }
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
        if (!s.readFailed) this.emit('error', new Error(`GPIO line ${pin}: ${errorMessage(err)}`))
        s.readFailed = true
        continue
      }
      s.readFailed = false
      this.#level(pin, s, level)
    }
  }

  #level(pin: number, s: LineState, level: 0 | 1): void {
    if (level === s.level) return
    s.level = level
    this.pins[pin]!.value = level
    for (const cb of s.readers) cb(level)
  }

  /** An input read from now on: by a watch (lines read in one turn share one), else by the poll. */
  #follow(pin: number): void {
    if (this.#inputs === 'events' && this.#chip?.watch) {
      this.#toWatch.add(pin)
      if (!this.#watchScheduled) {
        this.#watchScheduled = true
        setImmediate(() => this.#startWatches())
      }
      return
    }
    this.#poll ??= this.#clock.setInterval(() => this.#pollInputs(), this.#pollMs)
  }

  #startWatches(): void {
    this.#watchScheduled = false
    const pins = [...this.#toWatch]
    this.#toWatch.clear()
    if (this.#closed) return
    if (this.#inputs === 'poll') return pins.forEach((p) => this.#follow(p))
    const byBias = new Map<Bias, number[]>()
    for (const pin of pins) {
      const s = this.#lines.get(pin)
      if (!s?.in || s.watch || s.readers.length === 0) continue
      byBias.set(s.bias, [...(byBias.get(s.bias) ?? []), pin])
    }
    for (const [bias, group] of byBias) {
      const g: WatchGroup = { pins: group, bias, watch: null }
      // the level just before the watch takes the lines (an edge in the moment between is seen at the next one)
      for (const pin of group) {
        const s = this.#lines.get(pin)!
        try {
          this.#level(pin, s, s.in!.get())
        } catch {
          // the poll's error, if it lasts, is told once the line is polled again
        }
        s.in!.release()
        s.in = null
        s.watch = g
      }
      this.#groups.add(g)
      try {
        g.watch = this.#chip!.watch!(group, bias, {
          edge: (line, level) => {
            const s = this.#lines.get(line)
            if (s?.watch === g) this.#level(line, s, level)
          },
          failed: (err) => this.#watchFailed(g, err),
        })
      } catch (err) {
        this.#watchFailed(g, err instanceof Error ? err : new Error(String(err)))
      }
    }
  }

  /**
   * A watch that cannot start or stopped: its lines (free again), the other watches' and every later input
   * are polled (one way for all: what failed once, gpiomon missing or killed, would fail the others too).
   */
  #watchFailed(g: WatchGroup, err: Error): void {
    if (!this.#groups.delete(g) || this.#closed) return
    if (this.#inputs === 'events') this.emit('warning', new Error(`GPIO: no edge events (${err.message}); inputs are polled every ${this.#pollMs} ms`))
    this.#inputs = 'poll'
    this.#reclaim(g)
    for (const other of [...this.#groups]) this.#letGo(other)
  }

  /** The lines of a watch that has let them go: requested by this process again, polled. */
  #reclaim(g: WatchGroup): void {
    for (const pin of g.pins) {
      const s = this.#lines.get(pin)
      if (!s || s.watch !== g) continue
      s.watch = null
      if (s.duty > 0 || this.pins[pin]!.mode === MODES.OUTPUT || this.pins[pin]!.mode === MODES.PWM) {
        // made an output while the watch held it: the level asked for meanwhile
        const out = this.#output(pin)
        this.#set(pin, out, out.duty >= 128 ? 1 : (0 as 0 | 1))
        this.#reschedulePwm()
        continue
      }
      const before = s.level
      this.#input(pin, s.bias)
      if (s.in && s.readers.length > 0) {
        const now = s.level
        s.level = before
        this.#level(pin, s, now as 0 | 1)
        this.#follow(pin)
      }
    }
  }

  /**
   * A watched line whose mode changes (another bias, an output): the watch lets its lines go, and they are
   * requested again, each as now asked, when it has (the kernel gives a line to one request at a time).
   */
  #unwatch(g: WatchGroup, pin: number): LineState {
    this.#letGo(g)
    return this.#lines.get(pin)!
  }

  #letGo(g: WatchGroup): void {
    if (!this.#groups.delete(g)) return
    const closing = g.watch?.close() ?? Promise.resolve()
    void closing.then(() => {
      if (!this.#closed) this.#reclaim(g)
    })
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
