import type { Config } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { OutputPins } from '../modem/driver.js'
import { SimIO } from '../sim/gpio.js'
import { loadBoardMap } from './board-maps.js'
import { BOARDS, isPiBoard } from './boards.js'
import type { IoPlugin } from './io/contract.js'
import { openFirmata } from './io/firmata.js'
import { GpiodIO } from './io/gpiod.js'
import type { GpioChip } from './io/gpio-chip.js'
import { openGpioV2Chip, type GpioV2Native } from './io/gpio-v2-chip.js'
import { openLibgpiodChip } from './io/libgpiod-chip.js'

/** The johnny-five IO plugin for the configured board: every GPIO of the box (panel, modem keys, FXO inputs, relays) goes through it. */
export function createIo(config: Pick<Config, 'board' | 'firmata'>, clock: Clock): IoPlugin {
  const board = config.board
  if (board === 'sim') return new SimIO({ pinCount: BOARDS.sim.pins })
  if (board === 'firmata') {
    if (!config.firmata) throw new Error('board: firmata needs firmata.port (validation checks this)')
    return openFirmata({ port: config.firmata.port, baudRate: config.firmata.baudRate })
  }
  if (isPiBoard(board)) {
    const map = loadBoardMap(board)
    // the chip is opened when the plugin starts, so a box without GPIO access still starts and reports it;
    // inputs follow edge events unless LINEWATCH_GPIO_INPUTS=poll (a kernel or tool that misbehaves, a measurement)
    const inputs = process.env.LINEWATCH_GPIO_INPUTS === 'poll' ? 'poll' : 'events'
    return new GpiodIO({ chip: () => openKernelChip({ labels: map.chipLabels, fallback: map.chipFallback }), pins: map.pins, clock, inputs })
  }
  throw new Error(`unknown board ${String(board)}`)
}

/**
 * The Pi's chip: through the v2 uAPI addon where it is built (events on Node's loop), else through
 * node-libgpiod and gpiomon (ABI v1: kernels built without it, as 7.x, refuse that one).
 */
export function openKernelChip(opts: { labels: string[]; fallback: string }, v2?: () => GpioV2Native, v1: typeof openLibgpiodChip = openLibgpiodChip): GpioChip {
  let v2err: Error
  try {
    return openGpioV2Chip(opts, v2)
  } catch (err) {
    v2err = err as Error
  }
  try {
    return v1(opts)
  } catch (err) {
    throw new Error(`${(err as Error).message} (and ${v2err.message})`)
  }
}

/** The pin index of a config pin (a number, or a name such as GPIO17 that the board's plugin knows). */
export function pinIndex(io: Pick<IoPlugin, 'normalize'>, pin: number | string): number {
  if (typeof pin === 'number') return pin
  if (io.normalize) return io.normalize(pin)
  const n = Number(pin)
  if (!Number.isInteger(n)) throw new RangeError(`this board has no pin named ${pin}`)
  return n
}

/** What input monitors use of an IO plugin (the johnny-five contract): modes, the pull-up, reads on every change of level. */
export type InputPins = Pick<IoPlugin, 'MODES' | 'pinMode' | 'digitalWrite' | 'digitalRead' | 'normalize'>

/** The outputs drivers drive (a modem's power key and supply), straight on the IO plugin; time from the injected clock. */
export function outputPins(io: IoPlugin, clock: Clock): OutputPins {
  return {
    write(pin, level) {
      const p = pinIndex(io, pin)
      io.pinMode(p, io.MODES.OUTPUT)
      io.digitalWrite(p, level)
    },
    pulse(pin, ms) {
      const p = pinIndex(io, pin)
      io.pinMode(p, io.MODES.OUTPUT)
      io.digitalWrite(p, 1)
      clock.setTimeout(() => io.digitalWrite(p, 0), ms)
    },
  }
}
