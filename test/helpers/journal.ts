import { join } from 'node:path'
import type { Test } from 'tap'
import { Journal, type JournalOptions } from '../../src/core/journal.js'
import { silentLogger } from '../../src/core/logger.js'
import { tempDir } from './tmp.js'

/** A journal in a folder of its own, opened, and closed when the test ends. */
export function tempJournal(t: Test, opts: JournalOptions = {}, dir = tempDir(t, 'lw-journal-')): Journal {
  const j = new Journal(join(dir, 'journal.log'), silentLogger(), opts)
  j.open()
  t.teardown(() => j.close())
  return j
}
