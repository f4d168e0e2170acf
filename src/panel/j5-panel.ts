import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type * as J5 from 'johnny-five'
import type { PanelConfig } from '../config/schema.js'
import { ErrorCode, LinewatchError, errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { LampColor } from '../core/state.js'
import { pinIndex } from '../hw/gpio.js'
import type { IoPlugin } from '../hw/io/contract.js'
import type { PanelDriver } from './outputs.js'
import type { PanelFrame } from './patterns.js'

interface Dies {
  green: boolean
  amber: boolean
  red: boolean
}

/** Which dies are lit for a colour: amber is its own LED when there is one, else both dies of a bi-colour lamp. */
export function diesFor(color: LampColor, separateAmber: boolean, test: boolean): Dies {
  if (test) return { green: true, amber: true, red: true }
  if (color === 'amber' && !separateAmber) return { green: true, amber: false, red: true }
  return { green: color === 'green', amber: color === 'amber', red: color === 'red' }
}

/** One output pin through johnny-five; written only when its level changes. */
class Output {
  #level: boolean | null = null
  constructor(
    readonly pin: J5.Pin,
    readonly io: IoPlugin,
    readonly passive = false,
  ) {}
  set(on: boolean): void {
    if (on === this.#level) return
    this.#level = on
    // a passive piezo needs a waveform: the board's PWM at half duty makes its tone
    if (this.passive) this.io.pwmWrite(this.pin.pin as number, on ? 128 : 0)
    else if (on) this.pin.high()
    else this.pin.low()
  }
}

/**
 * The panel on any johnny-five IO plugin (SimIO, GpiodIO, Firmata): a lamp
 * per configured part (green and red dies, optionally an amber one), the
 * buzzer, and the silence button (held: the lamp test).
 */
export class J5Panel implements PanelDriver {
  readonly id = 'gpio'
  readonly #cfg: PanelConfig
  readonly #log: Logger
  readonly #io: IoPlugin
  readonly #on: { silence(): void; lampTest(): void; health(ok: boolean, error?: string): void }
  readonly #lamps = new Map<string, { green: Output; red: Output; amber: Output | null }>()
  #buzzer: Output | null = null
  #button: (J5.Button & EventEmitter) | null = null
  #ready = false

  constructor(deps: { config: PanelConfig; io: IoPlugin; log: Logger; on: J5Panel['on'] }) {
    this.#cfg = deps.config
    this.#io = deps.io
    this.#log = deps.log.child({ module: 'panel' })
    this.#on = deps.on
  }

  get on(): { silence(): void; lampTest(): void; health(ok: boolean, error?: string): void } {
    return this.#on
  }

  async start(timeoutMs = 10000): Promise<void> {
    // required on first use: a box without a GPIO panel never loads johnny-five (~600 KB of source; issue 20).
    // Its three classes the panel uses, from their own files: the package's index requires all ~40 of its
    // components (servos, LCDs, GPS, ...), 2 MB more heap (docs/performance.md)
    const require = createRequire(import.meta.url)
    const five = { Board: require('johnny-five/lib/board.js'), Pin: require('johnny-five/lib/pin.js'), Button: require('johnny-five/lib/button.js') } as Pick<typeof J5, 'Board' | 'Pin' | 'Button'>
    const board = new five.Board({ io: this.#io, repl: false, debug: false, sigint: false } as J5.BoardOption)
    // @types/johnny-five leaves out that Board and Button are EventEmitters
    const boardEvents = board as unknown as EventEmitter
    // once ready, johnny-five re-emits the plugin's errors on the board: heard below on the plugin itself,
    // but an 'error' with no listener would be thrown
    boardEvents.on('error', () => {})
    // IO plugin failures (a chip that cannot be opened, a Firmata board that never answers):
    // without a listener they would be uncaught exceptions; the panel is not worth the box
    this.#io.on('error', (err: unknown) => {
      const message = errorMessage(err)
      this.#log.error({ err: message }, 'IO board error')
      this.#on.health(false, message)
    })
    const ready = await new Promise<boolean | 'timeout'>((resolve) => {
      const t = setTimeout(() => resolve('timeout'), timeoutMs)
      boardEvents.once('ready', () => {
        clearTimeout(t)
        resolve(true)
      })
      // a plugin that fails to open says so at once: no need to wait out the timeout
      this.#io.once('error', () => {
        clearTimeout(t)
        resolve(false)
      })
    })
    if (ready !== true) {
      // the panel is not worth the box: the output is reported down (alert panel/gpio) and the rest runs
      if (ready === 'timeout') this.#on.health(false, new LinewatchError(ErrorCode.GPIO_FAILED, `IO board ${this.#io.name} not ready in ${timeoutMs} ms`).message)
      return
    }
    // names (GPIO17, pin11) resolved here: johnny-five's Button does not ask the plugin to normalize
    const pinOf = (pin: number | string) => pinIndex(this.#io, pin)
    const output = (pin: number | string, passive = false) => new Output(new five.Pin({ pin: pinOf(pin), type: 'digital', mode: 1, board } as J5.PinOption), this.#io, passive)
    for (const lamp of this.#cfg.lamps) {
      this.#lamps.set(lamp.id, { green: output(lamp.green), red: output(lamp.red), amber: lamp.amber === undefined ? null : output(lamp.amber) })
    }
    if (this.#cfg.buzzer) this.#buzzer = output(this.#cfg.buzzer.pin, this.#cfg.buzzer.passive)
    if (this.#cfg.button) {
      const { pin, activeLow, holdSeconds } = this.#cfg.button
      this.#button = new five.Button({ pin: pinOf(pin), isPullup: activeLow, holdtime: holdSeconds * 1000, board } as J5.ButtonOption) as J5.Button & EventEmitter
      let held = false
      this.#button.on('press', () => {
        this.#log.info('silence button pressed')
        this.#on.silence()
      })
      // johnny-five repeats 'hold' while the button stays down: one lamp test per press
      this.#button.on('hold', () => {
        if (held) return
        held = true
        this.#log.info('silence button held: lamp test')
        this.#on.lampTest()
      })
      this.#button.on('release', () => {
        held = false
      })
    }
    this.#ready = true
    this.#on.health(true)
  }

  show(frame: PanelFrame): void {
    if (!this.#ready) return
    try {
      for (const [id, lamp] of this.#lamps) {
        const dies = diesFor(frame.lamps[id] ?? 'off', lamp.amber !== null, frame.test)
        lamp.green.set(dies.green)
        lamp.red.set(dies.red)
        lamp.amber?.set(dies.amber)
      }
      this.#buzzer?.set(frame.buzzer)
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'panel write failed')
      this.#on.health(false, errorMessage(err))
    }
  }

  async stop(): Promise<void> {
    if (this.#ready) this.show({ lamps: {}, summary: 'off', buzzer: false, test: false })
    this.#ready = false
    this.#button?.removeAllListeners()
    // the board itself is the box's (modem keys and FXO inputs use it too): whoever made it closes it
  }
}
