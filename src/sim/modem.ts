import { EventEmitter } from 'node:events'
import type { Clock, Timer } from '../core/clock.js'
import { encodeUcs2Hex } from '../modem/ussd.js'
import { PERSONALITIES, type Personality, type PersonalityName } from './personalities.js'

export type SimRegistration = 'home' | 'roaming' | 'searching' | 'denied' | 'not-registered'

const STAT: Record<SimRegistration, number> = { 'not-registered': 0, home: 1, searching: 2, denied: 3, roaming: 5 }

export interface SimModemOptions {
  clock: Clock
  /** Which module to be (default quectel). */
  personality?: PersonalityName
  manufacturer?: string
  model?: string
  imei?: string
  operator?: string
  csq?: number
  lac?: string
  cellId?: string
  /** How long a reboot takes before RDY (default 3 s). */
  bootMs?: number
}

interface SimModemEvents {
  /** Bytes the modem sends to the host. */
  output: [Buffer]
  /** A command line the modem received (for tests and the demo log). */
  command: [string]
}

/**
 * A GSM module that speaks 27.007 as bytes: echo until ATE0, CRLF-framed
 * answers, final result codes, unsolicited RING/+CLIP/+CREG. The knobs below
 * are what the demo and the tests turn: ring, lose/regain registration,
 * change the signal, stop answering, spit garbage.
 */
export class SimModem extends EventEmitter<SimModemEvents> {
  readonly #clock: Clock
  #input = ''
  #echo = true
  #cmee = 0
  #clip = false
  #cregN = 0
  #answering = true
  #registration: SimRegistration = 'home'
  #csq: number
  readonly #operator: string
  readonly #info: { manufacturer: string; model: string; imei: string; lac: string; cellId: string }
  readonly personality: Personality
  #ringTimer: Timer | null = null
  #bootTimer: Timer | null = null
  readonly #bootMs: number
  /** What the operator answers to a balance USSD. */
  balanceText = 'Баланс: 123,45 р.'
  /** Reboots so far (soft reset or power key): what the tests and the demo watch. */
  boots = 0
  simPresent = true

