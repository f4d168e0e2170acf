/**
 * A simulated Modbus RTU slave (relay module, stack light) on a byte stream:
 * one end of a pseudo-terminal, a serialport stream, or an in-memory Duplex.
 *
 * Framing: requests are cut by the length their function code implies and
 * taken only with a good CRC, scanning forward byte by byte past anything
 * that is not one. The standard's 3.5-character silence cannot be seen
 * reliably here: USB adapters, ptys and the event loop batch and split bytes
 * with gaps that have nothing to do with the wire. Silence is used only for
 * a function we do not know (its length is unknowable): when the line has
 * been quiet for `silenceMs`, the bytes heard so far are taken as one frame,
 * so the master still gets its "illegal function" exception.
 */
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { crcOk, withCrc } from '../hw/modbus-coils.js'

export const ModbusException = { ILLEGAL_FUNCTION: 1, ILLEGAL_DATA_ADDRESS: 2, ILLEGAL_DATA_VALUE: 3 } as const

const MAX_ADU = 256

export interface SimModbusSlaveOptions {
  slaveId: number
  /** How many coils it has (default 8). */
  coils?: number
  /** How many holding registers (FC 3/6; default 0). */
  registers?: number
  /** Quiet time that ends a frame of an unknown function (default 5 ms). */
  silenceMs?: number
}

interface SlaveEvents {
  /** A coil changed. */
  coil: [address: number, value: boolean]
  register: [address: number, value: number]
  /** A good frame for this slave was heard (also while not answering). */
  request: [frame: Buffer]
}

/** Request length by function code: a number, null for an unknown function, undefined while the byte count is still to come. */
function requestLength(b: Buffer, at: number): number | null | undefined {
  const fc = b[at + 1]!
  if (fc >= 1 && fc <= 6) return 8
  if (fc === 15 || fc === 16) return at + 6 < b.length ? 9 + b[at + 6]! : undefined
  return null
}

export class SimModbusSlave extends EventEmitter<SlaveEvents> {
  readonly slaveId: number
  readonly coils: boolean[]
  readonly registers: number[]
  readonly #silenceMs: number
  #stream: Duplex | null = null
  #buf = Buffer.alloc(0)
  #answering = true
  #silence: NodeJS.Timeout | null = null

  constructor(options: SimModbusSlaveOptions) {
    super()
    this.slaveId = options.slaveId
    this.coils = new Array<boolean>(options.coils ?? 8).fill(false)
    this.registers = new Array<number>(options.registers ?? 0).fill(0)
    this.#silenceMs = options.silenceMs ?? 5
  }

  /** Put the slave on a stream (moving it off any previous one, as a device re-plugged). */
  attach(stream: Duplex): this {
    this.detach()
    this.#stream = stream
    stream.on('data', this.#onData)
    return this
  }

  /** Off its stream; the stream stays open (its owner closes it). */
  detach(): void {
    this.#stream?.off('data', this.#onData)
    this.#stream = null
    this.#buf = Buffer.alloc(0)
    this.#clearSilence()
  }

  get answering(): boolean {
    return this.#answering
  }

  /** false: deaf and mute, as a module with its power or its RS-485 pair cut: requests change nothing, nothing is sent. */
  setAnswering(on: boolean): void {
    this.#answering = on
  }

  #onData = (chunk: Buffer): void => {
    this.#buf = Buffer.concat([this.#buf, chunk])
    for (let f = this.#findFrame(); f; f = this.#findFrame()) {
      const frame = Buffer.from(this.#buf.subarray(f.start, f.start + f.length))
      this.#buf = this.#buf.subarray(f.start + f.length)
      this.#onFrame(frame)
    }
    // nothing complete in the last 256 bytes: the older ones can never be part of a frame
    if (this.#buf.length > MAX_ADU) this.#buf = this.#buf.subarray(-MAX_ADU)
    this.#clearSilence()
    if (this.#buf.length >= 4) {
      this.#silence = setTimeout(this.#onSilence, this.#silenceMs)
      this.#silence.unref()
    }
  }

  /** The first complete known-length frame with a good CRC, at any offset (what precedes it is noise). */
  #findFrame(): { start: number; length: number } | null {
    const b = this.#buf
    for (let s = 0; s + 8 <= b.length; s++) {
      const length = requestLength(b, s)
      if (typeof length === 'number' && s + length <= b.length && crcOk(b.subarray(s, s + length))) return { start: s, length }
    }
    return null
  }

  /** The line went quiet: what is left may be one frame of a function we do not know. */
  #onSilence = (): void => {
    this.#silence = null
    const b = this.#buf
    for (let s = 0; s + 4 <= b.length; s++) {
      if (requestLength(b, s) === null && crcOk(b.subarray(s))) {
        this.#buf = Buffer.alloc(0)
        return this.#onFrame(Buffer.from(b.subarray(s)))
      }
    }
  }

