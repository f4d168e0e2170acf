import { ErrorCode, LinewatchError } from '../core/errors.js'
import type { AtCommandOptions } from './engine.js'
import { planSms, smsNumberProblem, submitPdus, type SmsEncoding } from './sms.js'
import { encodeUcs2Hex } from './ussd.js'

/** 27.005 allows the network up to a minute to take a message; SIM800's manual says 60 s, EC25's 120 s. */
const CMGS_TIMEOUT_MS = 60_000

export interface SmsResult {
  to: string
  encoding: SmsEncoding
  /** text: one part in text mode; pdu: several (only PDU mode carries the concatenation header) or a non-ASCII GSM-7 text. */
  mode: 'text' | 'pdu'
  parts: number
  /** The network's message reference of each part (+CMGS: <mr>). */
  references: number[]
}

type Send = (cmd: string, opts?: AtCommandOptions) => Promise<string[]>

/** Printable ASCII the modem maps to GSM-7 itself in the IRA character set; the extension characters vary by module, so they go as PDU. */
const PLAIN_IRA = /^[\x20-\x7e\r\n]*$/
const IRA_EXTENSION = /[[\]{}\\^~|]/

/**
 * Sends a text as SMS through one module. One part goes in text mode as the
 * modules' manuals describe it: IRA for plain ASCII, UCS2 (hex, DCS 8) for
 * anything else such as Cyrillic. Several parts go in PDU mode with a
 * concatenation header, so the phone shows one message. The character set is
 * put back afterwards, since it also decides how USSD replies are written.
 */
export async function sendSms(send: Send, to: string, text: string, ref: number): Promise<SmsResult> {
  const problem = smsNumberProblem(to) ?? (text.length === 0 ? 'the text is empty' : null)
  if (problem) throw new LinewatchError(ErrorCode.INVALID_INPUT, problem)
  let plan
  try {
    plan = planSms(text)
  } catch (err) {
    throw new LinewatchError(ErrorCode.INVALID_INPUT, (err as Error).message)
  }
  const cmgs = { timeoutMs: CMGS_TIMEOUT_MS, expect: '+CMGS:' }
  const reference = (lines: string[]) => Number(/\+CMGS:\s*(\d+)/.exec(lines[0] ?? '')?.[1] ?? NaN)
  const single = plan.parts.length === 1
  if (single && plan.encoding === 'gsm7' && PLAIN_IRA.test(text) && !IRA_EXTENSION.test(text)) {
    await send('AT+CMGF=1')
    const charset = await currentCharset(send)
    try {
      await send('AT+CSCS="IRA"')
      await send('AT+CSMP=17,167,0,0')
      const mr = reference(await send(`AT+CMGS="${to}"`, { ...cmgs, body: text }))
      return { to, encoding: 'gsm7', mode: 'text', parts: 1, references: [mr] }
    } finally {
      await restoreCharset(send, charset)
    }
  }
  if (single && plan.encoding === 'ucs2') {
    await send('AT+CMGF=1')
    const charset = await currentCharset(send)
    try {
      // in the UCS2 character set the number is written in UCS2 hex too
      await send('AT+CSCS="UCS2"')
      await send('AT+CSMP=17,167,0,8')
      const mr = reference(await send(`AT+CMGS="${encodeUcs2Hex(to)}"`, { ...cmgs, body: encodeUcs2Hex(text) }))
      return { to, encoding: 'ucs2', mode: 'text', parts: 1, references: [mr] }
    } finally {
      await restoreCharset(send, charset)
    }
  }
  const { encoding, pdus } = submitPdus(to, text, ref)
  await send('AT+CMGF=0')
  const references: number[] = []
  try {
    for (const pdu of pdus) references.push(reference(await send(`AT+CMGS=${pdu.tpduLength}`, { ...cmgs, body: pdu.hex })))
  } catch (err) {
    // the parts already sent are out: say so, since a retry would send them twice
    if (references.length > 0 && err instanceof LinewatchError) throw new LinewatchError(err.code, `${err.message} (after ${references.length} of ${pdus.length} parts were sent)`, err.details)
    throw err
  } finally {
    await send('AT+CMGF=1').catch(() => {})
  }
  return { to, encoding, mode: 'pdu', parts: pdus.length, references }
}

async function currentCharset(send: Send): Promise<string | null> {
  const line = (await send('AT+CSCS?', { expect: '+CSCS:' }).catch(() => []))[0]
  return /\+CSCS:\s*"([^"]+)"/.exec(line ?? '')?.[1] ?? null
}

async function restoreCharset(send: Send, charset: string | null): Promise<void> {
  await send(`AT+CSCS="${charset ?? 'GSM'}"`).catch(() => {})
}