  constructor(opts: SimModemOptions) {
    super()
    this.#clock = opts.clock
    this.#csq = opts.csq ?? 21
    this.#bootMs = opts.bootMs ?? 3000
    this.#operator = opts.operator ?? 'SimTel'
    this.personality = PERSONALITIES[opts.personality ?? 'quectel']
    this.#info = {
      manufacturer: opts.manufacturer ?? this.personality.manufacturer,
      model: opts.model ?? this.personality.model,
      imei: opts.imei ?? '867698041234567',
      lac: opts.lac ?? '18D8',
      cellId: opts.cellId ?? '0C3F12',
    }
  }

  get echo(): boolean {
    return this.#echo
  }
  get answering(): boolean {
    return this.#answering
  }
  get registration(): SimRegistration {
    return this.#registration
  }
  get csq(): number {
    return this.#csq
  }

  /** Bytes from the host. */
  write(data: Buffer | string): void {
    if (!this.#answering) return
    const text = typeof data === 'string' ? data : data.toString('latin1')
    if (this.#echo) this.#send(text)
    for (const ch of text) {
      if (ch === '\r') {
        const cmd = this.#input.trim()
        this.#input = ''
        if (cmd) this.#command(cmd)
      } else if (ch !== '\n') this.#input += ch
    }
  }

  // ---- knobs ----

  setRegistration(reg: SimRegistration): void {
    if (reg === this.#registration) return
    this.#registration = reg
    if (this.#cregN > 0 && this.#answering) this.#urc(this.#cregReport(false))
  }

  setSignal(csq: number): void {
    this.#csq = csq
  }

  /** A modem that stops answering takes bytes and says nothing, as a hung module does. */
  setAnswering(on: boolean): void {
    this.#answering = on
    if (!on) this.#stopRinging()
  }

  /** The power key: whatever state it is in, the module restarts (a hung one included). */
  pressPowerKey(): void {
    this.#reboot()
  }

  /** Ring `times` times, with the caller ID after each RING when +CLIP is on. null = withheld. */
  ring(callerId: string | null, opts: { times?: number; intervalMs?: number } = {}): void {
    this.#stopRinging()
    let left = opts.times ?? 3
    const once = () => {
      if (!this.#answering) return
      this.#urc('RING')
      if (this.#clip) {
        const type = callerId === null ? 128 : callerId.startsWith('+') ? 145 : 129
        this.#urc(`+CLIP: "${callerId ?? ''}",${type},,,,${callerId === null ? 1 : 0}`)
      }
      if (--left <= 0) this.#stopRinging()
    }
    once()
    if (left > 0) this.#ringTimer = this.#clock.setInterval(once, opts.intervalMs ?? 4000)
  }

  /** Raw bytes on the line, as from a noisy cable or a wrong baud rate. */
  sendGarbage(bytes: Buffer): void {
    this.#send(bytes)
  }

  stop(): void {
    this.#stopRinging()
    this.#bootTimer?.cancel()
  }

  /** Silent while it boots, then the banners, with every setting back to its default. */
  #reboot(): void {
    this.#stopRinging()
    this.#bootTimer?.cancel()
    this.#answering = false
    this.#input = ''
    this.#bootTimer = this.#clock.setTimeout(() => {
      this.#bootTimer = null
      this.boots++
      this.#echo = true
      this.#cmee = 0
      this.#clip = false
      this.#cregN = 0
      this.#answering = true
      for (const banner of this.personality.bootBanners) this.#urc(banner)
    }, this.#bootMs)
  }

  // ---- the AT command set ----

  #command(raw: string): void {
    this.emit('command', raw)
    const cmd = raw.toUpperCase()
    if (!cmd.startsWith('AT')) return this.#final('ERROR')
    const body = cmd.slice(2)
    const set = /^([+&]?[A-Z]+)=(\d+)$/.exec(body)
    if (body === '') return this.#final('OK')
    if (body === 'E0' || body === 'E1' || body === 'E') {
      this.#echo = body === 'E1'
      return this.#final('OK')
    }
    if (body === 'V1' || body === 'V') return this.#final('OK') // verbose result codes: the only kind this modem speaks
    if (body === 'I') return this.#reply([this.#info.manufacturer, this.#info.model, `Revision: ${this.personality.firmware}`])
    if (body === '+CGMI') return this.#reply([this.#info.manufacturer])
    if (body === '+CGMM') return this.#reply([this.#info.model])
    if (body === '+CGSN' || body === '+GSN') return this.#reply([this.#info.imei])
    if (body === '+CGMR') return this.#reply([`Revision: ${this.personality.firmware}`])
    if (body === '+CIMI') return this.simPresent ? this.#reply(['250026612345678']) : this.#cmeError(10, 'SIM not inserted')
    if ((this.personality.iccid.commands as readonly string[]).includes(body)) {
      return this.simPresent ? this.#reply([`${this.personality.iccid.prefix}89701020304050607080`]) : this.#cmeError(10, 'SIM not inserted')
    }
    if (body === '+CSQ') return this.#reply([`+CSQ: ${this.#csq},99`])
    if (body === '+CREG?') return this.#reply([this.#cregReport(true)])
    if (body === '+CPIN?') return this.simPresent ? this.#reply(['+CPIN: READY']) : this.#cmeError(10, 'SIM not inserted')
    if (body === '+COPS?') {
      const registered = this.#registration === 'home' || this.#registration === 'roaming'
      return this.#reply([registered ? `+COPS: 0,0,"${this.#operator}",7` : '+COPS: 0'])
    }
    if (body === 'H' || body === 'H0') return this.#final('OK')
    const ussd = /^\+CUSD=1,"([*#0-9]+)"(?:,\d+)?$/.exec(body)
    if (ussd) {
      // the network answers a few seconds later, UCS2 hex with DCS 72 as Russian operators send it
      this.#final('OK')
      this.#clock.setTimeout(() => this.#answering && this.#urc(`+CUSD: 0,"${encodeUcs2Hex(this.balanceText)}",72`), 2000)
      return
    }
    if (body === '+CFUN=1,1') {
      this.#final('OK')
      return this.#reboot()
    }
    if (set) {
      const [, name, v] = set
      const value = Number(v)
      if (name === '+CMEE' && value <= 2) this.#cmee = value
      else if (name === '+CLIP' && value <= 1) this.#clip = value === 1
      else if (name === '+CREG' && value <= 2) this.#cregN = value
      else return this.#cmeError(3, 'operation not allowed')
      return this.#final('OK')
    }
    return this.#final('ERROR')
  }

  #cregReport(answer: boolean): string {
    const stat = STAT[this.#registration]
    const q = this.personality.quoteLocation ? '"' : ''
    const act = this.personality.act === null ? '' : `,${this.personality.act}`
    const loc = this.#cregN === 2 && (stat === 1 || stat === 5) ? `,${q}${this.#info.lac}${q},${q}${this.#info.cellId}${q}${act}` : ''
    return answer ? `+CREG: ${this.#cregN},${stat}${loc}` : `+CREG: ${stat}${loc}`
  }

  #cmeError(code: number, text: string): void {
    if (this.#cmee === 0) return this.#final('ERROR')
    this.#final(`+CME ERROR: ${this.#cmee === 2 ? text : code}`)
  }

  #reply(lines: string[]): void {
    for (const l of lines) this.#urc(l)
    this.#final('OK')
  }

  #final(code: string): void {
    this.#urc(code)
  }

  #urc(line: string): void {
    this.#send(`\r\n${line}\r\n`)
  }

  #send(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
    this.emit('output', buf)
  }

  #stopRinging(): void {
    this.#ringTimer?.cancel()
    this.#ringTimer = null
  }
}
