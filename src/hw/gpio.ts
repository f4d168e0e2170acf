import { SimIO, SIM_PIN_COUNT } from '../sim/gpio.js'

export type BoardName = 'sim'

/** The johnny-five IO plugin for the configured board. Real-board plugins (gpiod, Firmata) come next. */
export function createIo(board: BoardName): SimIO {
  switch (board) {
    case 'sim':
      return new SimIO({ pinCount: SIM_PIN_COUNT })
  }
}