  #clearSilence(): void {
    if (this.#silence) clearTimeout(this.#silence)
    this.#silence = null
  }

  #onFrame(frame: Buffer): void {
    const id = frame[0]!
    // another slave's business, or our own cable cut: a real slave stays silent
    if ((id !== this.slaveId && id !== 0) || !this.#answering) return
    this.emit('request', frame)
    const reply = this.#execute(frame[1]!, frame.subarray(2, -2))
    // broadcast (id 0): act on it, never answer
    if (id !== 0) this.#stream?.write(withCrc([id, ...reply]))
  }

  /** The reply's PDU (function code and data) for a request's PDU. */
  #execute(fc: number, d: Buffer): number[] {
    const fail = (code: number) => [fc | 0x80, code]
    const addr = d.length >= 2 ? d.readUInt16BE(0) : 0
    const word = d.length >= 4 ? d.readUInt16BE(2) : 0
    switch (fc) {
      case 1: {
        if (word < 1 || word > 2000) return fail(ModbusException.ILLEGAL_DATA_VALUE)
        if (addr + word > this.coils.length) return fail(ModbusException.ILLEGAL_DATA_ADDRESS)
        const bytes = new Array<number>(Math.ceil(word / 8)).fill(0)
        for (let i = 0; i < word; i++) if (this.coils[addr + i]) bytes[i >> 3]! |= 1 << (i & 7)
        return [fc, bytes.length, ...bytes]
      }
      case 3: {
        if (word < 1 || word > 125) return fail(ModbusException.ILLEGAL_DATA_VALUE)
        if (addr + word > this.registers.length) return fail(ModbusException.ILLEGAL_DATA_ADDRESS)
        const out = [fc, word * 2]
        for (const r of this.registers.slice(addr, addr + word)) out.push(r >> 8, r & 0xff)
        return out
      }
      case 5: {
        if (word !== 0xff00 && word !== 0x0000) return fail(ModbusException.ILLEGAL_DATA_VALUE)
        if (addr >= this.coils.length) return fail(ModbusException.ILLEGAL_DATA_ADDRESS)
        this.#setCoil(addr, word === 0xff00)
        return [fc, ...d]
      }
      case 6: {
        if (addr >= this.registers.length) return fail(ModbusException.ILLEGAL_DATA_ADDRESS)
        if (this.registers[addr] !== word) {
          this.registers[addr] = word
          this.emit('register', addr, word)
        }
        return [fc, ...d]
      }
      case 15: {
        if (word < 1 || word > 1968 || d[4] !== Math.ceil(word / 8)) return fail(ModbusException.ILLEGAL_DATA_VALUE)
        if (addr + word > this.coils.length) return fail(ModbusException.ILLEGAL_DATA_ADDRESS)
        for (let i = 0; i < word; i++) this.#setCoil(addr + i, ((d[5 + (i >> 3)]! >> (i & 7)) & 1) === 1)
        return [fc, ...d.subarray(0, 4)]
      }
      default:
        return fail(ModbusException.ILLEGAL_FUNCTION)
    }
  }

  #setCoil(address: number, value: boolean): void {
    if (this.coils[address] === value) return
    this.coils[address] = value
    this.emit('coil', address, value)
  }
}
