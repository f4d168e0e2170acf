import { join } from 'node:path'
import type { LineConfig, SilenceConfig } from '../config/schema.js'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'
import type { LineSilence, LineSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { hasCallSource } from '../lines/monitor.js'
import { errorMessage } from '../core/errors.js'
import { silenceEvidence, type PeerActivity } from './evidence.js'
import { probeReason, RETRY_MINUTES, TestBudget, type SilenceTester } from './probe.js'
import { RateModel, type RateData } from './rates.js'
import { hourOfWeek, inBusinessHours } from './week.js'

interface SavedSilence {
  since: number
  businessMinutes: number
  firing: LineSilence['firing']
}

interface RatesFile {
  lines: Record<string, RateData>
  /** Each watched line's silence, so a reboot neither restarts it nor forgets that it was flagged. */
  silences?: Record<string, SavedSilence>
  /** When the silences were written: after a longer gap (the box was off) nobody watched, so they start afresh. */
  savedAt?: number
  /** When the watch's own test calls were placed in the last day: the budget holds across a reboot. */
  tests?: number[]
}

/** A box back within this of its last write resumes its silences (a reboot, a short power cut). */
const RESUME_WITHIN_MS = 30 * 60_000

interface Watched {
  /** Start of the silence being watched: the last call, or when the line was last known to work; null while down. */
  since: number | null
  businessMinutes: number
  /** The detector latched: it stays firing until a call ends the silence. */
  firing: LineSilence['firing']
  /** Calls of the last day, for the other lines' evidence. */
  calls: number[]
  /** A test call of the watch's is out for this line. */
  probing: boolean
  /** No test of the watch's for this line before this (after a failed test or one with no verdict). */
  retryAt: number
  /** Tests in a row with no verdict (no modem free, the line busy): each waits twice as long as the last. */
  noVerdict: number
}

/** The rates are written at most this often (and at stop): the SD card is spared. */
const SAVE_EVERY_MS = 600_000
const DAY_MS = 86_400_000
/** The longest wait between tests with no verdict. */
const MAX_RETRY_MINUTES = 240

/**
 * Watches each line's silence: learns its call rates by hour of the week from
 * its own calls (rates.json in the state folder, kept across restarts),
 * publishes the silence and its evidence in the line's state every minute,
 * and sets `firing` when the silence is improbable (src/silence/evidence.ts);
 * the alert follows from the line's state (alerts/rules.ts silenceAlert).
 *
 * The hours of a silence are learnt as watched hours only when a call ends
 * it: a silence that was an outage must not teach the model that the hour is
 * quiet. A line that goes down stops being watched until it is up again.
 *
 * With a tester (the box's test caller) it also places test calls itself
 * (src/silence/probe.ts): on a suspect silence, and wherever the statistics
 * cannot see a dead line within `testCalls.withinMinutes`, within
 * `testCalls.perDay`. A passing test's ring restarts the silence (it is the
 * box's own call: not learnt as a customer's); a failing one flags the line
 * through its lastTestCall (alert line/<id>/test-call, the line down).
 */
export class SilenceWatch {
  readonly #store: StateStore
  readonly #lines: LineConfig[]
  readonly #cfg: SilenceConfig
  readonly #tz: string
  readonly #file: JsonFileState<RatesFile>
  readonly #models = new Map<string, RateModel>()
  readonly #watched = new Map<string, Watched>()
  readonly #tester: SilenceTester | null
  readonly #log: Logger
  #budget: TestBudget
  #inFlight = 0
  #lastTick = 0
  #savedAt = 0
  #dirty = false
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line' && this.#models.has(c.id)) this.#fromLine(c.prev, c.next)
  }

  constructor(deps: { store: StateStore; lines: LineConfig[]; config: SilenceConfig; timeZone: string; stateDir: string; log: Logger; tester?: SilenceTester }) {
    this.#store = deps.store
    // only lines whose incoming calls the box sees: a GSM line's modem rings here, the PBX reports the others
    this.#lines = deps.lines.filter((l) => l.watchSilence && hasCallSource(l))
    this.#cfg = deps.config
    this.#tz = deps.timeZone
    this.#log = deps.log.child({ module: 'silence' })
    this.#file = new JsonFileState<RatesFile>(join(deps.stateDir, 'rates.json'), { lines: {} }, this.#log)
    this.#tester = deps.tester ?? null
    this.#budget = new TestBudget(this.#cfg.testCalls.perDay)
  }

  /** Test calls of the watch's still out (the simulations step finely while there are). */
  get testsInFlight(): number {
    return this.#inFlight
  }

  /** Test calls the watch placed in the 24 hours before `now`. */
  testsUsed(now: number): number {
    return this.#budget.used(now)
  }

  /** The learnt model of a line (for the bench and tests). */
  model(line: string): RateModel | undefined {
    return this.#models.get(line)
  }

  async start(): Promise<void> {
    const now = this.#store.clock.now()
    await this.#file.load((d): d is RatesFile => !!d && typeof d === 'object' && typeof (d as RatesFile).lines === 'object', () => ({ lines: {} }), now)
    this.#budget = new TestBudget(this.#cfg.testCalls.perDay, this.#file.data.tests)
    for (const l of this.#lines) {
      const saved = this.#file.data.lines[l.id]
      this.#models.set(l.id, new RateModel(RateModel.valid(saved) ? saved : undefined))
      const line = this.#store.get('line', l.id)
      const fresh = now - (this.#file.data.savedAt ?? -Infinity) <= RESUME_WITHIN_MS
      const s = fresh ? this.#file.data.silences?.[l.id] : undefined
      const resumed = s && Number.isFinite(s.since) && s.since <= now ? s : null
      const base = { calls: [], probing: false, retryAt: 0, noVerdict: 0 }
      this.#watched.set(l.id, line?.state === 'down' ? { ...base, since: null, businessMinutes: 0, firing: null } : { ...base, since: resumed?.since ?? now, businessMinutes: resumed?.businessMinutes ?? 0, firing: resumed?.firing ?? null })
    }
    this.#lastTick = now
    this.#savedAt = now
    this.#store.on('change', this.#onChange)
  }

  async stop(): Promise<void> {
    this.#store.off('change', this.#onChange)
    this.#save()
    await this.#file.flushed()
  }

  /** Time moves (the box feeds it every minute): each watched line's silence and evidence. */
  tick(now: number): void {
    const step = now - this.#lastTick
    this.#lastTick = now
    const business = inBusinessHours(now, this.#cfg.businessHours, this.#tz)
    for (const l of this.#lines) {
      const w = this.#watched.get(l.id)!
      if (w.since === null) continue
      if (business) w.businessMinutes += step / 60_000
      w.calls = w.calls.filter((t) => now - t < DAY_MS)
      const silence = this.#evidence(l.id, w, now, business)
      this.#store.update('line', l.id, { silence, expectedCalls: this.#rateNow(l.id, now) })
      this.#probe(l.id, w, now, this.#suspicion(l.id, w.since, now, silence.peerFactor))
    }
    // written every 10 min while anything is watched (the silences move on), never more often
    if ((this.#dirty || [...this.#watched.values()].some((w) => w.since !== null)) && now - this.#savedAt >= SAVE_EVERY_MS) this.#save()
  }

  #trusted(model: RateModel): boolean {
    return model.history >= this.#cfg.learnHours
  }

  #rateNow(id: string, now: number): number | null {
    const m = this.#models.get(id)!
    return this.#trusted(m) ? Math.round(m.rate(hourOfWeek(now, this.#tz)) * 10) / 10 : null
  }

  #evidence(id: string, w: Watched, now: number, businessNow = inBusinessHours(now, this.#cfg.businessHours, this.#tz)): LineSilence {
    const model = this.#models.get(id)!
    const since = w.since!
    const e = silenceEvidence({
      minutes: (now - since) / 60_000,
      businessMinutes: w.businessMinutes,
      own: this.#trusted(model)
        ? { expected: model.expected(since, now, this.#tz), logSilence: (f) => model.logSilence(since, now, this.#tz, f), ratePerHour: model.rate(hourOfWeek(now, this.#tz)) }
        : null,
      peers: this.#peers(id, since, now),
      fixedMinutes: this.#cfg.fixedMinutes,
      falseAlarmProbability: this.#cfg.falseAlarmProbability,
      businessNow,
    })
    if (!w.firing && e.firing) {
      w.firing = e.firing
      this.#save() // a flagged silence must survive a power cut
    }
    return {
      minutes: Math.floor(e.minutes),
      businessMinutes: Math.floor(e.businessMinutes),
      expectedCalls: Math.round(e.expectedCalls * 100) / 100,
      pValue: Number(e.pValue.toPrecision(3)),
      peerFactor: Math.round(e.peerFactor * 100) / 100,
      firing: w.firing,
    }
  }

  /** The other watched lines with history enough: their calls since `since` against what they expected. */
  #peers(id: string, since: number, now: number): PeerActivity | null {
    let seen = 0
    let expected = 0
    let any = false
    for (const [other, w] of this.#watched) {
      const model = this.#models.get(other)!
      if (other === id || w.since === null || !this.#trusted(model)) continue
      any = true
      seen += w.calls.filter((t) => t >= since).length
      expected += model.expected(since, now, this.#tz)
    }
    return any ? { seen, expected } : null
  }

  /**
   * The silence's pValue for deciding on a test call: the other lines' calls may only make it more suspect.
   * Two or three quiet minutes on the other line (common at 30 calls an hour) would otherwise put off the
   * test at a busy hour; a ring is cheap where a false alarm is not, so only the alarm waits for them.
   */
  #suspicion(id: string, since: number, now: number, peerFactor: number): number {
    const m = this.#models.get(id)!
    return this.#trusted(m) ? Math.exp(m.logSilence(since, now, this.#tz, Math.max(1, peerFactor))) : 1
  }

  /** A test call when the silence is suspect or the statistics cannot cover the line in time (probe.ts), within the budget. */
  #probe(id: string, w: Watched, now: number, pValue: number): void {
    const t = this.#tester
    if (!t || w.since === null || w.firing || w.probing || now < w.retryAt || !t.can(id)) return
    // without history the fixed rule flags after fixedMinutes (counting whole ticks, so up to a minute early):
    // the test must ring first, or a healthy line is flagged where a ring would have proved it
    const within = this.#trusted(this.#models.get(id)!) ? this.#cfg.testCalls.withinMinutes : Math.min(this.#cfg.testCalls.withinMinutes, this.#cfg.fixedMinutes - 1)
    const reason = probeReason({ minutes: (now - w.since) / 60_000, pValue, withinMinutes: within, ringSeconds: t.ringSeconds })
    if (!reason || !this.#budget.take(now)) return
    w.probing = true
    this.#inFlight++
    this.#dirty = true
    this.#log.info({ line: id, reason, minutes: Math.floor((now - w.since) / 60_000), pValue }, 'silence: test call')
    // no verdict: again later, backing off (a box with no modem free to call from must not try every 5 min all day)
    const later = () => (w.retryAt = this.#store.clock.now() + Math.min(RETRY_MINUTES * 2 ** w.noVerdict++, MAX_RETRY_MINUTES) * 60_000)
    const verdict = () => {
      const last = this.#store.get('line', id)?.lastTestCall
      if (!last || last.at < now) return later()
      w.noVerdict = 0
      // passed: its ring restarted the silence; failed: the line is flagged by it, tested again only after a while
      if (!last.ok) w.retryAt = this.#store.clock.now() + this.#cfg.testCalls.withinMinutes * 60_000
    }
    void t
      .run(id)
      .then(verdict, (err: unknown) => {
        this.#log.warn({ line: id, err: errorMessage(err) }, 'silence: test call failed to run')
        later()
      })
      .finally(() => {
        w.probing = false
        this.#inFlight--
      })
  }

  #fromLine(prev: LineSnapshot | undefined, next: LineSnapshot): void {
    const w = this.#watched.get(next.id)
    if (!w) return
    const now = this.#store.clock.now()
    if (next.lastCallAt !== null && next.lastCallAt !== prev?.lastCallAt) {
      const model = this.#models.get(next.id)!
      // the silence this call ends was a working line's: now it may be learnt (unless it was flagged:
      // an outage that ended must not teach the model that those hours are quiet)
      if (w.since !== null && next.lastCallAt > w.since && !w.firing) model.watched(w.since, next.lastCallAt, this.#tz)
      // a test call's ring proves the line but is the box's own call: neither a rate nor the other lines' evidence
      if (this.#tester?.testing() !== next.id) {
        model.call(next.lastCallAt, this.#tz)
        w.calls.push(next.lastCallAt)
      }
      this.#dirty = true
      this.#restart(next.id, w, next.lastCallAt)
    } else if (next.state === 'down' && w.since !== null) {
      w.since = null
      w.firing = null
      this.#store.update('line', next.id, { silence: null })
    } else if (next.state !== 'down' && w.since === null) {
      this.#restart(next.id, w, now)
    }
  }

  #restart(id: string, w: Watched, at: number): void {
    w.since = at
    w.businessMinutes = 0
    w.firing = null
    this.#store.update('line', id, { silence: this.#evidence(id, w, Math.max(at, this.#store.clock.now())) })
  }

  #save(): void {
    const silences = Object.fromEntries([...this.#watched].filter(([, w]) => w.since !== null).map(([id, w]) => [id, { since: w.since!, businessMinutes: w.businessMinutes, firing: w.firing }]))
    this.#file.data = { lines: Object.fromEntries([...this.#models].map(([id, m]) => [id, m.toJSON()])), silences, savedAt: this.#store.clock.now(), tests: this.#budget.toJSON() }
    void this.#file.save()
    this.#savedAt = this.#store.clock.now()
    this.#dirty = false
  }
}
