/** The boards the box can drive and their pins. Real Pi pin maps (boards/*.yaml) come with the GPIO plugins. */
export const BOARDS = {
  sim: { pins: 32, description: 'simulated pins 0..31 (boards/sim.yaml)' },
} as const

export type BoardName = keyof typeof BOARDS
