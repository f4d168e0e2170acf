import { isRegistered, type ModemSnapshot, type PartState } from '../core/state.js'

/**
 * A GSM line is as good as the modem (SIM channel) that carries it: down when
 * the modem is not answering or not registered, up when registered.
 * Pure: the snapshot of the modem in, the line's state and reason out.
 */
export function gsmLineState(modemId: string | null, modem: ModemSnapshot | undefined): { state: PartState; reason: string } {
  if (!modemId || !modem) return { state: 'unknown', reason: 'no modem for this line' }
  if (modem.state === 'unknown') return { state: 'unknown', reason: `waiting for modem ${modemId}` }
  if (modem.state === 'down') return { state: 'down', reason: `modem ${modemId}: ${modem.reason}` }
  if (isRegistered(modem.registration)) {
    // no signal figure here: it is in the modem's state, and a line must not change with every poll
    return { state: 'up', reason: `modem ${modemId} ${modem.reason}` }
  }
  return { state: 'down', reason: `modem ${modemId} ${modem.reason}` }
}
