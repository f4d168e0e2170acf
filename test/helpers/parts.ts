import type { ModemSnapshot } from '../../src/core/state.js'
import { initialModem } from '../../src/modem/modem-state.js'

/** A modem snapshot in a given condition, for table tests. */
export function modemIn(patch: Partial<ModemSnapshot>, id = 'gsm1'): ModemSnapshot {
  return { ...initialModem({ id, port: 'sim:x', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 30 }, 0), ...patch }
}

/** Line hysteresis that changes state on the first report: for tests about something else. */
export const INSTANT = { downAfter: 1, downAfterSeconds: 0, upAfter: 1, holdDownSeconds: 0 }

/** The defaults of a line's config (as the schema fills them in), with INSTANT hysteresis: spread into LineConfig literals. */
export const LINE_DEFAULTS = { pbxReports: false, watchSilence: true, withdrawWhenDown: true, hysteresis: INSTANT } as const
