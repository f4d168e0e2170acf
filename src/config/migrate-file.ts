/**
 * Rewriting an older config file in the current format (`linewatch config migrate`, and once an update is
 * confirmed healthy: src/update/confirm-cli.ts). The old file is kept beside it as `<file>.v<N>` (N its
 * configVersion), then the new one replaces it atomically: a power cut leaves the old file or the new, whole.
 * The migrated text must validate before anything is written: a file is never swapped for one the box refuses.
 */
import { readFile, stat } from 'node:fs/promises'
import { parseDocument } from 'yaml'
import { writeFileAtomic } from '../core/atomic-file.js'
import { errorMessage } from '../core/errors.js'
import { CONFIG_VERSION, documentVersion, migrateDocument, type MigrateOptions } from './migrate.js'
import { formatProblem, MAX_CONFIG_BYTES, tooBig, validateConfigText } from './validate.js'

export type FileMigration =
  | { outcome: 'current'; version: number }
  | { outcome: 'migrated'; from: number; to: number; steps: string[]; backup: string }
  | { outcome: 'refused'; problems: string[] }

export interface MigrateFileOptions extends MigrateOptions {
  /** Checks the migrated text; default: the real config's validation (tests with their own migrations give theirs). */
  check?: (text: string) => string[]
  /** Called after each file is on the card, before the next step (tests cut the power there). */
  step?: (what: 'backup' | 'temp') => void | Promise<void>
}

/** The version of the config text's format (1 when absent), or null when the text says no usable version. */
export function textVersion(text: string): number | null {
  const v = documentVersion(parseDocument(text))
  return 'version' in v ? v.version : null
}

export async function migrateConfigFile(file: string, o: MigrateFileOptions = {}): Promise<FileMigration> {
  let text: string
  let mode: number, uid: number, gid: number, atime: Date, mtime: Date
  try {
    const st = await stat(file)
    if (st.size > MAX_CONFIG_BYTES) return { outcome: 'refused', problems: [tooBig(st.size)] }
    ;({ mode, uid, gid, atime, mtime } = st)
    text = await readFile(file, 'utf8')
  } catch (err) {
    return { outcome: 'refused', problems: [`cannot read: ${errorMessage(err)}`] }
  }
  const doc = parseDocument(text, { uniqueKeys: true })
  // the same words and lines as `linewatch validate`
  if (doc.errors.length > 0) return { outcome: 'refused', problems: validateConfigText(text).problems.map(formatProblem) }
  const m = migrateDocument(doc, o)
  if ('problem' in m) return { outcome: 'refused', problems: [`configVersion: ${m.problem}`] }
  if (m.from === m.to) return { outcome: 'current', version: m.to }
  const next = doc.toString()
  const check = o.check ?? ((t: string) => validateConfigText(t).problems.map(formatProblem))
  const problems = check(next)
  if (problems.length > 0) return { outcome: 'refused', problems: [`migrated from configVersion ${m.from} to ${m.to}, the file would not be valid; left as it is:`, ...problems] }
  const backup = `${file}.v${m.from}`
  // the config may hold secrets (and is root's or the service's): both files keep its mode and owner; and its
  // times: an office copy (reload-config) counts while it is newer than the installer's file (config/reload.ts)
  // a fixed temp name: a rerun clears what a killed run left
  const keep = { mode: mode & 0o7777, owner: { uid, gid }, times: { atime, mtime } }
  await writeFileAtomic(backup, text, { ...keep, tmp: `${backup}.tmp-migrate` })
  await o.step?.('backup')
  await writeFileAtomic(file, next, { ...keep, tmp: `${file}.tmp-migrate`, afterTemp: () => o.step?.('temp') })
  return { outcome: 'migrated', from: m.from, to: m.to, steps: m.steps, backup }
}

/** migrationNote for the file itself, read only when an older format can exist (not at all while 1 is the only one). */
export async function fileMigrationNote(file: string, current = CONFIG_VERSION): Promise<string | null> {
  return current <= 1 ? null : migrationNote(file, await readFile(file, 'utf8').catch(() => ''), current)
}

/** One line for a log: what reading `text` in memory did, or null when it is already the current format. */
export function migrationNote(file: string, text: string, current = CONFIG_VERSION): string | null {
  if (current <= 1) return null // no file is older than the first format: nothing to parse at each start
  const v = textVersion(text)
  if (v === null || v >= current) return null
  return `${file} is configVersion ${v}: read migrated to ${current} in memory; the file is rewritten once an update is confirmed, or by linewatch config migrate --config ${file}`
}
