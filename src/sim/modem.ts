import { EventEmitter } from 'node:events'
import type { Clock, Timer } from '../core/clock.js'
import { encodeUcs2Hex } from '../modem/ussd.js'
import { SimCalls, type OutgoingOutcome, type SimCall } from './calls.js'
import type { FarCaller, SimNetwork, SimHost } from './host.js'
import { PERSONALITIES, type Personality, type PersonalityName } from './personalities.js'
import { SimSms, type SentSms } from './sms.js'
import { FirmwareTimers, ReplyPath } from './timing.js'

export type SimRegistration = 'home' | 'roaming' | 'searching' | 'denied' | 'not-registered'
/** 'soft': the reply path is stuck but AT+CFUN=1,1 still reboots it; 'hard': deaf and silent. */
export type SimHang = 'soft' | 'hard'
export type { OutgoingOutcome, SimCall, SentSms }

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
  /** How long a boot takes before the banners (default 3 s). */
  bootMs?: number
  /** The SIM's own number: the caller ID of its calls on the simulated network. */
  msisdn?: string
  /** The SIM's PIN lock: it asks for this PIN after every boot (default: no lock). */
  simPin?: string
  /** Boots without a word (a SIM800 left auto-bauding prints no RDY; Huawei prints ^SYSSTART on its UART only). */
  silentBoot?: boolean
  /** Noise on the line halfway through every boot, as from a boot loader at another baud rate. */
  bootNoise?: boolean
}

/** What a module booting at another baud rate looks like at 115200: no line ends, mostly not printable. */
const BOOT_NOISE = Buffer.from([0x00, 0xf8, 0x80, 0xfe, 0x1c, 0x78, 0xe0, 0x00, 0x98, 0x06, 0xff, 0x00, 0x7e, 0x80, 0xf0])

interface SimModemEvents {
  /** Bytes the modem sends to the host. */
  output: [Buffer]
  /** A command line the modem received (for tests and the demo log). */
  command: [string]
  /** The module came on (true: it starts booting) or went off (false). */
  power: [boolean]
  /** The network took an SMS. */
  sms: [SentSms]
}

/**
 * A GSM module that speaks 27.007 as bytes: echo until ATE0, CRLF-framed
 * answers, final result codes, unsolicited RING/+CLIP/+CREG, voice calls
 * (sim/calls.ts) and SMS sending (sim/sms.ts). It has power as a real module
 * has: a toggling power key, a supply that can be cut. The knobs below are
 * what the demo and the tests turn: ring, lose/regain registration, change
 * the signal, hang, answer slowly, reboot by itself, spit garbage.
 */
export class SimModem extends EventEmitter<SimModemEvents> {
  readonly #clock: Clock
  #input = ''
  #echo = true
  #cmee = 0
  #cregN = 0
  /** off: no supply or switched off; booting: silent until the banners; on: firmware up. */
  #power: 'off' | 'booting' | 'on' = 'on'
  #supply = true
  #hang: SimHang | null = null
  #registration: SimRegistration = 'home'
  #csq: number
  readonly #operator: string
  readonly #info: { manufacturer: string; model: string; imei: string; lac: string; cellId: string }
  readonly personality: Personality
  #bootTimer: Timer | null = null
  #noiseTimer: Timer | null = null
  readonly #bootMs: number
  readonly #silentBoot: boolean
  readonly #bootNoise: boolean
  /** The firmware's timers: they die with it. */
  readonly #timers: FirmwareTimers
  readonly #replies: ReplyPath
  readonly #calls: SimCalls
  readonly #sms: SimSms
  /** Every answer to a command comes this much later (unsolicited lines do not); 0 = at once. */
  replyDelayMs = 0
  readonly msisdn: string | null
  /** The network it is on (set by the SimGateway it is added to). */
  network: SimNetwork | null = null
  /** What the operator answers to a balance USSD. */
  balanceText = 'Баланс: 123,45 р.'
  /** Completed boots so far (power key, supply, soft reset or its own): what the tests and the demo watch. */
  boots = 0
  simPresent = true
  /** The SIM's PIN (null: no lock), asked for after every boot; three wrong ones and it wants the PUK. */
  simPin: string | null
  #simLock: 'none' | 'pin' | 'puk' = 'none'
  #pinTries = 3

