/**
 * The call records, one row per call, in SQLite on the state disk: WAL, the
 * rows of a moment written together in one transaction (at most one commit a
 * second, so an SD card sees one fsync a second under load and none at idle),
 * kept for `retentionMonths` and within a disk budget (the oldest go first).
 */
import { statSync } from 'node:fs'
import type { Clock, Timer } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import { errorMessage } from '../core/errors.js'
import { openDatabase, type Database, type Statement } from './db.js'

export type CallDirection = 'in' | 'out'
/**
 * Incoming: answered, missed (rang, never answered), abandoned (the caller gave up in the PBX's queue),
 * unknown (only an analog line's ring detect saw it: the ringing stops alike when someone answers and
 * when the caller gives up). Outgoing: answered, busy, no-answer, failed.
 */
export type StatsOutcome = 'answered' | 'missed' | 'abandoned' | 'unknown' | 'busy' | 'no-answer' | 'failed'

export interface CallRow {
  id: string
  line: string | null
  direction: CallDirection
  /** E.164 where the number could be read so; null when withheld. */
  caller: string | null
  called: string | null
  started: number
  answered: number | null
  ended: number | null
  ringMs: number | null
  talkMs: number | null
  /** null while the call is on. */
  outcome: StatsOutcome | null
  path: string | null
  cost: number | null
  currency: string | null
  /** A test call of the box's own: kept, marked, and left out of every figure. */
  test: boolean
  /** Who saw it: modem, routing, pbx. */
  sources: string[]
  /** The PBX's queue and agent, when it said. */
  queue?: string | null
  agent?: string | null
  /** A routed call: of its talk, the seconds a bundle covered; and its price on the baseline path (the saving's yardstick). */
  bundleSeconds?: number | null
  baselineCost?: number | null
}

/** A line's state from `at` on (its availability, its outages). */
export interface LineStateRow {
  line: string
  at: number
  state: string
  reason: string
}

const COLUMNS = 'id, line, direction, caller, called, started, answered, ended, ring_ms, talk_ms, outcome, path, cost, currency, test, sources, queue, agent, bundle_s, baseline_cost'

type Raw = { id: string; line: string | null; direction: CallDirection; caller: string | null; called: string | null; started: number; answered: number | null; ended: number | null; ring_ms: number | null; talk_ms: number | null; outcome: StatsOutcome | null; path: string | null; cost: number | null; currency: string | null; test: number; sources: string; queue: string | null; agent: string | null; bundle_s: number | null; baseline_cost: number | null }

const fromRaw = (r: Raw): CallRow => ({
  id: r.id,
  line: r.line,
  direction: r.direction,
  caller: r.caller,
  called: r.called,
  started: Number(r.started),
  answered: r.answered === null ? null : Number(r.answered),
  ended: r.ended === null ? null : Number(r.ended),
  ringMs: r.ring_ms === null ? null : Number(r.ring_ms),
  talkMs: r.talk_ms === null ? null : Number(r.talk_ms),
  outcome: r.outcome,
  path: r.path,
  cost: r.cost,
  currency: r.currency,
  test: Number(r.test) === 1,
  sources: r.sources ? r.sources.split(',') : [],
  ...(r.queue !== null ? { queue: r.queue } : {}),
  ...(r.agent !== null ? { agent: r.agent } : {}),
  ...(r.bundle_s !== null ? { bundleSeconds: Number(r.bundle_s) } : {}),
  ...(r.baseline_cost !== null ? { baselineCost: r.baseline_cost } : {}),
})

export interface CallLogOptions {
  file: string
  log: Logger
  retentionMonths: number
  /** The database's size limit in bytes (WAL included). */
  budgetBytes: number
  clock: Clock
}

const MONTH_MS = 30.44 * 86_400_000
/** Rows wait this long to be written together: one commit (one fsync) a second at most. */
const FLUSH_MS = 1000

