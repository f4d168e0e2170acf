/** The long-running commands' way out: SIGTERM or SIGINT, a clean stop within the systemd budget. */
import { errorMessage } from '../core/errors.js'

/** SIGTERM must leave nothing running within 2 s; this is the last resort. */
const HARD_STOP_MS = 1900

/** Wait for SIGTERM or SIGINT, then stop cleanly; exit 1 if stopping hangs. */
export function untilSignal(stop: () => Promise<void>, already: string | null = null): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (sig: string) => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      process.stderr.write(`linewatch: ${sig}, stopping\n`)
      const hard = setTimeout(() => {
        process.stderr.write('linewatch: stop took too long; exiting\n')
        process.exit(1)
      }, HARD_STOP_MS)
      hard.unref()
      stop().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`linewatch: error while stopping: ${errorMessage(err)}\n`)
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    if (already) onSignal(already)
  })
}
