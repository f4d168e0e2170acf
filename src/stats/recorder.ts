/**
 * Turns what the box sees into call records (CallLog): the modems' calls
 * (RING/+CLIP, ATD, +CLCC, from the store's call records), the PBX's reports of
 * routed attempts (priced), and the box's own test calls (marked, and left out
 * of the figures). A routed attempt and the modem call that carried it are one
 * record: same line, same number, ended within MERGE_MS of each other.
 */
import type { LineConfig } from '../config/schema.js'
import type { CallRecord, RoutedCallRecord } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { callerIdE164, toE164, type NumberingPlan } from '../numbers/e164.js'
import type { CallLog, CallRow, StatsOutcome } from './call-log.js'

/** A routed attempt and a modem call on the same line and number that end this close are one call. */
const MERGE_MS = 120_000

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
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'call') this.#fromModem(c.next)
    else if (c.kind === 'routed') this.#fromRouting(c.next)
  }

  constructor(deps: RecorderDeps) {
    this.#d = deps
    for (const l of deps.lines) this.#numberOf.set(l.id, l.numbers[0] ? (toE164(l.numbers[0], deps.numbering) ?? l.numbers[0]) : null)
  }

  start(): void {
    this.#d.store.on('change', this.#onChange)
  }

  stop(): void {
    this.#d.store.off('change', this.#onChange)
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
    // a call is written once it has ended: the one on now is in the snapshot (GET /api/v1/calls), and one
    // transaction a call is half the bytes on the card of one at the ring and one at the end
    if (row.outcome !== null) this.#d.log.put(row)
  }

  #fromRouting(r: RoutedCallRecord): void {
    const talk = r.outcome === 'answered' ? r.seconds * 1000 : 0
    const row: CallRow = {
      id: `routed-${r.path}-${r.ts}`,
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
    }
    const modem = this.#take(this.#modemOut, row)
    if (modem) return this.#d.log.put(merge(modem, row))
    this.#routedOnly = [...this.#recent(this.#routedOnly, r.ts), row]
    this.#d.log.put(row)
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

/** The modem's timing and outcome (it saw the call), routing's path and price. */
function merge(modem: CallRow, routed: CallRow): CallRow {
  return { ...modem, path: routed.path, cost: routed.cost, currency: routed.currency, sources: [...new Set([...modem.sources, ...routed.sources])] }
}
