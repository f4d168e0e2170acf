import type { Clock, Timer } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import { parseBalance, parseCusd } from './ussd.js'

export interface Balance {
  /** The amount when the reply has one (in the operator's currency), else null. */
  amount: number | null
  /** The reply as a person reads it. */
  text: string
  at: number
}

export interface BalanceDeps {
  clock: Clock
  /** The operator's balance code, e.g. *100#. */
  code: string
  everyMs: number
  send: (cmd: string) => Promise<unknown>
  report: (b: Balance) => void
  log: Logger
}

/**
 * The SIM's balance by USSD on a schedule (a first check a minute after
 * start, then every `everyMs`). The answer comes as an unsolicited +CUSD,
 * often seconds after the command's OK, so the driver hands those lines here.
 */
export class BalanceCheck {
  readonly #deps: BalanceDeps
  #first: Timer | null = null
  #every: Timer | null = null

  constructor(deps: BalanceDeps) {
    this.#deps = deps
  }

  start(): void {
    this.stop()
    this.#first = this.#deps.clock.setTimeout(() => this.check(), 60_000)
    this.#every = this.#deps.clock.setInterval(() => this.check(), this.#deps.everyMs)
  }

  stop(): void {
    this.#first?.cancel()
    this.#every?.cancel()
    this.#first = this.#every = null
  }

  /** Ask now. A failure is logged; the next scheduled check tries again. */
  check(): void {
    // 15 = GSM-7 default alphabet, language unspecified (27.007 / 23.038)
    this.#deps.send(`AT+CUSD=1,"${this.#deps.code}",15`).catch((err: unknown) => this.#deps.log.warn({ err: String(err) }, 'balance request failed'))
  }

  /** A +CUSD line: true when it was the answer to a balance request and has been taken. */
  onLine(line: string): boolean {
    const r = parseCusd(line)
    if (!r || r.decoded === null || (r.status !== 0 && r.status !== 2)) return false
    this.#deps.report({ amount: parseBalance(r.decoded), text: r.decoded, at: this.#deps.clock.now() })
    return true
  }
}
