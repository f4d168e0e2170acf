import { PI_BOARDS, type PiBoardName } from './board-maps.js'

/** The simulated board: pins 0..31 (boards/sim.yaml). The Pi boards' pins come from boards/<name>.yaml (board-maps.ts); Firmata boards say their own. */
export const BOARDS = {
  sim: { pins: 32, description: 'simulated pins 0..31 (boards/sim.yaml)' },
} as const

/** Firmata pins by number: Arduino Mega has 70, a Pico 29; the board itself refuses a pin it lacks, at start-up. */
export const FIRMATA_MAX_PIN = 127

export function isPiBoard(board: string): board is PiBoardName {
  return (PI_BOARDS as readonly string[]).includes(board)
}
