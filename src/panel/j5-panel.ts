import type { EventEmitter } from 'node:events'
import five from 'johnny-five'
import type { PanelConfig } from '../config/schema.js'
import { ErrorCode, LinewatchError, errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { LampColor, PanelSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'

const LIT: Record<LampColor, { green: boolean; red: boolean }> = {
  green: { green: true, red: false },
  amber: { green: true, red: true }, // a bi-colour lamp shows amber with both dies lit
  red: { green: false, red: true },
  off: { green: false, red: false },
}

/**
 * Drives the physical panel through johnny-five: a bi-colour lamp (green and
 * red LED) per configured part, an active buzzer, and the silence button.
 * It only mirrors `store.panel`; the decisions live in PanelController.
 */
export class J5Panel {
  readonly #cfg: PanelConfig
  readonly #store: StateStore
  readonly #log: Logger
  readonly #io: object
  readonly #onSilence: () => void
  #lamps = new Map<string, { green: five.Led; red: five.Led }>()
  #buzzer: five.Pin | null = null
  #button: (five.Button & EventEmitter) | null = null
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'panel') this.#apply(c.next)
  }

  constructor(deps: { config: PanelConfig; store: StateStore; io: object; log: Logger; onSilence: () => void }) {
    this.#cfg = deps.config
    this.#store = deps.store
    this.#io = deps.io
    this.#log = deps.log.child({ module: 'panel' })
    this.#onSilence = deps.onSilence
  }

  async start(timeoutMs = 10000): Promise<void> {
    const board = new five.Board({ io: this.#io, repl: false, debug: false, sigint: false } as five.BoardOption)
    // @types/johnny-five leaves out that Board and Button are EventEmitters
    const boardEvents = board as unknown as EventEmitter
    // johnny-five emits 'error' (IO plugin failures, a board that never gets ready): without a
    // listener that would be an uncaught exception; the panel is not worth the box
    boardEvents.on('error', (err: unknown) => this.#log.error({ err: errorMessage(err) }, 'IO board error'))
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new LinewatchError(ErrorCode.GPIO_FAILED, `IO board not ready in ${timeoutMs} ms`)), timeoutMs)
      boardEvents.once('ready', () => {
        clearTimeout(t)
        resolve()
      })
    })
    for (const lamp of this.#cfg.lamps) {
      this.#lamps.set(lamp.id, { green: new five.Led({ pin: lamp.green, board }), red: new five.Led({ pin: lamp.red, board }) })
    }
    if (this.#cfg.buzzer) this.#buzzer = new five.Pin({ pin: this.#cfg.buzzer.pin, type: 'digital', mode: 1, board } as five.PinOption)
    if (this.#cfg.button) {
      this.#button = new five.Button({ pin: this.#cfg.button.pin, isPullup: this.#cfg.button.activeLow, board } as five.ButtonOption) as five.Button & EventEmitter
      this.#button.on('press', () => {
        this.#log.info('silence button pressed')
        this.#onSilence()
      })
    }
    this.#store.on('change', this.#onChange)
    this.#apply(this.#store.snapshot.panel)
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
    this.#button?.removeAllListeners()
    for (const l of this.#lamps.values()) {
      l.green.off()
      l.red.off()
    }
    this.#buzzer?.low()
  }

  #apply(panel: PanelSnapshot): void {
    for (const lamp of panel.lamps) {
      const leds = this.#lamps.get(lamp.id)
      if (!leds) continue
      const lit = LIT[lamp.color]
      if (lit.green) leds.green.on()
      else leds.green.off()
      if (lit.red) leds.red.on()
      else leds.red.off()
    }
    if (panel.buzzer.on) this.#buzzer?.high()
    else this.#buzzer?.low()
  }
}
