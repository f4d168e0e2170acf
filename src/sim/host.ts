import type { Clock, Timer } from '../core/clock.js'
import type { Personality } from './personalities.js'

/**
 * What the parts of a simulated module (its call model, its SMS service) may
 * use of the module they live in. Everything goes through the module so that
 * a hang, a slow reply path or a power cut applies to them too.
 */
/** The calling side of a call put through the simulated network. */
export interface FarCaller {
  /** The called module answered. */
  answered(): void
  /** The call ended at the called side: the line the caller's module prints (NO ANSWER, NO CARRIER, BUSY). */
  ended(line: string): void
}

export interface SimNetwork {
  /** Put a call through to the module whose SIM has `to`; null when no module here has it. The handle hangs up from the caller's side. */
  connect(to: string, from: string | null, caller: FarCaller): { hangUp(): void } | null
}

export interface SimHost {
  readonly clock: Clock
  readonly personality: Personality
  /** Firmware up and not hung. */
  readonly answering: boolean
  readonly simPresent: boolean
  /** The SIM's own number (shown as the caller ID of its calls), when known. */
  readonly msisdn: string | null
  /** The simulated network between modules, when they are in a gateway: calls to a module's number ring it. */
  readonly network: SimNetwork | null
  /** AT+CSCS: in "UCS2" a module writes numbers and names as UCS2 hex, caller IDs included. */
  readonly charset: string
  /** Registered (home or roaming): the network can carry a call or an SMS. */
  readonly registered: boolean
  /** A timer of the firmware: it dies when the module powers down or restarts. */
  later(ms: number, fn: () => void): Timer
  every(ms: number, fn: () => void): Timer
  /** A line answering the command being handled (slowed by replyDelayMs, in order). */
  answer(line: string): void
  /** Answer bytes without line framing: the SMS prompt "\r\n> ". */
  answerRaw(data: string): void
  /** A line the module sends by itself (never slowed). */
  urc(line: string): void
  /** ERROR or +CME ERROR: <code|text>, as AT+CMEE says. */
  cmeError(code: number, text: string): void
}
