import type { StackLightConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ModbusCoils } from '../hw/modbus-coils.js'
import { diesFor } from './j5-panel.js'
import type { PanelDriver } from './outputs.js'
import type { PanelFrame } from './patterns.js'

export type CoilLink = Pick<ModbusCoils, 'open' | 'writeCoil' | 'writeCoils' | 'close'>

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
 * A failed write marks the output down (the health callback raises an
 * alert) and the whole frame is written again every `retrySeconds` until the
 * slave answers; nothing here touches the other drivers.
 */
export class StackLightPanel implements PanelDriver {
  readonly id = 'modbus'
  readonly #cfg: StackLightConfig
  readonly #link: CoilLink
  readonly #clock: Clock
  readonly #log: Logger
  readonly #health: (ok: boolean, error?: string) => void
  /** What the slave is known to show; null after a failure (everything is written again). */
  #written: Map<number, boolean> | null = null
  #wanted: Map<number, boolean> | null = null
  #busy = false
  #ok: boolean | null = null
  #retry: Timer | null = null
  #stopped = false
  /** Frames shown and writes made, for the bench. */
  writes = 0

  constructor(deps: { config: StackLightConfig; link: CoilLink; clock: Clock; log: Logger; health: (ok: boolean, error?: string) => void }) {
    this.#cfg = deps.config
    this.#link = deps.link
    this.#clock = deps.clock
    this.#log = deps.log.child({ module: 'stack-light', port: deps.config.port, slave: deps.config.slaveId })
    this.#health = deps.health
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
    await this.#link.close()
  }

  async #flush(): Promise<void> {
    if (this.#busy || this.#retry) return
    this.#busy = true
    try {
      while (this.#wanted && !this.#stopped) {
        const wanted = this.#wanted
        const changed = [...wanted].filter(([addr, on]) => this.#written?.get(addr) !== on)
        if (changed.length === 0) break
        await this.#write(wanted, changed)
        this.#written = wanted
        if (this.#ok !== true) {
          this.#ok = true
          this.#log.info('stack light answering')
          this.#health(true)
        }
      }
    } catch (err) {
      this.#failed(err)
    } finally {
      this.#busy = false
    }
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
    if (this.#stopped) return
    if (this.#ok !== false) {
      this.#ok = false
      this.#log.error({ err: errorMessage(err) }, `stack light not answering; trying again every ${this.#cfg.retrySeconds} s`)
      this.#health(false, errorMessage(err))
    }
    this.#retry ??= this.#clock.setTimeout(() => {
      this.#retry = null
      void this.#flush()
    }, this.#cfg.retrySeconds * 1000)
  }
}
