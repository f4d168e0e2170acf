/**
 * A simulated Arduino running StandardFirmata, at the byte level, on a
 * Duplex (one end of a memory line or a pty): what the box's Firmata client
 * (firmata-io, through johnny-five) talks to in the tests and the bench.
 *
 * Covered: the handshake a board does after reset (REPORT_VERSION and the
 * firmware name, and both again on request), CAPABILITY_QUERY,
 * ANALOG_MAPPING_QUERY, SET_PIN_MODE, DIGITAL_MESSAGE (port writes; HIGH on an
 * input turns its pull-up on, as StandardFirmata does), SET_DIGITAL_PIN_VALUE,
 * ANALOG_MESSAGE (PWM), REPORT_DIGITAL (then a DIGITAL_MESSAGE on each input
 * change). Anything else is skipped to the next command byte.
 */
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'

const START_SYSEX = 0xf0
const END_SYSEX = 0xf7
const REPORT_VERSION = 0xf9
const QUERY_FIRMWARE = 0x79
const CAPABILITY_QUERY = 0x6b
const CAPABILITY_RESPONSE = 0x6c
const ANALOG_MAPPING_QUERY = 0x69
const ANALOG_MAPPING_RESPONSE = 0x6a
const SET_PIN_MODE = 0xf4
const SET_DIGITAL_PIN_VALUE = 0xf5
const DIGITAL_MESSAGE = 0x90
const ANALOG_MESSAGE = 0xe0
const REPORT_DIGITAL = 0xd0
const MODE = { INPUT: 0, OUTPUT: 1, PWM: 3, PULLUP: 11 } as const

export interface SimFirmataPin {
  mode: number
  /** Output level or PWM duty written by the box; the level an input reads. */
  value: number
  pullUp: boolean
  external: 0 | 1 | null
}

interface DeviceEvents {
  /** An output changed: (pin, value). */
  pin: [number, number]
  [key: string]: unknown[]
}

export class SimFirmataDevice extends EventEmitter<DeviceEvents> {
  readonly pins: SimFirmataPin[]
  readonly name: string
  #stream: Duplex | null = null
  #buf: number[] = []
  #answering = true
  readonly #reporting = new Set<number>()

  constructor(opts: { pinCount?: number; name?: string } = {}) {
    super()
    this.pins = Array.from({ length: opts.pinCount ?? 20 }, () => ({ mode: MODE.OUTPUT, value: 0, pullUp: false, external: null }))
    this.name = opts.name ?? 'StandardFirmata.ino'
  }

  /** Plug in: the board resets and announces itself, as a real one does when the port opens. */
  attach(stream: Duplex): this {
    this.#stream = stream
    stream.on('data', this.#onData)
    setImmediate(() => {
      this.#send([REPORT_VERSION, 2, 5])
      this.#sendFirmware()
    })
    return this
  }

  detach(): void {
    this.#stream?.off('data', this.#onData)
    this.#stream = null
  }

  /** false: the board hears nothing and says nothing (a crashed sketch, the wrong firmware). */
  setAnswering(on: boolean): void {
    this.#answering = on
  }

  /** Drive an input from outside (a button to ground = 0); null floats it to its pull-up or low. */
  drive(pin: number, level: 0 | 1 | null): void {
    this.pins[pin]!.external = level
    this.#settle(pin)
  }

  #send(bytes: number[]): void {
    if (this.#answering) this.#stream?.write(Buffer.from(bytes))
  }

  #sendFirmware(): void {
    const name = [...Buffer.from(this.name)].flatMap((b) => [b & 0x7f, (b >> 7) & 0x7f])
    this.#send([START_SYSEX, QUERY_FIRMWARE, 2, 5, ...name, END_SYSEX])
  }

  #onData = (chunk: Buffer): void => {
    if (!this.#answering) return
    for (const b of chunk) {
      // a command byte starts a new message (a sysex ends at its END_SYSEX)
      if (b & 0x80 && this.#buf[0] !== START_SYSEX) this.#buf = []
      if (this.#buf.length === 0 && !(b & 0x80)) continue // data with no command: noise
      this.#buf.push(b)
      this.#take()
    }
  }

  #take(): void {
    const m = this.#buf
    const cmd = m[0]! < 0xf0 ? m[0]! & 0xf0 : m[0]!
    if (cmd === START_SYSEX) {
      if (m[m.length - 1] !== END_SYSEX) return
      this.#sysex(m[1]!)
    } else if (cmd === REPORT_VERSION) this.#send([REPORT_VERSION, 2, 5])
    else if (cmd === DIGITAL_MESSAGE || cmd === ANALOG_MESSAGE || cmd === SET_PIN_MODE || cmd === SET_DIGITAL_PIN_VALUE) {
      if (m.length < 3) return
      this.#three(cmd, m)
    } else if (cmd === REPORT_DIGITAL) {
      if (m.length < 2) return
      const port = m[0]! & 0x0f
      if (m[1]) this.#reporting.add(port)
      else this.#reporting.delete(port)
      if (m[1]) this.#report(port)
    }
    this.#buf = []
  }

  #sysex(id: number): void {
    if (id === QUERY_FIRMWARE) return this.#sendFirmware()
    if (id === CAPABILITY_QUERY) {
      const caps = this.pins.flatMap(() => [MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PWM, 8, MODE.PULLUP, 1, 0x7f])
      return this.#send([START_SYSEX, CAPABILITY_RESPONSE, ...caps, END_SYSEX])
    }
    if (id === ANALOG_MAPPING_QUERY) return this.#send([START_SYSEX, ANALOG_MAPPING_RESPONSE, ...this.pins.map(() => 0x7f), END_SYSEX])
  }

  #three(cmd: number, m: number[]): void {
    if (cmd === SET_PIN_MODE) {
      const p = this.pins[m[1]!]
      if (!p) return
      p.mode = m[2]!
      if (p.mode === MODE.PULLUP) p.pullUp = true
      if (p.mode === MODE.INPUT || p.mode === MODE.PULLUP) this.#settle(m[1]!, true)
      return
    }
    if (cmd === SET_DIGITAL_PIN_VALUE) return this.#write(m[1]!, m[2]! ? 1 : 0)
    if (cmd === ANALOG_MESSAGE) return this.#write(m[0]! & 0x0f, m[1]! | (m[2]! << 7))
    const port = m[0]! & 0x0f
    const bits = m[1]! | (m[2]! << 7)
    for (let i = 0; i < 8; i++) this.#write(port * 8 + i, (bits >> i) & 1)
  }

  #write(pin: number, value: number): void {
    const p = this.pins[pin]
    if (!p) return
    if (p.mode === MODE.INPUT || p.mode === MODE.PULLUP) {
      p.pullUp = value === 1
      this.#settle(pin)
      return
    }
    if (p.value === value) return
    p.value = value
    this.emit('pin', pin, value)
  }

  #settle(pin: number, force = false): void {
    const p = this.pins[pin]!
    if (p.mode !== MODE.INPUT && p.mode !== MODE.PULLUP) return
    const level = p.external ?? (p.pullUp ? 1 : 0)
    if (level === p.value && !force) return
    p.value = level
    if (this.#reporting.has(pin >> 3)) this.#report(pin >> 3)
  }

  #report(port: number): void {
    let bits = 0
    for (let i = 0; i < 8; i++) {
      const p = this.pins[port * 8 + i]
      if (p && (p.mode === MODE.INPUT || p.mode === MODE.PULLUP) && p.value) bits |= 1 << i
    }
    this.#send([DIGITAL_MESSAGE | port, bits & 0x7f, (bits >> 7) & 0x7f])
  }
}
