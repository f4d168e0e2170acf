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

/** How long an asked balance may take to come back (a +CUSD often follows the OK by seconds). */
export const BALANCE_ANSWER_MS = 30_000

export interface BalanceDeps {
  clock: Clock
  /** The operator's balance code, e.g. *100#; null: none configured (only asked with a code). */
  code: string | null
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
  /** Who asked now and waits for the answer (the office's sim-balance). */
  #waiting: { resolve: (b: Balance) => void; reject: (e: Error) => void; timer: Timer }[] = []

  constructor(deps: BalanceDeps) {
    this.#deps = deps
  }

  start(): void {
    this.stop()
    if (!this.#deps.code) return
    this.#first = this.#deps.clock.setTimeout(() => this.check(), 60_000)
    this.#every = this.#deps.clock.setInterval(() => this.check(), this.#deps.everyMs)
  }

  stop(): void {
    this.#first?.cancel()
    this.#every?.cancel()
    this.#first = this.#every = null
    for (const w of this.#waiting.splice(0)) {
      w.timer.cancel()
      w.reject(new Error('the modem stopped'))
    }
  }

  /** Ask now. A failure is logged; the next scheduled check tries again. */
  check(): void {
    if (this.#deps.code) this.#send(this.#deps.code).catch((err: unknown) => this.#deps.log.warn({ err: String(err) }, 'balance request failed'))
  }

  /** Ask now (with this code, or the configured one) and wait for the answer. */
  async ask(code = this.#deps.code): Promise<Balance> {
    if (!code) throw new Error('no balance code: set modems[].balance.ussd or give one')
    const answer = new Promise<Balance>((resolve, reject) => {
      const timer = this.#deps.clock.setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w.timer !== timer)
        reject(new Error(`no answer to ${code} within ${BALANCE_ANSWER_MS / 1000} s`))
      }, BALANCE_ANSWER_MS)
      this.#waiting.push({ resolve, reject, timer })
    })
    // a refused request fails at once; its waiter is not left behind
    await this.#send(code).catch((err: unknown) => {
      for (const w of this.#waiting.splice(0)) {
        w.timer.cancel()
        w.reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
    return answer
  }

  #send(code: string): Promise<unknown> {
    // 15 = GSM-7 default alphabet, language unspecified (27.007 / 23.038)
    return this.#deps.send(`AT+CUSD=1,"${code}",15`)
  }

  /** A +CUSD line: true when it was the answer to a balance request and has been taken. */
  onLine(line: string): boolean {
    const r = parseCusd(line)
    if (!r || r.decoded === null || (r.status !== 0 && r.status !== 2)) return false
    const balance = { amount: parseBalance(r.decoded), text: r.decoded, at: this.#deps.clock.now() }
    this.#deps.report(balance)
    for (const w of this.#waiting.splice(0)) {
      w.timer.cancel()
      w.resolve(balance)
    }
    return true
  }
}
