/**
 * Turns what the box sees into call records (CallLog): the modems' calls
 * (RING/+CLIP, ATD, +CLCC, from the store's call records), the PBX's reports of
 * routed attempts (priced), and the box's own test calls (marked, and left out
 * of the figures). A routed attempt and the modem call that carried it are one
 * record: same line, same number, ended within MERGE_MS of each other.
 */
import type { LineConfig } from '../config/schema.js'
import type { AnalogLineState, CallRecord, RoutedCallRecord } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import type { PbxReport } from '../lines/pbx-report.js'
import { callerIdE164, toE164, type NumberingPlan } from '../numbers/e164.js'
import type { CallLog, CallRow, StatsOutcome } from './call-log.js'

/** A routed attempt and a modem call on the same line and number that end this close are one call. */
const MERGE_MS = 120_000
/** A call the PBX reports and one the line's modem saw are one call when they started this close. */
const SAME_START_MS = 15_000
/** A call the PBX never hung up is forgotten after this long (as its channel is, ChannelWatch). */
const PBX_OPEN_MS = 4 * 3600_000
/** A hang-up that arrives before its call's report waits this long for it. */
const EARLY_HANGUP_MS = 60_000

/** The test call in progress (TestCaller.current): its calls are marked. */
export interface TestInProgress {
  line: string
  from: string
  number: string
  since: number
}

export interface RecorderDeps {
  store: StateStore
  log: CallLog
  lines: LineConfig[]
  numbering?: NumberingPlan | null
  /** The test call in progress, if any. */
  testCall: () => TestInProgress | null
}

function outcomeOf(c: CallRecord): StatsOutcome | null {
  if (c.outcome === null) return null
  if (c.direction === 'in') return c.outcome === 'answered' ? 'answered' : 'missed'
  if (c.outcome === 'answered' || c.outcome === 'busy' || c.outcome === 'no-answer' || c.outcome === 'failed') return c.outcome
  return 'failed' // cancelled: the box hung up before an answer
}

