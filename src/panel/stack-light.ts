import type { StackLightConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ModbusCoils } from '../hw/modbus-coils.js'
import { diesFor } from './j5-panel.js'
import type { PanelDriver } from './outputs.js'
import type { PanelFrame } from './patterns.js'

export type CoilLink = Pick<ModbusCoils, 'open' | 'writeCoil' | 'writeCoils' | 'close'> & Partial<Pick<ModbusCoils, 'onLost'>>

/** A failure is confirmed by one more try this soon before it is reported: a box busy starting up, or one lost frame on the bus, is not a broken light. */
export const CONFIRM_MS = 1000
/** Retries after a confirmed failure back off to this (or retrySeconds, if longer). */
const MAX_RETRY_MS = 60_000

/** The coil levels for a frame: address → on. */
export function coilsFor(cfg: StackLightConfig, frame: PanelFrame): Map<number, boolean> {
  const color = cfg.shows === 'summary' ? frame.summary : (frame.lamps[cfg.shows] ?? 'off')
  const dies = diesFor(color, cfg.coils.amber !== undefined, frame.test)
  const out = new Map<number, boolean>([
    [cfg.coils.red, dies.red],
    [cfg.coils.green, dies.green],
  ])
  if (cfg.coils.amber !== undefined) out.set(cfg.coils.amber, dies.amber)
  if (cfg.coils.buzzer !== undefined) out.set(cfg.coils.buzzer, frame.buzzer)
  return out
}

/**
 * A stack light (or relay module) on Modbus RTU mirroring one lamp and the
 * buzzer. One write in flight at a time; a frame that arrives meanwhile
 * replaces any older one waiting, so a slow bus shows the newest state rather
 * than a backlog. When the coils are one contiguous block they go in a single
 * Write Multiple Coils, so tiers never show a mix of two frames.
 *
 * The link is supervised while the panel is steady too: when nothing was
 * written for `refreshSeconds`, the whole frame is written again. That finds
 * a slave that stopped answering, and puts the true frame back on a light
 * that was power-cycled (it comes back with every coil off). An unplugged
 * adapter is heard at once. A failure is confirmed by one more try
 * `CONFIRM_MS` later, then reported (the health callback raises an alert),
 * and the whole frame is written again after `retrySeconds`, then at doubling
 * intervals up to a minute, until the slave answers; nothing here touches the
 * other drivers.
 */
export class StackLightPanel implements PanelDriver {
  readonly id = 'modbus'
  readonly #cfg: StackLightConfig
  readonly #link: CoilLink
  readonly #clock: Clock
  readonly #log: Logger
  readonly #health: (ok: boolean, error?: string) => void
  /** What the slave is known to show; null after a failure or when a refresh is due (everything is written again). */
  #written: Map<number, boolean> | null = null
  #wanted: Map<number, boolean> | null = null
  #busy = false
  #ok: boolean | null = null
  /** Failures in a row: the first is confirmed before it is reported; later ones set the back-off. */
  #failures = 0
  #retry: Timer | null = null
  #refresh: Timer | null = null
  #stopped = false
  /** Frames shown and writes made, for the bench. */
  writes = 0

  constructor(deps: { config: StackLightConfig; link: CoilLink; clock: Clock; log: Logger; health: (ok: boolean, error?: string) => void }) {
    this.#cfg = deps.config
    this.#link = deps.link
    this.#clock = deps.clock
    this.#log = deps.log.child({ module: 'stack-light', port: deps.config.port, slave: deps.config.slaveId })
    this.#health = deps.health
    // an unplugged USB adapter is a failure now, not at the next write
    deps.link.onLost?.((err) => {
      if (this.#stopped) return
      this.#refresh?.cancel()
      this.#refresh = null
      if (!this.#busy && !this.#retry) this.#failed(err)
    })
  }

  async start(): Promise<void> {
    try {
      await this.#link.open()
    } catch (err) {
      this.#failed(err) // not fatal: retried like a lost link
    }
  }

  show(frame: PanelFrame): void {
    if (this.#stopped) return
    this.#wanted = coilsFor(this.#cfg, frame)
    void this.#flush()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#retry?.cancel()
    this.#retry = null
    this.#refresh?.cancel()
    this.#refresh = null
    await this.#link.close()
  }

  async #flush(): Promise<void> {
    if (this.#busy || this.#retry) return
    this.#busy = true
    let wrote = false
    try {
      while (this.#wanted && !this.#stopped) {
        const wanted = this.#wanted
        const changed = [...wanted].filter(([addr, on]) => this.#written?.get(addr) !== on)
        if (changed.length === 0) break
        await this.#write(wanted, changed)
        wrote = true
        this.#written = wanted
        this.#failures = 0
        if (this.#ok !== true) {
          this.#ok = true
          this.#log.info('stack light answering')
          this.#health(true)
        }
      }
      // the refresh counts from the last write: frames that change no coil (a lamp blinking elsewhere) do not put it off
      if (wrote || !this.#refresh) this.#armRefresh()
    } catch (err) {
      this.#failed(err)
    } finally {
      this.#busy = false
    }
  }

  /** Steady for refreshSeconds: write the whole frame again (the only traffic on a quiet day). */
  #armRefresh(): void {
    this.#refresh?.cancel()
    this.#refresh = null
    if (this.#stopped || !this.#wanted) return
    this.#refresh = this.#clock.setTimeout(() => {
      this.#refresh = null
      this.#written = null
      void this.#flush()
    }, this.#cfg.refreshSeconds * 1000)
  }

  async #write(wanted: Map<number, boolean>, changed: [number, boolean][]): Promise<void> {
    const addrs = [...wanted.keys()].sort((a, b) => a - b)
    const contiguous = addrs[addrs.length - 1]! - addrs[0]! === addrs.length - 1
    this.writes++
    if (contiguous && changed.length > 1) return this.#link.writeCoils(addrs[0]!, addrs.map((a) => wanted.get(a)!))
    for (const [addr, on] of changed) await this.#link.writeCoil(addr, on)
  }

  #failed(err: unknown): void {
    this.#written = null
    this.#refresh?.cancel()
    this.#refresh = null
    if (this.#stopped) return
    this.#failures++
    let delay: number
    if (this.#failures === 1 && this.#ok !== false) {
      // not yet reported: one more try soon decides
      this.#log.warn({ err: errorMessage(err) }, 'stack light did not answer; trying once more before reporting it')
      delay = CONFIRM_MS
    } else {
      if (this.#ok !== false) {
        this.#ok = false
        this.#log.error({ err: errorMessage(err) }, `stack light not answering; trying again from ${this.#cfg.retrySeconds} s, backing off to ${Math.max(MAX_RETRY_MS, this.#cfg.retrySeconds * 1000) / 1000} s`)
        this.#health(false, errorMessage(err))
      }
      const base = this.#cfg.retrySeconds * 1000
      delay = Math.min(base * 2 ** Math.max(0, this.#failures - 2), Math.max(MAX_RETRY_MS, base))
    }
    this.#retry ??= this.#clock.setTimeout(() => {
      this.#retry = null
      void this.#flush()
    }, delay)
  }
}
