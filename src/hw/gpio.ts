import { SimIO } from '../sim/gpio.js'
import { BOARDS, type BoardName } from './boards.js'

/** The johnny-five IO plugin for the configured board. Real-board plugins (gpiod, Firmata) come next. */
export function createIo(board: BoardName): SimIO {
  switch (board) {
    case 'sim':
      return new SimIO({ pinCount: BOARDS.sim.pins })
  }
}
