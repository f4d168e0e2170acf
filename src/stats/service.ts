/**
 * The statistics: the call log in the state folder, the recorder feeding it,
 * the daily prune, and the queries the HTTP side answers (GET /api/v1/stats,
 * GET /api/v1/stats/calls). Built at start; off with `stats.enabled: false` or
 * where no SQLite engine can be loaded (said in the log and the answers).
 */
import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { BundleStatus } from '../core/state.js'
import { bundleSeconds } from '../lcr/bundles.js'
import { baselinePathOf } from '../lcr/router.js'
import type { StateStore } from '../core/store.js'
import type { PbxReport } from '../lines/pbx-report.js'
import { CallLog, type CallRow } from './call-log.js'
import { availability, capacityFigures, dayFigures, followedUpWithin, incomingFigures, lineFigures, missedCalls, moneyFigures, pathFigures } from './figures.js'
import { missedCallsAlert, serviceLevelAlert } from '../alerts/rules.js'
import { CallRecorder, type TestInProgress } from './recorder.js'
import { bucketOf, dayStart, localHourStart, type Period } from './site-time.js'

const DAY_MS = 86_400_000
const PRUNE_EVERY_MS = DAY_MS
/** The widest period one question may cover: a year and a bit (a month's report takes milliseconds). */
export const MAX_RANGE_DAYS = 400
/** The share of missed calls followed up within this many minutes is a headline figure. */
const FOLLOW_UP_MINUTES = 15
/** A wall clock that moves this much more (or less) than monotonic time between two ticks was set. */
const CLOCK_JUMP_MS = 120_000

export interface StatsQuery {
  /** Site dates, YYYY-MM-DD, both included; default today. */
  from?: string
  to?: string
  by?: Period
  line?: string
}

export class StatsError extends Error {}

export interface StatsDeps {
  config: Config
  store: StateStore
  clock: Clock
  log: Logger
  testCall: () => TestInProgress | null
  /** The clock was already synchronised when the box started (systemd-timesyncd's flag): a later jump is not the first sync. */
  clockSyncedAtStart?: boolean
  /** The bundles' seconds left now (routing's count); none without routing. */
  bundles?: () => BundleStatus[]
}

export class StatsService {
  readonly #d: StatsDeps
  #log: CallLog | null = null
  #recorder: CallRecorder | null = null
  #prune: Timer | null = null
  /** Today's figures as last announced, so an idle minute sends nothing. */
  #lastToday = ''
  /** Wall and monotonic time at the last tick, to see the clock being set; and when this run's records began. */
  #clockMark: { wall: number; mono: number } | null = null
  #since = 0
  #clockSet = false
  /** Why there are no statistics (off, or no SQLite engine); null when they run. */
  unavailable: string | null = 'not started'

  constructor(deps: StatsDeps) {
    this.#d = deps
  }

  start(stateDir: string): void {
    const { stats } = this.#d.config
    if (!stats.enabled) {
      this.unavailable = 'statistics are off (stats.enabled: false)'
      return
    }
    try {
      this.#log = new CallLog({ file: join(stateDir, 'calls.sqlite'), log: this.#d.log, retentionMonths: stats.retentionMonths, budgetBytes: stats.diskMB * 1024 * 1024, clock: this.#d.clock })
    } catch (err) {
      this.unavailable = `no call records: ${errorMessage(err)}`
      this.#d.log.warn({ err: errorMessage(err) }, 'call records are off: the database could not be opened')
      return
    }
    this.unavailable = null
    this.#since = this.#d.clock.now()
    this.#clockSet = this.#d.clockSyncedAtStart ?? false
    this.#clockMark = null
    this.#recorder = new CallRecorder({ store: this.#d.store, log: this.#log, lines: this.#d.config.lines, numbering: this.#d.config.numbering, testCall: this.#d.testCall })
    this.#recorder.start()
    this.#pruneNow()
    this.#prune = this.#d.clock.setInterval(() => this.#pruneNow(), PRUNE_EVERY_MS)
  }

