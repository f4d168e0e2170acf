import type { Clock, Timer } from '../core/clock.js'
import type { Personality } from './personalities.js'

/**
 * What the parts of a simulated module (its call model, its SMS service) may
 * use of the module they live in. Everything goes through the module so that
 * a hang, a slow reply path or a power cut applies to them too.
 */
export interface SimHost {
  readonly clock: Clock
  readonly personality: Personality
  /** Firmware up and not hung. */
  readonly answering: boolean
  readonly simPresent: boolean
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
