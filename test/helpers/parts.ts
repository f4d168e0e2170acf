import type { ModemSnapshot } from '../../src/core/state.js'
import { initialModem } from '../../src/modem/modem-state.js'

/** A modem snapshot in a given condition, for table tests. */
export function modemIn(patch: Partial<ModemSnapshot>, id = 'gsm1'): ModemSnapshot {
  return { ...initialModem({ id, port: 'sim:x', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30 }, 0), ...patch }
}
