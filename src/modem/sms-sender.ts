import { ErrorCode, LinewatchError } from '../core/errors.js'
import type { AtCommandOptions } from './engine.js'
import { planSms, smsNumberProblem, submitPdus, type SmsEncoding } from './sms.js'

/** How long the network may take to accept a part: EC25's AT manual gives AT+CMGS 120 s (SIM800's 60 s). */
const CMGS_TIMEOUT_MS = 120_000
/** The "> " prompt comes at once from a module that takes the command; without it, ESC and give up. */
const PROMPT_TIMEOUT_MS = 5000

export interface SmsResult {
  to: string
  encoding: SmsEncoding
  /** text: one part of plain ASCII in text mode; pdu: anything else (UCS2, several parts, other GSM-7 characters). */
  mode: 'text' | 'pdu'
  parts: number
  /** The network's message reference of each part (+CMGS: <mr>). */
  references: number[]
}

type Send = (cmd: string, opts?: AtCommandOptions) => Promise<string[]>

/**
 * Printable ASCII the modem maps to GSM-7 itself in the IRA character set. Not CR or LF (a CR makes the
 * module prompt for another line) and not the extension characters (modules map them differently).
 */
const PLAIN_IRA = /^[\x20-\x7e]*$/
const IRA_EXTENSION = /[[\]{}\\^~|]/

/**
 * Sends a text as SMS through one module. Plain ASCII that fits one part
 * goes in text mode in the IRA character set, as the modules' manuals
 * describe it. Everything else goes in PDU mode: UCS2 (Cyrillic) and long
 * texts, the latter as concatenated parts so the phone shows one message.
 * UCS2 in text mode would need AT+CSCS="UCS2", and while it is on a module
 * writes caller IDs (+CLIP) and operator names in UCS2 hex too: a call
 * arriving during the SMS would lose its caller ID. PDU mode leaves the
 * character set alone.
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
  const cmgs = { timeoutMs: CMGS_TIMEOUT_MS, promptTimeoutMs: PROMPT_TIMEOUT_MS, expect: '+CMGS:' }
  const reference = (lines: string[]) => Number(/\+CMGS:\s*(\d+)/.exec(lines[0] ?? '')?.[1] ?? NaN)
  if (plan.parts.length === 1 && plan.encoding === 'gsm7' && PLAIN_IRA.test(text) && !IRA_EXTENSION.test(text)) {
    await send('AT+CMGF=1')
    const charset = await currentCharset(send)
    try {
      await send('AT+CSCS="IRA"')
      await send('AT+CSMP=17,167,0,0')
      const mr = reference(await send(`AT+CMGS="${to}"`, { ...cmgs, body: text }))
      return { to, encoding: 'gsm7', mode: 'text', parts: 1, references: [mr] }
    } finally {
      await send(`AT+CSCS="${charset ?? 'GSM'}"`).catch(() => {})
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
