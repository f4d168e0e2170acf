import type { LineConfig, TestCallsConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ModemCall, TestCallEvent } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import type { DialOptions } from '../modem/call-control.js'
import { hasCallSource } from '../lines/monitor.js'

export type TestCallResult = Omit<TestCallEvent, 'type' | 'ts'>

/** What the test caller needs of the modems. */
export interface TestCallModems {
  dial(modem: string, number: string, opts: DialOptions): Promise<ModemCall>
  cancel(modem: string): Promise<void>
}

export interface TestCallerDeps {
  store: StateStore
  lines: LineConfig[]
  config: TestCallsConfig
  modems: TestCallModems
  clock: Clock
  log: Logger
}

/**
 * Test calls: the box dials a line's number from a modem that does not carry
 * it, and watches for the ring on that line (the line's own GSM modem, or
 * the PBX's report). A ring within ringSeconds proves the line takes calls;
 * the box then hangs up before anyone answers. On demand
 * (HTTP) and every `everyMinutes`, one line after the other. Each result is an
 * event and the line's `lastTestCall`; a failed one raises an alert.
 */
export class TestCaller {
  readonly #d: TestCallerDeps
  #timer: Timer | null = null
  #next = 0
  #running: Promise<TestCallResult> | null = null
  /** The test call being made now: its calls are the box's own (the statistics leave them out). */
  current: { line: string; from: string; number: string; since: number } | null = null

  constructor(deps: TestCallerDeps) {
    this.#d = deps
  }

  /** Lines that can be tested: a number to dial and a ring the box can see (the line's GSM modem, or the PBX's report). */
  get testable(): LineConfig[] {
    return this.#d.lines.filter((l) => l.numbers.length > 0 && hasCallSource(l))
  }

  start(): void {
    const every = this.#d.config.everyMinutes
    if (every > 0 && this.testable.length > 0) this.#timer = this.#d.clock.setInterval(() => void this.#scheduled(), every * 60_000)
  }

  stop(): void {
    this.#timer?.cancel()
  }

  async #scheduled(): Promise<void> {
    const lines = this.testable
    const line = lines[this.#next++ % lines.length]!
    await this.run(line.id).catch((err: unknown) => this.#d.log.warn({ line: line.id, err: errorMessage(err) }, 'test call failed to run'))
  }

  /** Test one line now (one test at a time: a second waits for the first). */
  async run(lineId: string): Promise<TestCallResult> {
    while (this.#running) await this.#running.catch(() => {})
    const run = this.#run(lineId)
    this.#running = run
    try {
      return await run
    } finally {
      this.#running = null
      this.current = null
    }
  }

  async #run(lineId: string): Promise<TestCallResult> {
    const line = this.testable.find((l) => l.id === lineId)
    if (!line) throw new Error(`line "${lineId}" cannot be tested (it needs a number and a ring the box can see: a gsm line with its modem, or pbxReports)`)
    const number = line.numbers[0]!
    const from = this.#caller(line)
    if (!from) return this.#report({ line: line.id, number, from: null, ok: false, detail: 'no other modem is free to call from (up and not in a call)' }, false)
    // a line in a customer's call would answer busy: no test now, and no verdict on it
    const own = line.modem ? this.#d.store.get('modem', line.modem) : undefined
    if (own?.call || this.#d.store.get('line', line.id)?.analog?.ringing) return this.#report({ line: line.id, number, from, ok: false, detail: `${line.id} is in a call: test skipped` }, false)
    const ringSeconds = this.#d.config.ringSeconds
    const started = this.#d.clock.now()
    this.current = { line: line.id, from, number, since: started }
    const ring = this.#waitForRing(line.id, ringSeconds * 1000)
    const call = this.#d.modems.dial(from, number, { ringSeconds })
    const rang = await Promise.race([ring.promise, call.then(() => null, () => null)])
    ring.cancel()
    // a hang-up that fails does not undo the ring: the test passed, the call ends by itself
    if (rang !== null) await this.#d.modems.cancel(from).catch((err: unknown) => this.#d.log.warn({ from, err: errorMessage(err) }, 'hang-up after the test ring failed'))
    const ended = await call.catch((err: unknown) => ({ outcome: `failed (${errorMessage(err)})` }) as const)
    this.current = null
    // busy: the network reached the line and every channel was taken (a customer's call): no verdict
    if (rang === null && ended.outcome === 'busy') return this.#report({ line: line.id, number, from, ok: false, detail: `${line.id} was busy: test inconclusive (called from ${from})` }, false)
    const detail =
      rang !== null
        ? `rang on ${line.id} after ${Math.round((rang - started) / 1000)} s (called from ${from})`
        : `no ring on ${line.id} within ${ringSeconds} s (called from ${from}; the call ${ended.outcome})`
    return this.#report({ line: line.id, number, from, ok: rang !== null, detail }, true)
  }

  /** A modem that is up and does not carry the line, in the configured order. */
  #caller(line: LineConfig): string | null {
    const up = Object.values(this.#d.store.snapshot.modems).filter((m) => m.state === 'up' && m.id !== line.modem && m.call === null).map((m) => m.id)
    const order = this.#d.config.fromModems
    return (order.length ? order.filter((id) => up.includes(id)) : up)[0] ?? null
  }

  /**
   * Resolves with the time of a ring on the line, or null after `ms`. Any ring counts, with or without
   * the caller ID (a module still setting up has not switched +CLIP on yet): a ring while the test
   * call is out is the proof the line takes calls, whoever's it is.
   */
  #waitForRing(lineId: string, ms: number): { promise: Promise<number | null>; cancel(): void } {
    let done: (v: number | null) => void = () => {}
    const promise = new Promise<number | null>((r) => (done = r))
    const onChange = (c: StoreChange) => {
      if (c.kind === 'line' && c.id === lineId && c.next.lastCallAt !== null && c.next.lastCallAt !== c.prev?.lastCallAt) finish(c.next.lastCallAt)
    }
    const timer = this.#d.clock.setTimeout(() => finish(null), ms)
    const finish = (v: number | null) => {
      timer.cancel()
      this.#d.store.off('change', onChange)
      done(v)
    }
    this.#d.store.on('change', onChange)
    return { promise, cancel: () => finish(null) }
  }

  /** An event, and (when the test could be made) the line's lastTestCall: the alert follows from it. */
  #report(r: TestCallResult, onLine: boolean): TestCallResult {
    this.#d.log[r.ok ? 'info' : 'warn']({ ...r }, 'test call')
    this.#d.store.recordEvent({ type: 'test-call', ...r })
    if (onLine) this.#d.store.update('line', r.line, { lastTestCall: { at: this.#d.clock.now(), ok: r.ok, detail: r.detail } })
    return r
  }
}