export class CallLog {
  readonly #o: CallLogOptions
  readonly #db: Database
  readonly #upsert: Statement
  /** Prepared once: each prepare compiles, and a box asks the same questions all day. */
  readonly #q: Record<'get' | 'between' | 'followUp' | 'count' | 'delete', Statement>
  readonly #pending = new Map<string, CallRow>()
  readonly #deletes = new Set<string>()
  readonly #states: LineStateRow[] = []
  readonly #blocked: { line: string; at: number; cause: string | null }[] = []
  #timer: Timer | null = null

  constructor(o: CallLogOptions) {
    this.#o = o
    this.#db = openDatabase(o.file)
    // auto_vacuum first: it takes only on a database with nothing in it yet (WAL mode already writes its header).
    // WAL: readers never wait for the writer; FULL: a commit is on the card when it returns (one a second at most)
    this.#db.exec(`PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -1024;
      CREATE TABLE IF NOT EXISTS calls (
        id TEXT PRIMARY KEY, line TEXT, direction TEXT NOT NULL, caller TEXT, called TEXT,
        started INTEGER NOT NULL, answered INTEGER, ended INTEGER, ring_ms INTEGER, talk_ms INTEGER,
        outcome TEXT, path TEXT, cost REAL, currency TEXT, test INTEGER NOT NULL DEFAULT 0, sources TEXT NOT NULL, queue TEXT, agent TEXT, bundle_s INTEGER, baseline_cost REAL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS calls_started ON calls(started);
      CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller, started);
      CREATE INDEX IF NOT EXISTS calls_called ON calls(called, started);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS blocked (line TEXT NOT NULL, at INTEGER NOT NULL, cause TEXT);
      CREATE INDEX IF NOT EXISTS blocked_at ON blocked(at);
      CREATE TABLE IF NOT EXISTS marks (id TEXT PRIMARY KEY, at INTEGER NOT NULL, by TEXT) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS line_states (line TEXT NOT NULL, at INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (line, at)) WITHOUT ROWID;`)
    // a database from before the money figures: its rows have no bundle seconds or baseline price (null)
    const have = new Set((this.#db.prepare('PRAGMA table_info(calls)').all() as { name: string }[]).map((c) => c.name))
    for (const [name, type] of [['bundle_s', 'INTEGER'], ['baseline_cost', 'REAL']]) if (!have.has(name!)) this.#db.exec(`ALTER TABLE calls ADD COLUMN ${name} ${type}`)
    this.#upsert = this.#db.prepare(`INSERT OR REPLACE INTO calls (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    this.#q = {
      get: this.#db.prepare(`SELECT ${COLUMNS} FROM calls WHERE id = ?`),
      between: this.#db.prepare(`SELECT ${COLUMNS} FROM calls WHERE started >= ? AND started < ? ORDER BY started`),
      // two indexed lookups, the earlier wins: the store's call to the number, or the caller's answered call
      followUp: this.#db.prepare(
        `SELECT ${COLUMNS} FROM (SELECT * FROM calls WHERE called = ? AND direction = 'out' AND started > ? AND test = 0 ORDER BY started LIMIT 1)
         UNION ALL SELECT ${COLUMNS} FROM (SELECT * FROM calls WHERE caller = ? AND direction = 'in' AND outcome = 'answered' AND started > ? AND test = 0 ORDER BY started LIMIT 1)
         ORDER BY started LIMIT 1`,
      ),
      count: this.#db.prepare('SELECT count(*) AS n FROM calls'),
      delete: this.#db.prepare('DELETE FROM calls WHERE id = ?'),
    }
  }

  get engine(): string {
    return this.#db.engine
  }

  /** A call as known now; a later put of the same id replaces it. Written within a second. */
  put(row: CallRow): void {
    this.#deletes.delete(row.id)
    this.#pending.set(row.id, row)
    this.#schedule()
  }

  /** A line's state changed (for its availability): written with the next batch. */
  putState(s: LineStateRow): void {
    this.#states.push(s)
    this.#schedule()
  }

  /** A person's word that a missed call was dealt with (called back from a mobile, say): kept at once. */
  mark(id: string, at: number, by: string | null): void {
    this.#db.prepare('INSERT OR REPLACE INTO marks (id, at, by) VALUES (?, ?, ?)').run(id, at, by)
  }

  marked(id: string): { at: number; by: string | null } | null {
    const r = this.#db.prepare('SELECT at, by FROM marks WHERE id = ?').get(id) as { at: number; by: string | null } | undefined
    return r ? { at: Number(r.at), by: r.by } : null
  }

  /** A call the carrier refused (the PBX's `refused`): a blocked attempt for the capacity figures. */
  putBlocked(line: string, at: number, cause: string | null): void {
    this.#blocked.push({ line, at, cause })
    this.#schedule()
  }

  /** Blocked attempts per line in [from, to). */
  blockedBetween(from: number, to: number): Map<string, number> {
    this.flush()
    const rows = this.#db.prepare('SELECT line, count(*) AS n FROM blocked WHERE at >= ? AND at < ? GROUP BY line').all(from, to) as { line: string; n: number }[]
    return new Map(rows.map((r) => [r.line, Number(r.n)]))
  }

  /** The state changes of [from, to), and each line's state in force at `from`, oldest first. */
  states(from: number, to: number): LineStateRow[] {
    this.flush()
    const before = this.#db.prepare('SELECT line, max(at) AS at FROM line_states WHERE at < ? GROUP BY line').all(from) as { line: string; at: number }[]
    const first = before.map((b) => this.#db.prepare('SELECT line, at, state, reason FROM line_states WHERE line = ? AND at = ?').get(b.line, b.at) as LineStateRow)
    const during = this.#db.prepare('SELECT line, at, state, reason FROM line_states WHERE at >= ? AND at < ? ORDER BY at').all(from, to) as LineStateRow[]
    return [...first, ...during].map((r) => ({ line: r.line, at: Number(r.at), state: r.state, reason: r.reason }))
  }

  /**
   * The wall clock was set (the first NTP sync of a box without a battery clock): what was stamped in
   * [from, to] on the old clock moves by `delta`, in one transaction. Returns the calls moved.
   */
  shift(from: number, to: number, delta: number): number {
    this.flush()
    this.#db.exec('BEGIN')
    try {
      const moved = this.#db.prepare('UPDATE calls SET started = started + ?, answered = answered + ?, ended = ended + ? WHERE started >= ? AND started <= ?').run(delta, delta, delta, from, to).changes
      this.#db.prepare('UPDATE OR REPLACE line_states SET at = at + ? WHERE at >= ? AND at <= ?').run(delta, from, to)
      this.#db.prepare('UPDATE blocked SET at = at + ? WHERE at >= ? AND at <= ?').run(delta, from, to)
      this.#db.exec('COMMIT')
      return Number(moved)
    } catch (err) {
      this.#db.exec('ROLLBACK')
      throw err
    }
  }

  /** A row merged into another (a routed attempt found its modem call). */
  remove(id: string): void {
    this.#pending.delete(id)
    this.#deletes.add(id)
    this.#schedule()
  }

  /** What is waiting to be written, then the database, for one id. */
  get(id: string): CallRow | null {
    const waiting = this.#pending.get(id)
    if (waiting) return waiting
    if (this.#deletes.has(id)) return null
    const r = this.#q.get.get(id) as Raw | undefined
    return r ? fromRaw(r) : null
  }

  /** The calls that started in [from, to), oldest first, the waiting ones included. */
  between(from: number, to: number): CallRow[] {
    this.flush()
    return (this.#q.between.all(from, to) as Raw[]).map(fromRaw)
  }

  /** The first call after `after` that answers a missed one from `number`: the store calling back, or the caller answered. */
  followUp(number: string, after: number): CallRow | null {
    this.flush()
    const r = this.#q.followUp.get(number, after, number, after) as Raw | undefined
    return r ? fromRaw(r) : null
  }

  /** A small fact kept with the records (the last finished day sent to the office): read. */
  meta(key: string): string | null {
    const r = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    return r?.value ?? null
  }

  /** …and written at once, in its own transaction. */
  setMeta(key: string, value: string): void {
    this.#db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value)
  }

  count(): number {
    this.flush()
    return Number((this.#q.count.get() as { n: number | bigint }).n)
  }

  /** Writes what waits, in one transaction. */
  flush(): void {
    this.#timer?.cancel()
    this.#timer = null
    if (!this.#pending.size && !this.#deletes.size && !this.#states.length && !this.#blocked.length) return
    try {
      this.#db.exec('BEGIN')
      for (const id of this.#deletes) this.#q.delete.run(id)
      for (const r of this.#pending.values()) {
        this.#upsert.run(r.id, r.line, r.direction, r.caller, r.called, r.started, r.answered, r.ended, r.ringMs, r.talkMs, r.outcome, r.path, r.cost, r.currency, r.test ? 1 : 0, r.sources.join(','), r.queue ?? null, r.agent ?? null, r.bundleSeconds ?? null, r.baselineCost ?? null)
      }
      for (const st of this.#states) this.#db.prepare('INSERT OR REPLACE INTO line_states (line, at, state, reason) VALUES (?, ?, ?, ?)').run(st.line, st.at, st.state, st.reason)
      for (const b of this.#blocked) this.#db.prepare('INSERT INTO blocked (line, at, cause) VALUES (?, ?, ?)').run(b.line, b.at, b.cause)
      this.#db.exec('COMMIT')
      this.#pending.clear()
      this.#deletes.clear()
      this.#states.length = 0
      this.#blocked.length = 0
    } catch (err) {
      try {
        this.#db.exec('ROLLBACK')
      } catch {
        // nothing was begun
      }
      // kept in memory: the next flush tries again (a full or read-only disk is reported by the storage watch)
      this.#o.log.warn({ err: errorMessage(err), waiting: this.#pending.size }, 'call records not written; kept in memory and tried again')
    }
  }

  /** Drops calls older than the retention, then the oldest until the file is within its budget. Returns how many went. */
  prune(): number {
    this.flush()
    const oldest = this.#o.clock.now() - this.#o.retentionMonths * MONTH_MS
    let gone = Number(this.#db.prepare('DELETE FROM calls WHERE started < ?').run(oldest).changes)
    this.#db.prepare('DELETE FROM line_states WHERE at < ?').run(oldest)
    this.#db.prepare('DELETE FROM blocked WHERE at < ?').run(oldest)
    this.#db.prepare('DELETE FROM marks WHERE at < ?').run(oldest)
    for (let round = 0; round < 20 && this.bytes() > this.#o.budgetBytes; round++) {
      const n = Number((this.#q.count.get() as { n: number | bigint }).n)
      if (n === 0) break
      // the oldest rows, as many as the excess is of the file, and a twentieth more so it is not done again tomorrow
      const share = Math.min(0.9, 1 - this.#o.budgetBytes / this.bytes() + 0.05)
      gone += Number(this.#db.prepare('DELETE FROM calls WHERE id IN (SELECT id FROM calls ORDER BY started LIMIT ?)').run(Math.max(1, Math.ceil(n * share))).changes)
      this.#db.exec('PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);')
    }
    return gone
  }

  /** The database on disk, its write-ahead log included. */
  bytes(): number {
    const size = (f: string) => {
      try {
        return statSync(f).size
      } catch {
        return 0
      }
    }
    return size(this.#o.file) + size(`${this.#o.file}-wal`)
  }

  close(): void {
    this.flush()
    this.#db.close()
  }

  #schedule(): void {
    if (this.#timer) return
    this.#timer = this.#o.clock.setTimeout(() => this.flush(), FLUSH_MS)
  }
}
