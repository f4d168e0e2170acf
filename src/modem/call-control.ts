import type { Clock } from '../core/clock.js'
import { ErrorCode, hasCode, LinewatchError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { CallOutcome, ModemCall } from '../core/state.js'
import type { AtCommandOptions, AtResponse } from './engine.js'
import { parseClcc, type ClccEntry } from './calls.js'

/** A call in progress is followed with AT+CLCC this often (few modules report call states by themselves). */
const FOLLOW_MS = 1000
/** ATD...; answers OK at once on most modules; some wait for the network to accept the call. */
const DIAL_TIMEOUT_MS = 20_000
/** CLCC polls in a row without an answer before the call is given up as failed. */
const FOLLOW_FAILURES = 5

const END_OUTCOME: Record<string, CallOutcome> = { BUSY: 'busy', 'NO ANSWER': 'no-answer', 'NO DIALTONE': 'failed' }

export interface DialOptions {
  /** Hang up when nobody answers in this time (default 30 s). */
  ringSeconds?: number
  /** Once answered, hang up after this long (default 0: at once; the answer is the proof). */
  talkSeconds?: number
}

export interface CallControlDeps {
  clock: Clock
  send: (cmd: string, opts?: AtCommandOptions) => Promise<string[]>
  /** The current call changed; `ended` is the call that just ended, if one did. */
  report: (current: ModemCall | null, ended: ModemCall | null) => void
  log: Logger
}

/** A number the module may dial: digits with an optional leading + and the DTMF signs. */
export function dialProblem(number: string): string | null {
  return /^\+?[0-9*#]{2,20}$/.test(number) ? null : `"${number}" is not a number to dial (digits, * and #, with an optional leading +)`
}

/**
 * One modem's calls: outgoing calls by ATD, incoming ones from RING/+CLIP,
 * both followed with AT+CLCC and the call-progress codes (BUSY, NO ANSWER,
 * NO CARRIER) until they end, each ending with an outcome.
 */
export class CallControl {
  readonly #deps: CallControlDeps
  #current: ModemCall | null = null
  /** Which call a follow loop belongs to: a loop whose call has ended exits instead of taking the next one's. */
  #generation = 0
  #done: ((c: ModemCall) => void) | null = null
  #stopped = false

  constructor(deps: CallControlDeps) {
    this.#deps = deps
  }

  get current(): ModemCall | null {
    return this.#current
  }

  /** Dial a number; resolves when the call has ended, with its outcome. */
  dial(number: string, opts: DialOptions = {}): Promise<ModemCall> {
    const problem = dialProblem(number)
    if (problem) return Promise.reject(new LinewatchError(ErrorCode.INVALID_INPUT, problem))
    if (this.#current) return Promise.reject(new LinewatchError(ErrorCode.AT_BUSY, `a call is in progress (${this.#current.direction === 'in' ? 'incoming' : 'outgoing'}, ${this.#current.state})`))
    const ended = new Promise<ModemCall>((resolve) => (this.#done = resolve))
    this.#set({ direction: 'out', number, state: 'dialing', outcome: null, startedAt: this.#deps.clock.now(), answeredAt: null, endedAt: null })
    void this.#dialAndFollow(number, (opts.ringSeconds ?? 30) * 1000, (opts.talkSeconds ?? 0) * 1000)
    return ended
  }

  /** Hang up an outgoing call before it is answered (a test call that has rung): it ends `cancelled`. */
  async cancel(): Promise<void> {
    const cur = this.#current
    if (!cur || cur.direction !== 'out') return
    await this.#hangUp()
    if (this.#current === cur) this.#end(cur.answeredAt !== null ? 'answered' : 'cancelled')
  }

  /** A RING or +CLIP: an incoming call (its caller ID may come with a later line). */
  ringing(callerId: string | null | undefined, at: number): void {
    let cur = this.#current
    // another caller's number while it rings: the caller before gave up between two RINGs (they can
    // come 5 s apart, closer than the gap that ends a ringing), and this is a new call
    if (cur?.direction === 'in' && cur.state === 'ringing' && typeof callerId === 'string' && cur.number !== null && callerId !== cur.number) {
      this.#end('missed')
      cur = null
    }
    if (!cur) this.#set({ direction: 'in', number: callerId ?? null, state: 'ringing', outcome: null, startedAt: at, answeredAt: null, endedAt: null })
    else if (cur.direction === 'in' && cur.state === 'ringing' && callerId !== undefined && callerId !== cur.number) this.#set({ ...cur, number: callerId })
  }

  /** The RINGs stopped: either someone answered (the call is active) or the caller gave up. */
  async ringStopped(): Promise<void> {
    const cur = this.#current
    if (!cur || cur.direction !== 'in' || cur.state !== 'ringing') return
    const entry = await this.#list().then((l) => l?.find((e) => e.dir === 'mt') ?? null)
    if (this.#current !== cur) return
    if (entry?.stat === 0) {
      this.#set({ ...cur, state: 'active', answeredAt: this.#deps.clock.now() })
      void this.#follow(this.#generation)
    } else this.#end('missed')
  }

  /** Call-progress codes and unsolicited +CLCC (SIMCom with AT+CLCC=1). True when the line was about a call. */
  onLine(line: string): boolean {
    const cur = this.#current
    if (line in END_OUTCOME || line === 'NO CARRIER') {
      // a caller who gives up while it rings: some modules say NO CARRIER, others just stop the RINGs
      if (cur?.state === 'ringing') this.#end('missed')
      else if (cur) this.#end(END_OUTCOME[line] ?? (cur.answeredAt !== null ? 'answered' : 'failed'))
      return true
    }
    const clcc = parseClcc(line)
    if (!clcc) return false
    if (cur) this.#apply(cur, clcc)
    return true
  }

  start(): void {
    this.#stopped = false
  }

  /**
   * The box stops: its own outgoing call is hung up (ATH goes out at once when no other command is in
   * flight; the stop does not wait for its answer). A customer's incoming call is left alone: the box
   * restarting must not cut it. Either is recorded as it stood.
   */
  stop(): void {
    this.#stopped = true
    const cur = this.#current
    if (!cur) return
    if (cur.direction === 'out') void this.#hangUp()
    this.#end(cur.answeredAt !== null ? 'answered' : cur.direction === 'in' ? 'missed' : 'failed')
  }

  async #dialAndFollow(number: string, ringMs: number, talkMs: number): Promise<void> {
    const generation = this.#generation
    try {
      await this.#deps.send(`ATD${number};`, { timeoutMs: DIAL_TIMEOUT_MS })
    } catch (err) {
      const code = hasCode(err, ErrorCode.AT_ERROR) ? (err.details as AtResponse | undefined)?.final.code : undefined
      this.#deps.log.warn({ number, err: (err as Error).message }, 'dial failed')
      if (!code) await this.#hangUp() // a timeout: the module may be dialling all the same
      return this.#end((code && END_OUTCOME[code]) || 'failed')
    }
    await this.#follow(generation, ringMs, talkMs)
  }

  /**
   * Follow the call of `generation` with AT+CLCC until it ends; an outgoing one is hung up after
   * ringMs unanswered or talkMs answered. Exits as soon as that call has ended by any path.
   */
  async #follow(generation: number, ringMs = Infinity, talkMs = Infinity): Promise<void> {
    let failures = 0
    const mine = () => this.#generation === generation && this.#current !== null && !this.#stopped
    for (;;) {
      await new Promise<void>((r) => this.#deps.clock.setTimeout(r, FOLLOW_MS))
      if (!mine()) return
      const list = await this.#list()
      if (!mine()) return
      const cur = this.#current!
      if (!list) {
        if (++failures >= FOLLOW_FAILURES) return this.#end(cur.answeredAt !== null ? 'answered' : 'failed')
        continue
      }
      failures = 0
      const entry = list.find((e) => e.dir === (cur.direction === 'out' ? 'mo' : 'mt') && e.mode === 0)
      if (!entry) return this.#end(cur.answeredAt !== null ? 'answered' : cur.direction === 'in' ? 'missed' : 'failed')
      const next = this.#apply(cur, entry)
      const now = this.#deps.clock.now()
      if (next.direction !== 'out') continue
      if (next.answeredAt !== null && now - next.answeredAt >= talkMs) return this.#hangUpAndEnd('answered')
      if (next.answeredAt === null && now - next.startedAt >= ringMs) return this.#hangUpAndEnd('no-answer')
    }
  }

  #apply(cur: ModemCall, e: ClccEntry): ModemCall {
    const state = e.stat === 0 ? 'active' : e.stat === 2 ? 'dialing' : e.stat === 3 ? 'alerting' : e.stat === 4 || e.stat === 5 ? 'ringing' : cur.state
    if (state === cur.state) return cur
    const next = { ...cur, state, answeredAt: state === 'active' && cur.answeredAt === null ? this.#deps.clock.now() : cur.answeredAt }
    this.#set(next)
    return next
  }

  /** The call list, or null when the module did not answer. */
  async #list(): Promise<ClccEntry[] | null> {
    try {
      const lines = await this.#deps.send('AT+CLCC', { expect: '+CLCC:' })
      return lines.map(parseClcc).filter((e): e is ClccEntry => e !== null)
    } catch {
      return null
    }
  }

  async #hangUp(): Promise<void> {
    await this.#deps.send('ATH').catch((err: unknown) => this.#deps.log.warn({ err: (err as Error).message }, 'hang-up failed'))
  }

  async #hangUpAndEnd(outcome: CallOutcome): Promise<void> {
    await this.#hangUp()
    this.#end(outcome)
  }

  #set(call: ModemCall): void {
    if (!this.#current) this.#generation++ // a new call
    this.#current = call
    this.#deps.report(call, null)
  }

  #end(outcome: CallOutcome): void {
    const cur = this.#current
    if (!cur) return
    const ended: ModemCall = { ...cur, state: 'ended', outcome, endedAt: this.#deps.clock.now() }
    this.#current = null
    this.#deps.report(null, ended)
    this.#deps.log.info({ direction: ended.direction, number: ended.number, outcome }, 'call ended')
    const done = this.#done
    this.#done = null
    if (ended.direction === 'out') done?.(ended)
  }
}
