import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Journal } from '../core/journal.js'
import type { Logger } from '../core/logger.js'

/**
 * Versions before the journal kept the outbox in `outbox.json` and the raised
 * alerts in `alerts.json`. Their contents become the journal's first records;
 * call `done()` once the sections are registered: it writes the journal and
 * only then deletes the old files, so a power cut in between loses nothing.
 */
export function adoptLegacyState(journal: Journal, stateDir: string, log: Logger): { done(): void } {
  const taken: string[] = []
  const read = (name: string): unknown => {
    const file = join(stateDir, name)
    if (!existsSync(file)) return undefined
    try {
      return JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      log.warn({ file, err: (err as Error).message }, 'an old state file cannot be read; left as it is')
      return undefined
    }
  }
  const outbox = read('outbox.json') as { nextSeq?: number; messages?: { seq: number; topic: string; payload: string }[] } | undefined
  if (outbox && Array.isArray(outbox.messages) && typeof outbox.nextSeq === 'number') {
    const records = [{ next: outbox.nextSeq, dropped: { event: 0, call: 0, alert: 0 } }, ...outbox.messages.map((m) => ({ m: [m.seq, m.topic, m.payload] }))]
    if (journal.adopt('outbox', records)) taken.push('outbox.json')
  }
  const alerts = read('alerts.json') as { active?: unknown[] } | undefined
  if (alerts && Array.isArray(alerts.active) && journal.adopt('alerts', [{ active: alerts.active }])) taken.push('alerts.json')
  return {
    done() {
      if (!taken.length) return
      journal.flushNow()
      for (const f of taken) rmSync(join(stateDir, f), { force: true })
      log.info({ files: taken }, 'state moved into the journal')
    },
  }
}
