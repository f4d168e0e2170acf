import { encodeUcs2Hex } from '../modem/ussd.js'
import type { Timer } from '../core/clock.js'
import type { FarCaller, SimHost } from './host.js'

/** What the far end does with a call this module dials. */
export type OutgoingOutcome = 'answer' | 'busy' | 'no-answer' | 'fail'

/** A call as AT+CLCC lists it. */
export interface SimCall {
  index: number
  dir: 'mo' | 'mt'
  /** 27.007 <stat>: 0 active, 2 dialing, 3 alerting, 4 incoming (ringing). */
  stat: 0 | 2 | 3 | 4
  /** As dialled, or the caller ID; '' when withheld. */
  number: string
  /** 145 international, 129 national, 128 withheld. */
  type: number
}

/** Dialing → alerting. */
export const ALERT_MS = 1000
/** Alerting → BUSY (the far end rejects). */
export const BUSY_MS = 1000
/** Alerting → NO ANSWER (the network gives up). */
export const NO_ANSWER_MS = 30_000

interface LiveCall extends SimCall {
  /** The next step of its progress (dialing, alerting) or of its ringing. */
  timer: Timer | null
  /** A call put through the simulated network: the other module's end of it. */
  far?: { hangUp(): void }
  /** An incoming call from another module: its caller, told when this side answers or ends. */
  caller?: FarCaller
}

/** Rings of a call from another module before the network gives up (NO ANSWER at the caller). */
const NETWORK_RINGS = 8

/**
 * Voice calls as 27.007 has them: ATD<number>; (OK at once, then dialing →
 * alerting → active or BUSY / NO ANSWER / NO CARRIER on the clock), ATA, ATH,
 * AT+CLCC, RING with +CLIP for incoming calls; SIMCom's AT+CLCC=1 reports
 * every state change unsolicited (with stat 6 when a call ends).
 */
export class SimCalls {
  /** What the far end does with the next calls dialled. */
  outgoing: OutgoingOutcome = 'answer'
  /** Alerting → active when outgoing is 'answer'. */
  answerAfterMs = 3000
  readonly #host: SimHost
  #calls: LiveCall[] = []
  #clip = false
  #clccUrc = false

  constructor(host: SimHost) {
    this.#host = host
  }

  get list(): SimCall[] {
    return this.#calls.map(({ index, dir, stat, number, type }) => ({ index, dir, stat, number, type }))
  }