export class CallRecorder {
  readonly #d: RecorderDeps
  readonly #numberOf = new Map<string, string | null>()
  /** Calls marked as the box's own test calls (their later records keep the mark). */
  readonly #tests = new Set<string>()
  /** Recent rows that may still meet their other half: routed attempts and outgoing modem calls. */
  #routedOnly: CallRow[] = []
  #modemOut: CallRow[] = []
  /** Calls the PBX reported with an id, until their hang-up. */
  readonly #pbxOpen = new Map<string, CallRow>()
  /** Hang-ups that came before their call's report (reports out of order), kept a little while. */
  readonly #earlyHangups = new Map<string, { at: number; r: PbxReport & { type: 'hangup' } }>()
  /** Recent incoming calls of one source, waiting for the other (the modem and the PBX on one line). */
  #recentIn: { row: CallRow; at: number }[] = []
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'call') this.#fromModem(c.next)
    else if (c.kind === 'routed') this.#fromRouting(c.next)
    else if (c.kind === 'line') {
      if (c.prev?.state !== c.next.state) this.#d.log.putState({ line: c.id, at: c.next.since, state: c.next.state, reason: c.next.reason })
      this.#fromRingDetect(c.id, c.next.analog, c.prev?.analog ?? null)
    }
  }
  /** An analog line's call ringing now: from its first ring. */
  readonly #ringingSince = new Map<string, number>()

  constructor(deps: RecorderDeps) {
    this.#d = deps
    for (const l of deps.lines) this.#numberOf.set(l.id, l.numbers[0] ? (toE164(l.numbers[0], deps.numbering) ?? l.numbers[0]) : null)
  }

  /** From now on; each line's state now is its first word (after a restart, what it was while the box was off is not known). */
  start(): void {
    const now = this.#d.store.clock.now()
    for (const l of Object.values(this.#d.store.snapshot.lines)) this.#d.log.putState({ line: l.id, at: now, state: l.state, reason: l.reason })
    this.#d.store.on('change', this.#onChange)
  }

  /** …and at a stop, the lines' state is unknown until the box is back. */
  stop(): void {
    this.#d.store.off('change', this.#onChange)
    const now = this.#d.store.clock.now()
    for (const l of Object.values(this.#d.store.snapshot.lines)) this.#d.log.putState({ line: l.id, at: now, state: 'unknown', reason: 'the box was stopped' })
  }

  #isTest(c: CallRecord): boolean {
    if (this.#tests.has(c.id)) return true
    const t = this.#d.testCall()
    if (!t || c.startedAt < t.since - 1000) return false
    const mine = (c.direction === 'out' && c.modem === t.from) || (c.direction === 'in' && c.line === t.line)
    if (mine) this.#tests.add(c.id)
    return mine
  }

  #fromModem(c: CallRecord): void {
    const plan = this.#d.numbering
    const end = c.endedAt
    const answered = c.answeredAt
    const row: CallRow = {
      id: c.id,
      line: c.line,
      direction: c.direction,
      caller: c.direction === 'in' ? callerIdE164(c.callerId, plan) : c.line ? (this.#numberOf.get(c.line) ?? null) : null,
      called: c.direction === 'in' ? (c.line ? (this.#numberOf.get(c.line) ?? null) : null) : c.dialed === null ? null : (toE164(c.dialed, plan) ?? c.dialed),
      started: c.startedAt,
      answered,
      ended: end,
      // ring time: until the answer, or until the end of a call never answered
      ringMs: answered !== null ? answered - c.startedAt : end !== null ? end - c.startedAt : null,
      talkMs: answered !== null && end !== null ? end - answered : null,
      outcome: outcomeOf(c),
      path: null,
      cost: null,
      currency: null,
      test: this.#isTest(c),
      sources: ['modem'],
    }
    if (row.direction === 'out' && row.outcome !== null) {
      const routed = this.#take(this.#routedOnly, row)
      if (routed) {
        this.#d.log.remove(routed.id)
        return this.#d.log.put(merge(row, routed))
      }
      this.#modemOut = [...this.#recent(this.#modemOut, row.ended!), row]
    }
    if (row.direction === 'in' && row.outcome !== null) {
      const pbx = this.#takeIn(row, ['pbx'])
      if (pbx) {
        this.#d.log.remove(pbx.id)
        return this.#d.log.put(withPbx(row, pbx))
      }
      this.#waitIn(row)
    }
    // a call is written once it has ended: the one on now is in the snapshot (GET /api/v1/calls), and one
    // transaction a call is half the bytes on the card of one at the ring and one at the end
    if (row.outcome !== null) this.#d.log.put(row)
  }

  /**
   * An analog line's ring detect: a call from its first ring to the end of its last. Whether it was
   * answered is not known (the ringing stops alike for an answer and for a caller giving up) unless
   * the PBX reports the call too: then the two are one record with the PBX's answer.
   */
  #fromRingDetect(line: string, next: AnalogLineState | null, prev: AnalogLineState | null): void {
    if (!next) return
    const ring = next.lastRing
    if (next.ringing && next.rings === 1 && ring && ring !== prev?.lastRing) this.#ringingSince.set(line, ring.at)
    if (next.ringing || !prev?.ringing) return
    const started = this.#ringingSince.get(line)
    this.#ringingSince.delete(line)
    if (started === undefined || !ring) return // no ring counted: noise
    const ended = Math.max(started, ring.at + ring.onMs)
    const t = this.#d.testCall()
    const row: CallRow = {
      id: `ring-${line}-${started}`, line, direction: 'in', caller: null, called: this.#numberOf.get(line) ?? null, started, answered: null, ended,
      ringMs: ended - started, talkMs: null, outcome: 'unknown', path: null, cost: null, currency: null,
      test: t !== null && t.line === line && started >= t.since - 1000, sources: ['ring'],
    }
    const pbx = this.#takeIn(row, ['pbx'])
    if (pbx) {
      this.#d.log.remove(pbx.id)
      return this.#d.log.put(withPbx(row, pbx))
    }
    this.#waitIn(row)
    this.#d.log.put(row)
  }

  #fromRouting(r: RoutedCallRecord): void {
    const talk = r.outcome === 'answered' ? r.seconds * 1000 : 0
    // two attempts on one path can end in the same millisecond (a trunk has channels): each its own id
    let id = `routed-${r.path}-${r.ts}`
    for (let n = 2; this.#d.log.get(id); n++) id = `routed-${r.path}-${r.ts}-${n}`
    const row: CallRow = {
      id,
      line: r.line,
      direction: 'out',
      caller: this.#numberOf.get(r.line) ?? null,
      called: r.to,
      started: r.ts - talk,
      answered: r.outcome === 'answered' ? r.ts - talk : null,
      ended: r.ts,
      ringMs: null,
      talkMs: r.outcome === 'answered' ? talk : null,
      outcome: r.outcome,
      path: r.path,
      cost: r.cost,
      currency: r.currency,
      test: false,
      sources: ['routing'],
      bundleSeconds: r.bundleSeconds,
      baselineCost: r.baselineCost,
    }
    const modem = this.#take(this.#modemOut, row)
    if (modem) return this.#d.log.put(merge(modem, row))
    this.#routedOnly = [...this.#recent(this.#routedOnly, r.ts), row]
    this.#d.log.put(row)
  }

  /**
   * What the PBX reports on a line with pbxReports (HTTP or MQTT): a call with an `id` is recorded at its
   * hang-up, with what the PBX knew (answered, ring time, queue, agent). A call without an id counts for
   * the line's liveness only: its end could not be known.
   */
  pbx(line: string, r: PbxReport, now: number): void {
    const plan = this.#d.numbering
    if (r.type === 'call' && r.id) {
      const key = `${line}|${r.id}`
      if (this.#pbxOpen.has(key)) return // a QoS 1 copy, a PBX retrying
      for (const [k, open] of this.#pbxOpen) if (now - open.started > PBX_OPEN_MS) this.#pbxOpen.delete(k)
      const direction = r.direction ?? 'in'
      const far = r.callerId === null || r.callerId === undefined ? null : callerIdE164(r.callerId, plan)
      const own = this.#numberOf.get(line) ?? null
      const started = Math.min(r.at ?? now, now)
      const t = this.#d.testCall()
      this.#pbxOpen.set(key, {
        id: `pbx-${line}-${r.id}`, line, direction, caller: direction === 'in' ? far : own, called: direction === 'in' ? own : far, started,
        answered: r.answeredAt ?? null, ended: null, ringMs: r.ringSeconds === undefined ? null : r.ringSeconds * 1000, talkMs: null, outcome: null,
        path: null, cost: null, currency: null, test: t !== null && direction === 'in' && t.line === line && started >= t.since - 1000,
        sources: ['pbx'], queue: r.queue ?? null, agent: r.agent ?? null,
      })
      // its hang-up came first: the call is over
      const early = this.#earlyHangups.get(key)
      if (early) {
        this.#earlyHangups.delete(key)
        this.pbx(line, early.r, early.at)
      }
      return
    }
    if (r.type === 'refused') return this.#d.log.putBlocked(line, now, r.cause ?? null)
    if (r.type !== 'hangup') return
    const key = `${line}|${r.id}`
    const open = this.#pbxOpen.get(key)
    if (!open) {
      // a hang-up for a call not reported (yet: reports can cross), or reported twice: kept a minute for its call
      for (const [k, e] of this.#earlyHangups) if (now - e.at > EARLY_HANGUP_MS) this.#earlyHangups.delete(k)
      if (this.#earlyHangups.size < 1000) this.#earlyHangups.set(key, { at: now, r: { ...r, at: r.at ?? now } })
      return
    }
    this.#pbxOpen.delete(key)
    const ended = Math.max(open.started, Math.min(r.at ?? now, now))
    const answered = r.answeredAt ?? open.answered
    const queue = r.queue ?? open.queue ?? null
    const ringMs = r.ringSeconds !== undefined ? r.ringSeconds * 1000 : (open.ringMs ?? (answered !== null ? answered - open.started : ended - open.started))
    const row: CallRow = {
      ...open,
      answered,
      ended,
      ringMs,
      talkMs: answered !== null ? ended - answered : null,
      outcome: answered !== null ? 'answered' : open.direction === 'out' ? 'no-answer' : queue ? 'abandoned' : 'missed',
      queue,
      agent: r.agent ?? open.agent ?? null,
    }
    if (row.direction === 'in') {
      // the line's own view of it: the modem's, or the analog ring detect's
      const own = this.#takeIn(row, ['modem', 'ring'])
      if (own) return this.#d.log.put(withPbx(own, row))
      this.#waitIn(row)
    }
    this.#d.log.put(row)
  }

  /** An incoming call of the other source on the same line that started close to this one (same caller, or one unknown). */
  #takeIn(row: CallRow, sources: string[]): CallRow | null {
    const i = this.#recentIn.findIndex(({ row: o }) => o.sources.some((s) => sources.includes(s)) && o.line === row.line && Math.abs(o.started - row.started) <= SAME_START_MS && (o.caller === null || row.caller === null || o.caller === row.caller))
    if (i < 0) return null
    const [found] = this.#recentIn.splice(i, 1)
    return found!.row
  }

  /**
   * An incoming call of one source waits for the other's: the PBX's hang-up comes after the talk, while
   * the ring detect's call ends with the ringing; kept as long as a PBX call may stay open, 500 at most.
   */
  #waitIn(row: CallRow): void {
    const now = this.#d.store.clock.now()
    this.#recentIn = [...this.#recentIn.filter((o) => now - o.at <= PBX_OPEN_MS).slice(-499), { row, at: now }]
  }

  /** The other half of a call, if one is waiting: same line and number, ends close. */
  #take(list: CallRow[], row: CallRow): CallRow | null {
    const i = list.findIndex((o) => o.line === row.line && o.called === row.called && Math.abs((o.ended ?? 0) - (row.ended ?? 0)) <= MERGE_MS)
    if (i < 0) return null
    const [found] = list.splice(i, 1)
    return found!
  }

  #recent(list: CallRow[], now: number): CallRow[] {
    return list.filter((o) => now - (o.ended ?? 0) <= MERGE_MS)
  }
}

/** The modem saw it ring; the PBX knows whether someone answered, after how long, in which queue. */
function withPbx(modem: CallRow, pbx: CallRow): CallRow {
  return {
    ...modem,
    caller: modem.caller ?? pbx.caller,
    answered: pbx.answered,
    // the PBX saw the hang-up; a module that only stops its RINGs is heard to have stopped seconds later
    ended: pbx.ended ?? modem.ended,
    // the caller heard it ring from the modem's first ring
    ringMs: pbx.answered !== null ? Math.max(0, pbx.answered - modem.started) : pbx.ringMs,
    talkMs: pbx.talkMs,
    outcome: pbx.outcome,
    test: modem.test || pbx.test,
    queue: pbx.queue ?? null,
    agent: pbx.agent ?? null,
    sources: [...new Set([...modem.sources, ...pbx.sources])],
  }
}

/** The modem's timing and outcome (it saw the call), routing's path and price. */
function merge(modem: CallRow, routed: CallRow): CallRow {
  return { ...modem, path: routed.path, cost: routed.cost, currency: routed.currency, bundleSeconds: routed.bundleSeconds ?? null, baselineCost: routed.baselineCost ?? null, sources: [...new Set([...modem.sources, ...routed.sources])] }
}