  /**
   * Each minute (Box's tick): today's figures into the retained `<base>/stats` when they changed, and once a
   * site day is over, its figures on `<base>/stats/day` (once: the day sent is kept with the records, so a
   * restart neither skips nor repeats it).
   */
  tick(now: number): void {
    const log = this.#log
    if (!log) return
    try {
      this.#clockJump(log, now)
      const tz = this.#d.config.timezone
      const today = bucketOf(now, 'day', tz)
      const figures = this.#day(log, today, now)
      const key = JSON.stringify(figures)
      if (key !== this.#lastToday) {
        this.#lastToday = key
        this.#d.store.setFigures('today', figures)
      }
      this.#alerts(log, now)
      const yesterday = bucketOf(dayStart(today, tz) - 3600_000, 'day', tz)
      const sent = log.meta('daySent')
      if (sent === null) return log.setMeta('daySent', yesterday) // a new box: nothing before today to send
      if (sent < yesterday) {
        // a box that was off over midnight sends the day it missed (only the last one: older ones are in the API)
        this.#d.store.setFigures('day', this.#day(log, yesterday, now))
        log.setMeta('daySent', yesterday)
      }
    } catch (err) {
      this.#d.log.warn({ err: errorMessage(err) }, 'the day\'s call figures could not be made')
    }
  }

  /**
   * A Pi has no battery clock: until NTP's first sync its clock is the last one saved (or 1970), and the
   * sync then moves it at once. Records made since start on the old clock move with it (their times
   * apart were right), so they are neither filed on the wrong day nor pruned as ancient. Only the first
   * jump, and only when the clock was not already synchronised at start: a later one is a person's doing.
   */
  #clockJump(log: CallLog, now: number): void {
    const mono = this.#d.clock.monotonic?.()
    if (mono === undefined) return
    const mark = this.#clockMark
    this.#clockMark = { wall: now, mono }
    if (!mark) return
    const expected = mark.wall + (mono - mark.mono)
    const delta = now - expected
    if (Math.abs(delta) < CLOCK_JUMP_MS) return
    if (this.#clockSet) return this.#d.log.warn({ seconds: Math.round(delta / 1000) }, 'the clock was moved; the call records keep the times they were given')
    this.#clockSet = true
    const moved = log.shift(this.#since, expected, delta)
    this.#since += delta
    this.#d.log.warn({ seconds: Math.round(delta / 1000), moved }, 'the clock was set (first sync): the call records made since start move with it')
  }

  /** The figures' alerts, when switched on: this hour's service level, missed calls left open too long. */
  #alerts(log: CallLog, now: number): void {
    const { stats, alerts, timezone: tz } = this.#d.config
    const lang = alerts.language
    // switched off (after a restart that kept one raised): cleared
    if (!stats.alerts.serviceLevel) this.#d.store.setAlert(serviceLevelAlert(null, 0, stats.serviceLevel, lang))
    if (stats.alerts.missedNotCalledBackMinutes === 0) this.#d.store.setAlert(missedCallsAlert(0, null, 0, lang))
    if (stats.alerts.serviceLevel) {
      const hour = bucketOf(now, 'hour', tz)
      const from = localHourStart(now, tz)
      const rows = log.between(from, now + 1).filter((r) => bucketOf(r.started, 'hour', tz) === hour)
      const f = incomingFigures(rows, stats.serviceLevel)
      this.#d.store.setAlert(serviceLevelAlert(f.serviceLevel, f.offered, stats.serviceLevel, lang))
    }
    const minutes = stats.alerts.missedNotCalledBackMinutes
    if (minutes > 0) {
      const rows = log.between(dayStart(bucketOf(now, 'day', tz), tz), now + 1)
      const late = missedCalls(rows, (n, after) => log.followUp(n, after), now, (id) => log.marked(id)).filter((m) => !m.followedUp && m.waitingSeconds > minutes * 60)
      this.#d.store.setAlert(missedCallsAlert(late.length, late[0]?.caller ?? null, minutes, lang))
    }
  }

  #day(log: CallLog, day: string, now: number) {
    const tz = this.#d.config.timezone
    const from = dayStart(day, tz)
    const to = dayStart(bucketOf(from + 36 * 3600_000, 'day', tz), tz)
    return dayFigures(day, log.between(from, to), (n, after) => log.followUp(n, after), now, tz, this.#d.config.stats.serviceLevel, (id) => log.marked(id))
  }

  stop(): void {
    this.#prune?.cancel()
    this.#recorder?.stop()
    this.#recorder = null
    this.#log?.close()
    this.#log = null
  }

  /** A PBX report on a line with pbxReports (Box passes each one on). */
  pbxReport(line: string, report: PbxReport, now: number): void {
    this.#recorder?.pbx(line, report, now)
  }

  get log(): CallLog | null {
    return this.#log
  }