  /** The firmware restarted or lost power: calls gone without a word, settings back to default. */
  reset(): void {
    for (const c of this.#calls) c.timer?.cancel()
    this.#calls = []
    this.#clip = false
    this.#clccUrc = false
  }

  /** The part of a command after "AT", upper case. False when it is not a call command. */
  command(body: string): boolean {
    const host = this.#host
    const dial = /^D([+0-9*#]*)(;?)$/.exec(body)
    if (dial) {
      const number = dial[1] ?? ''
      if (dial[2] !== ';') host.answer('NO CARRIER') // a data call: this module does voice only
      else if (!number) host.answer('ERROR')
      else if (!host.simPresent) host.cmeError(10, 'SIM not inserted')
      else if (this.#calls.length > 0) host.cmeError(3, 'operation not allowed')
      else {
        host.answer('OK')
        this.#dial(number)
      }
      return true
    }
    if (body === 'A') {
      const call = this.#ringing()
      if (!call) host.answer('NO CARRIER')
      else {
        host.answer('OK')
        this.#set(call, 0)
        call.caller?.answered()
      }
      return true
    }
    if (body === 'H' || body === 'H0') {
      host.answer('OK')
      for (const c of [...this.#calls]) this.#end(c, null)
      return true
    }
    if (body === '+CLCC') {
      for (const c of this.#calls) host.answer(clccLine(c, c.stat))
      host.answer('OK')
      return true
    }
    if ((body === '+CLCC=0' || body === '+CLCC=1') && host.personality.clccUrc) {
      this.#clccUrc = body === '+CLCC=1'
      host.answer('OK')
      return true
    }
    if (body === '+CLIP=0' || body === '+CLIP=1') {
      this.#clip = body === '+CLIP=1'
      host.answer('OK')
      return true
    }
    return false
  }

  /**
   * An incoming call: RING (and +CLIP when on) `times` times, one interval
   * apart; the call stays listed (stat 4) until ATA, ATH, or one interval
   * after the last RING, when the caller gives up (no line for that).
   */
  ring(callerId: string | null, opts: { times?: number; intervalMs?: number } = {}): void {
    const old = this.#ringing()
    if (old) this.#end(old, null)
    const number = callerId ?? ''
    const call = this.#add({ dir: 'mt', stat: 4, number, type: callerId === null ? 128 : numberType(number) })
    this.#report(call)
    let left = opts.times ?? 3
    const once = () => {
      if (left-- <= 0) {
        call.caller?.ended('NO ANSWER')
        call.caller = undefined
        return this.#end(call, null)
      }
      this.#host.urc('RING')
      // in the UCS2 character set the number comes as UCS2 hex, as real modules write it
      const shown = this.#host.charset === 'UCS2' ? encodeUcs2Hex(number) : number
      if (this.#clip) this.#host.urc(`+CLIP: "${shown}",${call.type},,,,${callerId === null ? 1 : 0}`)
    }
    once()
    if (this.#calls.includes(call)) call.timer = this.#host.every(opts.intervalMs ?? 4000, once)
  }

  /** A call from another module through the simulated network: it rings here until answered, hung up, or given up. */
  incoming(from: string | null, caller: FarCaller): { hangUp(): void } | null {
    if (this.#calls.length > 0) return null // busy: no call waiting here
    this.ring(from, { times: NETWORK_RINGS })
    const call = this.#ringing()
    if (!call) return null
    call.caller = caller
    return { hangUp: () => this.#end(call, call.stat === 4 ? null : 'NO CARRIER', false) }
  }

  /** The gateway's voice side (the PBX behind it) answers the ringing call: it is active, the caller is told. */
  pickUp(): boolean {
    const call = this.#ringing()
    if (!call) return false
    this.#set(call, 0)
    call.caller?.answered()
    return true
  }

  /** The far end hangs up: NO CARRIER for a call that was up or being set up; a ringing caller just stops. */
  hangUpRemote(): void {
    for (const c of [...this.#calls]) this.#end(c, c.stat === 4 ? null : 'NO CARRIER')
  }

  #dial(number: string): void {
    const call = this.#add({ dir: 'mo', stat: 2, number, type: numberType(number) })
    this.#report(call)
    const outcome: OutgoingOutcome = this.#host.registered ? this.outgoing : 'fail'
    call.timer = this.#host.later(ALERT_MS, () => {
      // a failed call never rings: the network refuses it while it is being set up
      if (outcome === 'fail') return this.#end(call, 'NO CARRIER')
      this.#set(call, 3)
      // a number another simulated module has: that module rings, and its answer is the answer
      const far = this.#host.network?.connect(number, this.#host.msisdn, {
        answered: () => this.#set(call, 0),
        ended: (line) => this.#end(call, line, false),
      })
      if (far) return void (call.far = far)
      if (outcome === 'answer') call.timer = this.#host.later(this.answerAfterMs, () => this.#set(call, 0))
      else if (outcome === 'busy') call.timer = this.#host.later(BUSY_MS, () => this.#end(call, 'BUSY'))
      else call.timer = this.#host.later(NO_ANSWER_MS, () => this.#end(call, 'NO ANSWER'))
    })
  }

  #add(c: Omit<SimCall, 'index'>): LiveCall {
    let index = 1
    while (this.#calls.some((x) => x.index === index)) index++
    const call: LiveCall = { index, ...c, timer: null }
    this.#calls.push(call)
    this.#calls.sort((a, b) => a.index - b.index)
    return call
  }

  #set(call: LiveCall, stat: SimCall['stat']): void {
    call.timer?.cancel()
    call.timer = null
    call.stat = stat
    this.#report(call)
  }

  /**
   * The call is over: SIMCom reports stat 6 first, then the line (BUSY, NO ANSWER, NO CARRIER) if any.
   * `tellFar`: this side ended it, so the other module's end hears of it.
   */
  #end(call: LiveCall, line: string | null, tellFar = true): void {
    call.timer?.cancel()
    if (!this.#calls.includes(call)) return
    this.#calls = this.#calls.filter((c) => c !== call)
    this.#report(call, 6)
    if (line) this.#host.urc(line)
    if (!tellFar) return
    call.far?.hangUp()
    // the called side hung up: an answered call is over (NO CARRIER), a ringing one refused (BUSY)
    call.caller?.ended(call.stat === 4 ? 'BUSY' : 'NO CARRIER')
  }

  #report(call: LiveCall, stat: number = call.stat): void {
    if (this.#clccUrc) this.#host.urc(clccLine(call, stat))
  }

  #ringing(): LiveCall | undefined {
    return this.#calls.find((c) => c.dir === 'mt' && c.stat === 4)
  }
}

function numberType(number: string): number {
  return number.startsWith('+') ? 145 : 129
}

/** +CLCC: <idx>,<dir>,<stat>,<mode 0 voice>,<mpty 0>,"<number>",<type> */
function clccLine(c: SimCall, stat: number): string {
  return `+CLCC: ${c.index},${c.dir === 'mo' ? 0 : 1},${stat},0,0,"${c.number}",${c.type}`
}