  constructor(opts: SimModemOptions) {
    super()
    this.#clock = opts.clock
    this.#csq = opts.csq ?? 21
    this.#bootMs = opts.bootMs ?? 3000
    this.#silentBoot = opts.silentBoot ?? false
    this.#bootNoise = opts.bootNoise ?? false
    this.msisdn = opts.msisdn ?? null
    this.simPin = opts.simPin ?? null
    this.#simLock = this.simPin ? 'pin' : 'none'
    this.#operator = opts.operator ?? 'SimTel'
    this.personality = PERSONALITIES[opts.personality ?? 'quectel']
    this.#info = {
      manufacturer: opts.manufacturer ?? this.personality.manufacturer,
      model: opts.model ?? this.personality.model,
      imei: opts.imei ?? '867698041234567',
      lac: opts.lac ?? '18D8',
      cellId: opts.cellId ?? '0C3F12',
    }
    this.#timers = new FirmwareTimers(this.#clock)
    this.#replies = new ReplyPath(this.#clock, this.#timers, () => this.replyDelayMs, (data) => this.#send(data))
    const self = this
    const host: SimHost = {
      clock: this.#clock,
      personality: this.personality,
      get answering() {
        return self.answering
      },
      get simPresent() {
        return self.simPresent
      },
      get registered() {
        return self.#registered()
      },
      get msisdn() {
        return self.msisdn
      },
      get network() {
        return self.network
      },
      get charset() {
        return self.#sms.charset
      },
      later: (ms, fn) => this.#timers.later(ms, fn),
      every: (ms, fn) => this.#timers.every(ms, fn),
      answer: (line) => this.#answer(line),
      answerRaw: (data) => this.#replies.send(data),
      urc: (line) => this.#urc(line),
      cmeError: (code, text) => this.#cmeError(code, text),
    }
    this.#calls = new SimCalls(host)
    this.#sms = new SimSms(host)
    this.#sms.onSent = (sms) => this.emit('sms', sms)
  }

  get echo(): boolean {
    return this.#echo
  }
  /** Firmware up and not hung. */
  get answering(): boolean {
    return this.#power === 'on' && this.#hang === null
  }
  /** On: booting, up or hung. Off: switched off by the key, or no supply. */
  get powered(): boolean {
    return this.#power !== 'off'
  }
  get hung(): SimHang | null {
    return this.#hang
  }
  get registration(): SimRegistration {
    return this.#registration
  }
  get csq(): number {
    return this.#csq
  }
  /** The calls AT+CLCC would list. */
  get calls(): SimCall[] {
    return this.#calls.list
  }
  /** What the far end does with the calls this module dials next. */
  get outgoing(): OutgoingOutcome {
    return this.#calls.outgoing
  }
  set outgoing(o: OutgoingOutcome) {
    this.#calls.outgoing = o
  }
  get answerAfterMs(): number {
    return this.#calls.answerAfterMs
  }
  set answerAfterMs(ms: number) {
    this.#calls.answerAfterMs = ms
  }
  /** Every SMS the network took, oldest first. */
  get sent(): SentSms[] {
    return this.#sms.sent
  }
  get smsDelayMs(): number {
    return this.#sms.smsDelayMs
  }
  set smsDelayMs(ms: number) {
    this.#sms.smsDelayMs = ms
  }
  /** While set, SMS sends end in `+CMS ERROR: <smsFails>`. */
  get smsFails(): number | string | null {
    return this.#sms.smsFails
  }
  set smsFails(code: number | string | null) {
    this.#sms.smsFails = code
  }

  /** Bytes from the host. */
  write(data: Buffer | string): void {
    const text = typeof data === 'string' ? data : data.toString('latin1')
    let echo = ''
    const flushEcho = () => {
      if (echo) this.#send(echo)
      echo = ''
    }
    for (const ch of text) {
      if (this.#power !== 'on' || this.#hang === 'hard') break // deaf: the rest goes nowhere
      if (this.#hang === null && this.#sms.composing) {
        if (ch === '\x1a' || ch === '\x1b') flushEcho()
        if (this.#sms.input(ch) && this.#echo) echo += ch
        continue
      }
      if (this.#echo && this.#hang === null) echo += ch
      if (ch === '\r') {
        flushEcho()
        const cmd = this.#input.trim()
        this.#input = ''
        if (cmd) this.#command(cmd)
      } else if (ch !== '\n') this.#input += ch
    }
    flushEcho()
  }

  // ---- knobs ----

  setRegistration(reg: SimRegistration): void {
    if (reg === this.#registration) return
    this.#registration = reg
    if (this.#cregN > 0) this.#urc(this.#cregReport(false))
  }

  setSignal(csq: number): void {
    this.#csq = csq
  }

  /** false: the firmware hangs hard (= hang('hard')); true: it recovers from any hang. */
  setAnswering(on: boolean): void {
    if (on) this.#hang = null
    else this.hang('hard')
  }

  /** The firmware hangs: nothing comes out; 'soft' still obeys AT+CFUN=1,1, 'hard' hears nothing. Power or a reboot clears it. */
  hang(kind: SimHang): void {
    if (this.#power !== 'off') this.#hang = kind
  }

  /**
   * The power key toggles, as on a SIM800 or an EC25: a module that is on
   * (up, hung or booting) powers down, saying so first if its firmware is
   * up; one that is off boots. Nothing happens without supply.
   */
  pressPowerKey(): void {
    if (!this.#supply) return
    if (this.#power === 'off') return this.#powerUp()
    if (this.personality.powerDownLine) this.#urc(this.personality.powerDownLine)
    this.#powerDown()
  }

  /** The supply, through a relay: cut = dead at once; back = boots by itself only if the module does (bootsOnPower). */
  setPower(on: boolean): void {
    if (on === this.#supply) return
    this.#supply = on
    if (!on && this.#power !== 'off') this.#powerDown()
    if (on && this.personality.bootsOnPower) this.#powerUp()
  }

  /** As if its own watchdog fired: optionally the power-down line, then silent for bootMs, then the banners. */
  rebootByItself(opts: { announce?: boolean } = {}): void {
    if (this.#power === 'off') return
    if (opts.announce && this.personality.powerDownLine) this.#urc(this.personality.powerDownLine)
    this.#boot()
  }

  /** Ring `times` times, with the caller ID after each RING when +CLIP is on. null = withheld. */
  ring(callerId: string | null, opts: { times?: number; intervalMs?: number } = {}): void {
    if (this.answering) this.#calls.ring(callerId, opts)
  }

  /** The far end hangs up: NO CARRIER for a call in progress; a ringing caller gives up. */
  /** A call from another module of the simulated network (SimGateway); null when this one cannot take it now. */
  incoming(from: string | null, caller: FarCaller): { hangUp(): void } | null {
    return this.answering ? this.#calls.incoming(from, caller) : null
  }

  hangUpRemote(): void {
    this.#calls.hangUpRemote()
  }

  /** The PBX behind the gateway answers the ringing call (as ATA would, from the voice side); false with none ringing. */
  pickUp(): boolean {
    return this.#calls.pickUp()
  }

  /** Raw bytes on the line, as from a noisy cable or a wrong baud rate. */
  sendGarbage(bytes: Buffer): void {
    this.emit('output', bytes)
  }

  stop(): void {
    this.#firmwareDown()
  }

  // ---- power ----

  #powerUp(): void {
    this.#boot()
    this.emit('power', true)
  }

  #powerDown(): void {
    this.#firmwareDown()
    this.#power = 'off'
    this.emit('power', false)
  }

  /** Silent while it boots, then the banners, with every setting back to its default. */
  #boot(): void {
    this.#firmwareDown()
    this.#power = 'booting'
    if (this.#bootNoise) this.#noiseTimer = this.#clock.setTimeout(() => this.emit('output', BOOT_NOISE), this.#bootMs / 2)
    this.#bootTimer = this.#clock.setTimeout(() => {
      this.#bootTimer = null
      this.#power = 'on'
      this.#hang = null
      this.boots++
      // a SIM with a PIN locks again with every power-up of the module
      if (this.#simLock === 'none' && this.simPin) this.#simLock = 'pin'
      if (this.#silentBoot) return
      for (const banner of this.personality.bootBanners) this.#urc(banner === '+CPIN: READY' ? `+CPIN: ${this.#simState() ?? 'NOT INSERTED'}` : banner)
    }, this.#bootMs)
  }

  /** The firmware stops: its timers, pending answers, calls, half-typed input and settings are gone. */
  #firmwareDown(): void {
    this.#timers.cancelAll()
    this.#bootTimer?.cancel()
    this.#bootTimer = null
    this.#noiseTimer?.cancel()
    this.#noiseTimer = null
    this.#replies.clear()
    this.#input = ''
    this.#hang = null
    this.#echo = true
    this.#cmee = 0
    this.#cregN = 0
    this.#calls.reset()
    this.#sms.reset()
  }

  // ---- the AT command set ----

  #command(raw: string): void {
    this.emit('command', raw)
    const cmd = raw.toUpperCase()
    // a stuck reply path: the parser still acts on a soft reset, nothing else gets through
    if (this.#hang === 'soft') return void (cmd === 'AT+CFUN=1,1' && this.#boot())
    if (!cmd.startsWith('AT')) return this.#answer('ERROR')
    const body = cmd.slice(2)
    const set = /^([+&]?[A-Z]+)=(\d+)$/.exec(body)
    if (body === '') return this.#answer('OK')
    if (body === 'E0' || body === 'E1' || body === 'E') {
      this.#echo = body === 'E1'
      return this.#answer('OK')
    }
    if (body === 'V1' || body === 'V') return this.#answer('OK') // verbose result codes: the only kind this modem speaks
    if (body === 'I') return this.#reply([this.#info.manufacturer, this.#info.model, `Revision: ${this.personality.firmware}`])
    if (body === '+CGMI') return this.#reply([this.#info.manufacturer])
    if (body === '+CGMM') return this.#reply([this.#info.model])
    if (body === '+CGSN' || body === '+GSN') return this.#reply([this.#info.imei])
    if (body === '+CGMR') return this.#reply([`Revision: ${this.personality.firmware}`])
    if (body === '+CIMI') return void (this.#simReadable() && this.#reply(['250026612345678']))
    if ((this.personality.iccid.commands as readonly string[]).includes(body)) {
      return void (this.#simReadable() && this.#reply([`${this.personality.iccid.prefix}89701020304050607080`]))
    }
    if (body === '+CSQ') return this.#reply([`+CSQ: ${this.#csq},99`])
    if (body === '+CREG?') return this.#reply([this.#cregReport(true)])
    if (body === '+CPIN?') {
      const state = this.#simState()
      return state ? this.#reply([`+CPIN: ${state}`]) : this.#cmeError(10, 'SIM not inserted')
    }
    const pin = /^\+CPIN="?([0-9]*)"?$/.exec(body)
    if (pin) return this.#enterPin(pin[1]!)
    if (body === '+COPS?') {
      const registered = this.#registered()
      const name = this.#sms.charset === 'UCS2' ? encodeUcs2Hex(this.#operator) : this.#operator
      return this.#reply([registered ? `+COPS: 0,0,"${name}",7` : '+COPS: 0'])
    }
    const ussd = /^\+CUSD=1,"([*#0-9]+)"(?:,\d+)?$/.exec(body)
    if (ussd) {
      // the network answers a few seconds later, UCS2 hex with DCS 72 as Russian operators send it
      this.#answer('OK')
      this.#timers.later(2000, () => this.#urc(`+CUSD: 0,"${encodeUcs2Hex(this.balanceText)}",72`))
      return
    }
    if (body === '+CFUN=1,1') {
      this.#answer('OK')
      return this.#boot()
    }
    if (this.#calls.command(body) || this.#sms.command(body, raw.slice(2))) return
    if (set) {
      const [, name, v] = set
      const value = Number(v)
      if (name === '+CMEE' && value <= 2) this.#cmee = value
      else if (name === '+CREG' && value <= 2) this.#cregN = value
      else return this.#cmeError(3, 'operation not allowed')
      return this.#answer('OK')
    }
    return this.#answer('ERROR')
  }

  /** What AT+CPIN? says; null without a SIM. */
  #simState(): string | null {
    if (!this.simPresent) return null
    return this.#simLock === 'pin' ? 'SIM PIN' : this.#simLock === 'puk' ? 'SIM PUK' : 'READY'
  }

  /** A SIM that can be read (IMSI, ICCID); otherwise answers the error and returns false. */
  #simReadable(): boolean {
    if (!this.simPresent) this.#cmeError(10, 'SIM not inserted')
    else if (this.#simLock === 'pin') this.#cmeError(11, 'SIM PIN required')
    else if (this.#simLock === 'puk') this.#cmeError(12, 'SIM PUK required')
    else return true
    return false
  }

  /** A locked SIM keeps the module off the network. */
  #registered(): boolean {
    return this.#simLock === 'none' && (this.#registration === 'home' || this.#registration === 'roaming')
  }

  #enterPin(pin: string): void {
    if (!this.simPresent) return this.#cmeError(10, 'SIM not inserted')
    if (this.#simLock === 'puk') return this.#cmeError(12, 'SIM PUK required')
    if (this.#simLock === 'none') return this.#cmeError(3, 'operation not allowed')
    if (pin !== this.simPin) {
      this.#pinTries--
      if (this.#pinTries === 0) this.#simLock = 'puk'
      return this.#cmeError(16, 'incorrect password')
    }
    this.#pinTries = 3
    this.#simLock = 'none'
    this.#answer('OK')
    // the SIM says it is ready, then the module registers
    this.#urc('+CPIN: READY')
    if (this.#cregN > 0 && this.#registered()) this.#urc(this.#cregReport(false))
  }

  /** A SIM with this PIN (locked now, as after a boot), or with the lock removed (null). */
  setSimPin(pin: string | null): void {
    this.simPin = pin
    this.#simLock = pin ? 'pin' : 'none'
    this.#pinTries = 3
  }

  /** Tries left before the SIM wants its PUK (what a phone would show). */
  get pinTriesLeft(): number {
    return this.#pinTries
  }

  #cregReport(answer: boolean): string {
    const stat = STAT[this.#simLock === 'none' ? this.#registration : 'not-registered']
    const q = this.personality.quoteLocation ? '"' : ''
    const act = this.personality.act === null ? '' : `,${this.personality.act}`
    const loc = this.#cregN === 2 && (stat === 1 || stat === 5) ? `,${q}${this.#info.lac}${q},${q}${this.#info.cellId}${q}${act}` : ''
    return answer ? `+CREG: ${this.#cregN},${stat}${loc}` : `+CREG: ${stat}${loc}`
  }

  #cmeError(code: number, text: string): void {
    if (this.#cmee === 0) return this.#answer('ERROR')
    this.#answer(`+CME ERROR: ${this.#cmee === 2 ? text : code}`)
  }

  #reply(lines: string[]): void {
    for (const l of lines) this.#answer(l)
    this.#answer('OK')
  }

  /** A line of a command's answer: through the reply path, which may be slow (replyDelayMs). */
  #answer(line: string): void {
    this.#replies.send(`\r\n${line}\r\n`)
  }

  #urc(line: string): void {
    this.#send(`\r\n${line}\r\n`)
  }

  /** Only firmware that is up and not hung says anything. */
  #send(data: string): void {
    if (this.answering) this.emit('output', Buffer.from(data, 'latin1'))
  }
}