  /** The figures for a period: per line and bucket, per path, the missed calls and their follow-up. */
  figures(q: StatsQuery): unknown {
    const { log, from, to, by } = this.#range(q)
    const tz = this.#d.config.timezone
    const target = this.#d.config.stats.serviceLevel
    const all = this.#rows(log, from, to, q.line, true)
    const rows = all.filter((r) => !r.test)
    const now = this.#d.clock.now()
    const missed = missedCalls(rows, (n, after) => log.followUp(n, after), now, (id) => log.marked(id))
    return {
      from: q.from ?? bucketOf(now, 'day', tz),
      to: q.to ?? q.from ?? bucketOf(now, 'day', tz),
      by,
      timeZone: tz,
      serviceLevelTarget: target,
      lines: lineFigures(rows, by, tz, target),
      paths: pathFigures(rows),
      money: { ...moneyFigures(rows, baselinePathOf(this.#d.config.routing)), bundles: this.#bundles() },
      availability: availability(log.states(from, to), this.#d.config.lines.filter((l) => q.line === undefined || l.id === q.line).map((l) => l.id), from, to, now, tz),
      capacity: capacityFigures(rows, this.#d.config.lines.filter((l) => q.line === undefined || l.id === q.line), tz, log.blockedBetween(from, to)),
      missed: {
        open: missed.filter((m) => !m.followedUp).length,
        followedUpWithin15Minutes: followedUpWithin(missed, FOLLOW_UP_MINUTES),
        calls: missed,
      },
      testCalls: all.length - rows.length,
    }
  }

  /** Each bundle's minutes in its current period: bought, used, left (routing's own count). */
  #bundles(): { plan: string; bundle: string; path: string | null; minutes: number | null; usedMinutes: number | null; leftMinutes: number | null }[] {
    const plans = this.#d.config.routing.plans
    return (this.#d.bundles?.() ?? []).map((b) => {
      const cfg = plans.find((p) => p.id === b.plan)?.bundles.find((x) => x.id === b.bundle)
      const seconds = cfg ? bundleSeconds(cfg) : Infinity
      const total = Number.isFinite(seconds) ? seconds / 60 : null
      const left = b.secondsLeft === null ? null : Math.round(b.secondsLeft / 6) / 10
      return { plan: b.plan, bundle: b.bundle, path: b.path, minutes: total, usedMinutes: total === null || left === null ? null : Math.round((total - left) * 10) / 10, leftMinutes: left }
    })
  }

  /** A person marks a missed call as dealt with (the page's "called back"): false when there is no such missed call. */
  markCalledBack(id: string, by: string | null): boolean {
    const log = this.#log
    if (!log) throw new StatsError(this.unavailable ?? 'statistics are not running')
    const row = log.get(id)
    if (!row || row.direction !== 'in' || (row.outcome !== 'missed' && row.outcome !== 'abandoned')) return false
    log.mark(id, this.#d.clock.now(), by)
    return true
  }

  /** The call records of a period (test calls marked), oldest first. */
  calls(q: StatsQuery): CallRow[] {
    const { log, from, to } = this.#range(q)
    return this.#rows(log, from, to, q.line, true)
  }

  #rows(log: CallLog, from: number, to: number, line: string | undefined, withTests = false): CallRow[] {
    return log.between(from, to).filter((r) => (withTests || !r.test) && (line === undefined || r.line === line))
  }

  #range(q: StatsQuery): { log: CallLog; from: number; to: number; by: Period } {
    if (!this.#log) throw new StatsError(this.unavailable ?? 'statistics are not running')
    const tz = this.#d.config.timezone
    const today = bucketOf(this.#d.clock.now(), 'day', tz)
    let from: number
    let last: number
    try {
      from = dayStart(q.from ?? today, tz)
      last = dayStart(q.to ?? q.from ?? today, tz)
    } catch (err) {
      throw new StatsError(errorMessage(err))
    }
    if (last < from) throw new StatsError(`"to" (${q.to}) is before "from" (${q.from ?? `${today}, today: the default`})`)
    // both days included; rounded, since a DST day has 23 or 25 hours
    if (Math.round((last - from) / DAY_MS) + 1 > MAX_RANGE_DAYS) throw new StatsError(`at most ${MAX_RANGE_DAYS} days at once: ask for the months one by one`)
    if (q.line !== undefined && !this.#d.config.lines.some((l) => l.id === q.line)) throw new StatsError(`no line "${q.line}" in the config`)
    // the end of the last day: the next local midnight (a DST day has 23 or 25 hours)
    const to = dayStart(bucketOf(last + 36 * 3600_000, 'day', tz), tz)
    return { log: this.#log, from, to, by: q.by ?? 'hour' }
  }

  #pruneNow(): void {
    try {
      const gone = this.#log?.prune() ?? 0
      if (gone) this.#d.log.info({ gone }, 'old call records deleted (stats.retentionMonths, stats.diskMB)')
    } catch (err) {
      this.#d.log.warn({ err: errorMessage(err) }, 'pruning the call records failed')
    }
  }
}
