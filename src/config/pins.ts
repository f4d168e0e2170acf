/**
 * Config pins against the board: a pin that the board does not have, a
 * power or ground pin, or one line used twice (under two names: GPIO17 and
 * pin11 are the same wire) is refused at validation, not found at start-up.
 */
import { loadBoardMap, resolvePin } from '../hw/board-maps.js'
import { BOARDS, FIRMATA_MAX_PIN, isPiBoard } from '../hw/boards.js'
import type { Config } from './schema.js'

/** A pin as the board sees it: `key` is the same for two names of one wire. */
export type BoardPinCheck = { ok: true; key: string; label: string } | { ok: false; message: string }

export function checkBoardPin(board: Config['board'], pin: number | string): BoardPinCheck {
  if (isPiBoard(board)) {
    const r = resolvePin(loadBoardMap(board), pin)
    return r.ok ? { ok: true, key: `line${r.pin.line}`, label: `${r.pin.name} (header pin ${r.pin.header})` } : r
  }
  const max = board === 'sim' ? BOARDS.sim.pins - 1 : FIRMATA_MAX_PIN
  if (typeof pin === 'number' && Number.isInteger(pin) && pin >= 0 && pin <= max) return { ok: true, key: String(pin), label: `pin ${pin}` }
  return { ok: false, message: `board ${board} has pins 0..${max} by number, not ${JSON.stringify(pin)}` }
}

/** Claims pins one by one and says what is wrong with each claim (null when nothing is). */
export function pinClaims(board: Config['board']): (pin: number | string, owner: string) => string | null {
  const owners = new Map<string, string>()
  return (pin, owner) => {
    const r = checkBoardPin(board, pin)
    if (!r.ok) return r.message
    const prev = owners.get(r.key)
    if (prev !== undefined) return `${r.label} is already used by ${prev}`
    owners.set(r.key, owner)
    return null
  }
}
