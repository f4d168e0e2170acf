import type { Clock } from '../core/clock.js'
import type { OutputPins } from '../modem/driver.js'
import { SimIO } from '../sim/gpio.js'
import { BOARDS, type BoardName } from './boards.js'

/** The johnny-five IO plugin for the configured board. Real-board plugins (gpiod, Firmata) come next. */
export function createIo(board: BoardName): SimIO {
  switch (board) {
    case 'sim':
      return new SimIO({ pinCount: BOARDS.sim.pins })
  }
}

/** What input monitors use of an IO plugin (the johnny-five contract): modes, the pull-up, reads on every change of level. */
export type InputPins = Pick<SimIO, 'MODES' | 'pinMode' | 'digitalWrite' | 'digitalRead'>

/** The outputs drivers drive (a modem's power key and supply), straight on the IO plugin; time from the injected clock. */
export function outputPins(io: SimIO, clock: Clock): OutputPins {
  return {
    write(pin, level) {
      const p = Number(pin)
      io.pinMode(p, io.MODES.OUTPUT)
      io.digitalWrite(p, level)
    },
    pulse(pin, ms) {
      const p = Number(pin)
      io.pinMode(p, io.MODES.OUTPUT)
      io.digitalWrite(p, 1)
      clock.setTimeout(() => io.digitalWrite(p, 0), ms)
    },
  }
}
