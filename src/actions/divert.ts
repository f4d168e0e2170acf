import type { LineConfig } from '../config/schema.js'
import { Backoff } from '../core/backoff.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { ModbusCoils, type ModbusCoilsConfig } from '../hw/modbus-coils.js'
import type { OutputPins } from '../modem/driver.js'
import { patchAnalog } from '../lines/analog.js'

type ModbusLink = Pick<ModbusCoils, 'open' | 'writeCoil' | 'close'>
type DivertConfig = NonNullable<NonNullable<LineConfig['analog']>['divert']>

/** One relay: a GPIO pin or a Modbus coil. */
export interface RelaySwitch {
  readonly via: string
  set(on: boolean): Promise<void>
  close(): Promise<void>
}

export function gpioRelay(pins: OutputPins, pin: number | string, activeLevel: 0 | 1): RelaySwitch {
  return {
    via: `GPIO ${pin}`,
    set: async (on) => pins.write(pin, on ? activeLevel : ((1 - activeLevel) as 0 | 1)),
    close: async () => {},
  }
}

export function modbusRelay(coils: ModbusLink, cfg: NonNullable<DivertConfig['modbus']>): RelaySwitch {
  let opened = false
  return {
    via: `modbus ${cfg.port} slave ${cfg.slaveId} coil ${cfg.coil}`,
    set: async (on) => {
      // opened on the first switch: a module that is not there yet fails that switch, which is retried
      if (!opened) await coils.open()
      opened = true
      await coils.writeCoil(cfg.coil, on)
    },
    close: () => coils.close(),
  }
}

export interface DivertDeps {
  store: StateStore
  lines: LineConfig[]
  pins: OutputPins
  clock: Clock
  log: Logger
  /** Makes the Modbus link for a coil relay (tests give one on a simulated slave). */
  modbus?: (cfg: ModbusCoilsConfig) => ModbusLink
}

const RETRY_MIN_MS = 2_000
const RETRY_MAX_MS = 60_000

/**
 * The divert relay of an analog line: switched on while the line is down
 * (its calls go to the GSM gateway), off when it is up again; left alone while
 * the line is unknown or degraded. A switch that fails (a Modbus module not
 * answering) is retried with back-off, always towards the latest wish. Each
 * switch, and each failure, is a `divert` event.
 */
export class DivertRelay {
  readonly #d: DivertDeps
  #stopped = false
  readonly #relays = new Map<string, { relay: RelaySwitch; want: boolean | null; busy: boolean; timer: Timer | null; backoff: Backoff }>()
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line' && c.next.state !== c.prev?.state) this.#follow(c.next.id)
  }

  constructor(deps: DivertDeps) {
    this.#d = deps
    for (const l of deps.lines) {
      const cfg = l.kind === 'analog' ? l.analog?.divert : undefined
      if (!cfg) continue
      const relay = cfg.modbus
        ? modbusRelay((deps.modbus ?? ((c) => new ModbusCoils(c)))({ ...cfg.modbus, stopBits: cfg.modbus.stopBits as 1 | 2 }), cfg.modbus)
        : gpioRelay(deps.pins, cfg.pin!, cfg.activeLevel as 0 | 1)
      this.#relays.set(l.id, { relay, want: null, busy: false, timer: null, backoff: new Backoff(RETRY_MIN_MS, RETRY_MAX_MS) })
    }
  }

  start(): void {
    this.#stopped = false
    this.#d.store.on('change', this.#onChange)
    for (const id of this.#relays.keys()) this.#follow(id)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#d.store.off('change', this.#onChange)
    for (const r of this.#relays.values()) {
      r.timer?.cancel()
      r.timer = null
      r.want = null
      await r.relay.close().catch(() => {})
    }
  }

  #follow(id: string): void {
    const r = this.#relays.get(id)
    const line = this.#d.store.get('line', id)
    if (!r || (line?.state !== 'down' && line?.state !== 'up')) return
    const want = line.state === 'down'
    if (want === r.want || (r.want === null && line?.analog?.diverted === want)) return
    r.want = want
    r.backoff.reset()
    void this.#apply(id)
  }

  async #apply(id: string): Promise<void> {
    const r = this.#relays.get(id)!
    if (r.busy || r.want === null) return
    r.busy = true
    r.timer?.cancel()
    r.timer = null
    const on = r.want
    try {
      await r.relay.set(on)
      patchAnalog(this.#d.store, id, { diverted: on })
      this.#event(id, r.relay.via, on, true, on ? 'calls go to the GSM gateway' : 'calls back on the line')
    } catch (err) {
      if (this.#stopped) return // a write cut short by stop(): no retry, no event
      const wait = r.backoff.next()
      this.#event(id, r.relay.via, on, false, `${errorMessage(err)}; retrying in ${Math.round(wait / 1000)} s`)
      r.timer = this.#d.clock.setTimeout(() => void this.#apply(id), wait)
    } finally {
      r.busy = false
    }
    // the line changed while the relay was switching: go on to the latest wish
    if (r.want !== null && r.want !== on && !r.timer) void this.#apply(id)
  }

  #event(line: string, via: string, on: boolean, ok: boolean, detail: string): void {
    this.#d.log[ok ? 'info' : 'warn']({ line, via, on, detail }, 'divert relay')
    this.#d.store.recordEvent({ type: 'divert', line, on, via, ok, detail })
  }
}
