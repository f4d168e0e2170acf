import type { SimHost } from './host.js'

/** A message the module handed to the network, as the host sent it (PDUs are not decoded here). */
export interface SentSms {
  mode: 'text' | 'pdu'
  /** AT+CSCS at the time. */
  cscs: string
  /** Text mode: the <dcs> of AT+CSMP; PDU mode: null (it is inside the PDU). */
  dcs: number | null
  /** Text mode: the <da> as given (UCS2 hex under AT+CSCS="UCS2"); PDU mode: null. */
  to: string | null
  /** Text mode: the text as sent (UCS2 hex with dcs 8 under UCS2); PDU mode: the hex, SMSC part included. */
  body: string
  /** Clock time the network took it (when +CMGS went out). */
  at: number
}

interface Compose {
  mode: 'text' | 'pdu'
  to: string | null
  /** PDU mode: the TPDU length AT+CMGS gave. */
  length: number
  cscs: string
  dcs: number | null
  body: string
}

const CHARSETS = ['GSM', 'IRA', 'UCS2']
const CTRL_Z = '\x1a'
const ESC = '\x1b'

/**
 * Sending SMS as 27.005 has it: AT+CMGF, AT+CSCS, AT+CSMP, and AT+CMGS with
 * its "> " prompt, a body up to Ctrl-Z (ESC cancels), then +CMGS: <mr> once
 * the network took it. +CMS ERROR codes are numeric whatever AT+CMEE says.
 */
export class SimSms {
  /** Every message the network took, oldest first. */
  readonly sent: SentSms[] = []
  /** Told of each message the network took (the simulator's terminal prints it). */
  onSent: ((sms: SentSms) => void) | null = null
  /** From Ctrl-Z to +CMGS (the network's round trip). */
  smsDelayMs = 1500
  /** While set, every send ends in +CMS ERROR: <this> (e.g. 500, or a text such as 'unknown error'). */
  smsFails: number | string | null = null
  readonly #host: SimHost
  #cmgf = 0
  #cscs: string
  #csmp = [17, 167, 0, 0]
  /** The last TP-MR used; the next message gets the next one (mod 256). Kept across restarts, as on the SIM. */
  #mr = 0
  #compose: Compose | null = null

  get charset(): string {
    return this.#cscs
  }

  constructor(host: SimHost) {
    this.#host = host
    this.#cscs = host.personality.defaultCscs
  }

  /** Between the prompt and Ctrl-Z/ESC: input is the message body, not commands. */
  get composing(): boolean {
    return this.#compose !== null
  }

  reset(): void {
    this.#compose = null
    this.#cmgf = 0
    this.#cscs = this.#host.personality.defaultCscs
    this.#csmp = [17, 167, 0, 0]
  }

  /** `body` is what follows "AT", upper case; `raw` the same as typed (for the destination address). */
  command(body: string, raw: string): boolean {
    const host = this.#host
    if (body === '+CMGF=0' || body === '+CMGF=1') {
      this.#cmgf = Number(body.slice(-1))
      host.answer('OK')
    } else if (body === '+CMGF?') {
      host.answer(`+CMGF: ${this.#cmgf}`)
      host.answer('OK')
    } else if (body === '+CSCS?') {
      host.answer(`+CSCS: "${this.#cscs}"`)
      host.answer('OK')
    } else if (body.startsWith('+CSCS=')) {
      const cs = /^\+CSCS="([^"]*)"$/.exec(body)?.[1]
      if (cs === undefined || !CHARSETS.includes(cs)) host.answer('ERROR')
      else {
        this.#cscs = cs
        host.answer('OK')
      }
    } else if (body === '+CSMP?') {
      host.answer(`+CSMP: ${this.#csmp.join(',')}`)
      host.answer('OK')
    } else if (/^\+CSMP=\d+,\d+,\d+,\d+$/.test(body)) {
      this.#csmp = body.slice(6).split(',').map(Number)
      host.answer('OK')
    } else if (body.startsWith('+CMGS=')) {
      this.#cmgs(raw.slice(6))
    } else return false
    return true
  }

  /** One character of the body. Returns whether the module echoes it (not Ctrl-Z or ESC). */
  input(ch: string): boolean {
    const c = this.#compose
    if (!c) return false
    if (ch === ESC) {
      this.#compose = null
      this.#host.answer('OK')
      return false
    }
    if (ch === CTRL_Z) {
      this.#compose = null
      this.#submit(c)
      return false
    }
    // the LF of a host that ends its AT+CMGS line with CRLF is not part of the text
    if (!(ch === '\n' && c.body === '')) c.body += ch
    return true
  }

  #cmgs(args: string): void {
    const host = this.#host
    const text = /^"([^"]*)"(?:,(\d+))?$/.exec(args)
    const pdu = /^(\d+)$/.exec(args)
    if (this.#cmgf === 1 && !text) return this.#cmsError(305) // invalid text mode parameter
    if (this.#cmgf === 0 && !pdu) return this.#cmsError(304) // invalid PDU mode parameter
    if (!host.simPresent) return this.#cmsError(310) // SIM not inserted
    this.#compose = text
      ? { mode: 'text', to: text[1]!, length: 0, cscs: this.#cscs, dcs: this.#csmp[3] ?? 0, body: '' }
      : { mode: 'pdu', to: null, length: Number(pdu![1]), cscs: this.#cscs, dcs: null, body: '' }
    host.answerRaw('\r\n> ')
  }

  #submit(c: Compose): void {
    const body = c.mode === 'pdu' ? c.body.trim() : c.body
    // a PDU is <SMSC length><SMSC><TPDU>, and AT+CMGS gave the TPDU's length: a module checks that much
    if (c.mode === 'pdu' && !pduFits(body, c.length)) return this.#cmsError(304)
    this.#host.later(this.smsDelayMs, () => {
      if (this.smsFails !== null) return this.#cmsError(this.smsFails)
      if (!this.#host.registered) return this.#cmsError(331) // no network service
      this.#mr = (this.#mr + 1) % 256
      const sms: SentSms = { mode: c.mode, cscs: c.cscs, dcs: c.dcs, to: c.to, body, at: this.#host.clock.now() }
      this.sent.push(sms)
      this.onSent?.(sms)
      this.#host.answer(`+CMGS: ${this.#mr}`)
      this.#host.answer('OK')
    })
  }

  #cmsError(code: number | string): void {
    this.#host.answer(`+CMS ERROR: ${code}`)
  }
}

function pduFits(hex: string, tpduLength: number): boolean {
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return false
  const smsc = parseInt(hex.slice(0, 2), 16)
  return hex.length / 2 === 1 + smsc + tpduLength
}
