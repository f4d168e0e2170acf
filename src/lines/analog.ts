import type { LineConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { AnalogLineState } from '../core/state.js'
import type { StateStore } from '../core/store.js'
import { pinIndex, type InputPins } from '../hw/gpio.js'
import type { LineMonitor } from './monitor.js'
import { RingDetector } from './ring-detect.js'

type AnalogConfig = NonNullable<LineConfig['analog']>
type AnalogLine = LineConfig & { analog: AnalogConfig }

/**
 * An analog line's FXO inputs on GPIO: the line voltage (a `voltage` signal,
 * firm: the line is down at once when it goes, after `settleMs` of steady
 * level so ringing and off-hook flicker are not taken for it) and ring detect
 * (rings and incoming calls, through RingDetector). What it sees is in the
 * line's `analog` state.
 */
export class AnalogMonitor {
  readonly #lines: AnalogLine[]
  readonly #io: InputPins
  readonly #monitor: Pick<LineMonitor, 'signal' | 'incomingCall'>
  readonly #store: StateStore
  readonly #clock: Clock
  readonly #log: Logger
  readonly #detectors: RingDetector[] = []
  readonly #settle = new Map<string, Timer>()
  #running = false

  constructor(deps: { io: InputPins; lines: LineConfig[]; monitor: Pick<LineMonitor, 'signal' | 'incomingCall'>; store: StateStore; clock: Clock; log: Logger }) {
    this.#lines = deps.lines.filter((l): l is AnalogLine => l.kind === 'analog' && l.analog !== undefined)
    this.#io = deps.io
    this.#monitor = deps.monitor
    this.#store = deps.store
    this.#clock = deps.clock
    this.#log = deps.log.child({ module: 'analog' })
  }

  start(): void {
    this.#running = true
    for (const l of this.#lines) {
      const { voltage, ring } = l.analog
      if (voltage) this.#input(voltage.pin, voltage.pullUp, (level) => this.#voltageLevel(l, level === voltage.presentLevel))
      if (ring) {
        const detector = this.#detector(l)
        this.#detectors.push(detector)
        this.#input(ring.pin, ring.pullUp, (level) => detector.edge(level === ring.ringingLevel))
      }
    }
  }

  stop(): void {
    this.#running = false
    for (const d of this.#detectors.splice(0)) d.stop()
    for (const t of this.#settle.values()) t.cancel()
    this.#settle.clear()
  }

  /** An input with its pull-up (the IO plugin contract: HIGH written to an input enables it); `on` hears every change of level. */
  #input(pin: number | string, pullUp: boolean, on: (level: number) => void): void {
    const p = pinIndex(this.#io, pin)
    this.#io.pinMode(p, this.#io.MODES.INPUT)
    if (pullUp) this.#io.digitalWrite(p, 1)
    this.#io.digitalRead(p, (level) => {
      if (this.#running) on(level)
    })
  }

  /** A level is believed once it has held for settleMs; the first reading too. */
  #voltageLevel(l: AnalogLine, present: boolean): void {
    const cfg = l.analog.voltage!
    this.#settle.get(l.id)?.cancel()
    const believed = this.#store.get('line', l.id)?.analog?.voltage
    if (believed === (present ? 'present' : 'lost')) return void this.#settle.delete(l.id)
    this.#settle.set(
      l.id,
      this.#clock.setTimeout(() => {
        this.#settle.delete(l.id)
        this.#patch(l.id, { voltage: present ? 'present' : 'lost' })
        const where = `GPIO ${cfg.pin}`
        if (!present) this.#log.warn({ line: l.id, pin: cfg.pin }, 'line voltage lost')
        this.#monitor.signal(l.id, 'voltage', present ? { state: 'up', reason: `line voltage present (${where})` } : { state: 'down', reason: `no line voltage (${where})`, firm: true })
      }, cfg.settleMs),
    )
  }

  #detector(l: AnalogLine): RingDetector {
    return new RingDetector(l.analog.ring!, this.#clock, {
      call: (at) => {
        this.#patch(l.id, { ringing: true, rings: 0 })
        this.#monitor.incomingCall(l.id, { callerId: null, at })
      },
      ring: (r) => this.#patch(l.id, { ringing: true, rings: r.ringNo, lastRing: { at: r.at, onMs: r.onMs, offMs: r.offMs } }),
      callEnd: () => this.#patch(l.id, { ringing: false }),
      rejected: (r) => {
        this.#log.info({ line: l.id, ms: r.ms, why: r.why }, r.why === 'long' ? 'ring detect held active longer than a ring' : 'ring detect noise')
        this.#patch(l.id, { rejected: (this.#store.get('line', l.id)?.analog?.rejected ?? 0) + 1 })
      },
    })
  }

  #patch(id: string, patch: Partial<AnalogLineState>): void {
    patchAnalog(this.#store, id, patch)
  }
}

/** Merge into an analog line's `analog` state (no-op for other lines). */
export function patchAnalog(store: StateStore, id: string, patch: Partial<AnalogLineState>): void {
  const line = store.get('line', id)
  if (line?.analog) store.update('line', id, { analog: { ...line.analog, ...patch } })
}
