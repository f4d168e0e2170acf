/**
 * The embedded SQL database the call records live in: SQLite, through Node's
 * own `node:sqlite` where the Node version has it (22 and later: the SD
 * image), else better-sqlite3 (an optional dependency, compiled at install).
 * Both are synchronous and alike; this is the little of them the box uses.
 */
import { createRequire } from 'node:module'

export interface Statement {
  run(...params: unknown[]): { changes: number | bigint }
  all(...params: unknown[]): unknown[]
  get(...params: unknown[]): unknown
}

export interface Database {
  exec(sql: string): void
  prepare(sql: string): Statement
  close(): void
  /** Which engine opened it: `node:sqlite` or `better-sqlite3`. */
  readonly engine: string
}

const require = createRequire(import.meta.url)

/** Opens (or creates) a database file; throws one sentence when neither engine is there. */
export function openDatabase(file: string): Database {
  const errors: string[] = []
  try {
    // node:sqlite prints an ExperimentalWarning once; it is the engine the image's Node 22 has
    const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (f: string) => Omit<Database, 'engine'> }
    const db = new DatabaseSync(file)
    return { exec: (s) => db.exec(s), prepare: (s) => db.prepare(s), close: () => db.close(), engine: 'node:sqlite' }
  } catch (err) {
    errors.push(`node:sqlite: ${(err as Error).message.split('\n')[0]}`)
  }
  try {
    const Better = require('better-sqlite3') as new (f: string) => Omit<Database, 'engine'>
    const db = new Better(file)
    return { exec: (s) => db.exec(s), prepare: (s) => db.prepare(s), close: () => db.close(), engine: 'better-sqlite3' }
  } catch (err) {
    errors.push(`better-sqlite3: ${(err as Error).message.split('\n')[0]}`)
  }
  throw new Error(`no SQLite engine: Node 22 or later has one built in, else npm install better-sqlite3 (${errors.join('; ')})`)
}
