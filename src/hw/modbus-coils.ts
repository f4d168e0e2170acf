/**
 * Coils of a Modbus RTU slave (a relay module, a stack light) over a serial
 * line, through the `modbus-serial` client.
 *
 * modbus-serial's ModbusRTU takes any port object in its constructor, but it
 * treats every 'data' event as one whole response frame: it has no framing of
 * its own (its connectRTU relies on termios VMIN, which only guarantees 5
 * bytes). Its own framer, RTUBufferedPort, always opens a new `serialport`
 * by path, so it cannot sit on a stream we opened (a `sim:` port, a test
 * pair). RtuPort below is that framer, on any open Duplex.
 */
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { createRequire } from 'node:module'
import type ModbusSerial from 'modbus-serial'
import { SerialPort } from 'serialport'
import { openFailureReason } from './serial.js'

type ModbusClient = InstanceType<typeof ModbusSerial.default>

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff
  for (const b of bytes) {
    crc ^= b
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1
  }
  return crc
}

/** The frame with its CRC appended. */
export function withCrc(bytes: Uint8Array | readonly number[]): Buffer {
  const body = Buffer.from(bytes)
  const out = Buffer.alloc(body.length + 2)
  body.copy(out)
  out.writeUInt16LE(crc16(body), body.length)
  return out
}

export function crcOk(frame: Uint8Array): boolean {
  return frame.length >= 4 && crc16(frame.subarray(0, -2)) === (frame[frame.length - 2]! | (frame[frame.length - 1]! << 8))
}

/** An open byte stream to the bus: a serialport stream, or any Duplex (tests). */
export type ModbusLink = Duplex & { isOpen?: boolean; close?(cb?: (err: Error | null) => void): void }

export interface ModbusCoilsConfig {
  /** Device path, e.g. /dev/ttyUSB0. */
  port: string
  baudRate?: number
  parity?: 'none' | 'even' | 'odd'
  dataBits?: 8
  /** The RTU spec wants 2 stop bits when there is no parity; many devices still use 1. */
  stopBits?: 1 | 2
  slaveId: number
  timeoutMs?: number
}
export type ResolvedModbusConfig = Required<ModbusCoilsConfig>
/** Opens the line for the driver; the default opens the device with serialport. */
export type LinkOpener = (config: ResolvedModbusConfig) => Promise<ModbusLink>

/** SerialOpener (src/hw/serial.ts) takes no parity/stop bits, which RTU devices need, so the default opens the device itself. */
export const openSerialLink: LinkOpener = async (c) => {
  const port = new SerialPort({ path: c.port, baudRate: c.baudRate, parity: c.parity, dataBits: c.dataBits, stopBits: c.stopBits, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  return port
}

function closeLink(link: ModbusLink): Promise<void> {
  return new Promise((resolve) => {
    if (link.destroyed || link.isOpen === false) return resolve()
    if (typeof link.close === 'function') return link.close(() => resolve())
    link.once('close', () => resolve())
    link.destroy()
  })
}

/** Length of the answer to `request`, or 0 when we cannot tell (then chunks pass through as they come). */
function answerLength(request: Buffer): number {
  const count = request.length >= 6 ? request.readUInt16BE(4) : 0
  switch (request[1]) {
    case 1: case 2: return 5 + Math.ceil(count / 8)
    case 3: case 4: return 5 + 2 * count
    case 5: case 6: case 15: case 16: return 8
    default: return 0
  }
}

/**
 * The port object ModbusRTU drives. Reassembles the answer by the length the
 * request implies, and only takes a frame with a good CRC from the slave
 * asked (garbage and line noise before it are skipped, not fatal). A write's
 * echo must match the request, so a late answer to an earlier, timed-out
 * write cannot be taken for this one's.
 */
class RtuPort extends EventEmitter {
  // ModbusRTU keys its transactions on these; it sets them in open()
  _transactionIdRead = 1
  _transactionIdWrite = 1
  #buf = Buffer.alloc(0)
  #request: Buffer | null = null
  #dead = false
  #closing: Promise<void> | null = null

  constructor(readonly link: ModbusLink) {
    super()
    link.on('data', this.#onData)
    // a serial port that errors or closes (USB unplugged) is gone until reopened
    link.on('error', (err: Error) => this.#lost(err))
    link.on('close', () => this.#lost(new Error('port closed')))
  }

  get isOpen(): boolean {
    return !this.#dead && !this.link.destroyed && this.link.isOpen !== false
  }

  open(cb: (err: Error | null) => void): void {
    cb(this.isOpen ? null : new Error('port not open'))
  }

  /** When the last request was handed to the port (performance.now()): a timeout is judged from here. */
  writtenAt = 0

  write(request: Buffer): void {
    this.#request = request
    this.#buf = Buffer.alloc(0)
    this.writtenAt = performance.now()
    this.link.write(request)
  }

  close(cb?: (err: Error | null) => void): void {
    this.shutdown().then(() => cb?.(null), cb)
  }

  destroy(): void {
    void this.shutdown()
  }

  shutdown(): Promise<void> {
    this.#dead = true
    return (this.#closing ??= closeLink(this.link))
  }

  #lost(err: Error): void {
    if (this.#dead) return
    this.#dead = true
    this.emit('lost', err)
  }

  #onData = (chunk: Buffer): void => {
    const req = this.#request
    if (!req) return // nobody asked: a stray or late frame
    const want = answerLength(req)
    if (!want) {
      this.emit('data', chunk)
      return
    }
    this.#buf = Buffer.concat([this.#buf, chunk]).subarray(-256) // an RTU frame is at most 256 bytes
    const b = this.#buf
    for (let i = 0; i + 5 <= b.length; i++) {
      if (b[i] !== req[0]) continue
      const fc = b[i + 1]
      const len = fc === req[1] ? want : fc === (req[1]! | 0x80) ? 5 : 0
      if (!len || i + len > b.length) continue
      const frame = b.subarray(i, i + len)
      if (!crcOk(frame)) continue
      const isEcho = fc === 5 || fc === 6 || fc === 15 || fc === 16
      if (isEcho && !frame.subarray(0, 6).equals(req.subarray(0, 6))) continue
      this.#request = null
      this.#buf = Buffer.alloc(0)
      this.emit('data', Buffer.from(frame))
      return
    }
  }
}

/**
 * A slave's coils. Calls run one at a time (RTU has no transaction ids: one
 * question on the wire at once). open() must come first; after a failure the
 * next call reopens the port if it was lost; close() ends everything.
 */
export class ModbusCoils {
  readonly config: ResolvedModbusConfig
  readonly #openLink: LinkOpener
  #client: ModbusClient | null = null
  #port: RtuPort | null = null
  #wanted = false
  #connected = false
  #lastError: Error | null = null
  #queue: Promise<unknown> = Promise.resolve()
  #abort: ((reason: string) => void) | null = null
  readonly #onLost: ((err: Error) => void)[] = []

  constructor(config: ModbusCoilsConfig, openLink: LinkOpener = openSerialLink) {
    this.config = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, timeoutMs: 500, ...config }
    const id = this.config.slaveId
    if (!Number.isInteger(id) || id < 1 || id > 247) throw new RangeError(`modbus ${config.port}: slave id ${id} is not 1..247`)
    this.#openLink = openLink
  }

  /** The port is open and the slave answered the last request (an exception reply is an answer). */
  get connected(): boolean {
    return this.#connected && !!this.#port?.isOpen
  }

  /** Called when the open port goes away (the USB adapter unplugged), at once, not at the next call. */
  onLost(fn: (err: Error) => void): void {
    this.#onLost.push(fn)
  }

  /** Why the last call failed; null after a success. */
  get lastError(): Error | null {
    return this.#lastError
  }

  open(): Promise<void> {
    this.#wanted = true
    return this.#serial(async () => {
      try {
        await this.#ensureOpen()
      } catch (err) {
        this.#lastError = err as Error
        throw err
      }
    })
  }

  async close(): Promise<void> {
    this.#wanted = false
    this.#abort?.('closed')
    await this.#queue
    await this.#drop()
  }

  // the bytes on the wire, both ways: request + answer (RTU framing, CRC included)
  async writeCoil(address: number, on: boolean): Promise<void> {
    checkRange(address, 1, 1)
    await this.#run(`write coil ${address}`, 8 + 8, (c) => c.writeCoil(address, on))
  }

  async writeCoils(address: number, values: readonly boolean[]): Promise<void> {
    checkRange(address, values.length, 1968)
    await this.#run(`write coils ${address}..${address + values.length - 1}`, 9 + Math.ceil(values.length / 8) + 8, (c) => c.writeCoils(address, [...values]))
  }

  async readCoils(address: number, count: number): Promise<boolean[]> {
    checkRange(address, count, 2000)
    const r = await this.#run(`read coils ${address}..${address + count - 1}`, 8 + 5 + Math.ceil(count / 8), (c) => c.readCoils(address, count))
    return r.data.slice(0, count) // the answer comes in whole bytes
  }

  get #who(): string {
    return `modbus ${this.config.port} slave ${this.config.slaveId}`
  }

  #serial<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(job)
    this.#queue = result.catch(() => {})
    return result
  }

  /**
   * One request. The timeout measures the link: it runs from the moment the request was handed to the
   * port, plus the time its bytes and the answer's take on the wire at the line's baud rate. A timeout
   * that fired late because the box itself was busy (the event loop blocked while starting, say)
   * says nothing about the slave: its answer may be waiting unread, so the request is asked once more.
   */
  #run<T>(what: string, wireBytes: number, call: (c: ModbusClient) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      try {
        if (!this.#wanted) throw new Error(`${this.#who}: ${what}: not open`)
        const limit = this.config.timeoutMs + Math.ceil((wireBytes * bitsPerByte(this.config) * 1000) / this.config.baudRate)
        let value!: T
        for (let attempt = 1; ; attempt++) {
          const client = await this.#ensureOpen()
          client.setTimeout(limit)
          try {
            value = await new Promise<T>((resolve, reject) => {
              this.#abort = (reason) => reject(new Error(`${this.#who}: ${what}: ${reason}`))
              call(client).then(resolve, (err: unknown) => reject(this.#explain(what, err)))
            })
            break
          } catch (err) {
            const late = (err as { cause?: { errno?: string } }).cause?.errno === 'ETIMEDOUT' && this.#port && performance.now() - this.#port.writtenAt > limit + LATE_TIMER_MS
            if (!late || attempt > 1) throw err
          }
        }
        this.#connected = true
        this.#lastError = null
        return value
      } catch (err) {
        // an exception reply means the slave is there and said no
        this.#connected = (err as { cause?: { modbusCode?: number } }).cause?.modbusCode !== undefined
        this.#lastError = err as Error
        throw err
      } finally {
        this.#abort = null
      }
    })
  }

  #explain(what: string, err: unknown): Error {
    const e = err as { errno?: string; message?: string }
    if (e.errno === 'ETIMEDOUT') return new Error(`${this.#who}: no answer to ${what} within ${this.config.timeoutMs} ms`, { cause: err })
    return new Error(`${this.#who}: ${what}: ${e.message ?? String(err)}`, { cause: err })
  }

  async #ensureOpen(): Promise<ModbusClient> {
    if (this.#client && this.#port?.isOpen) return this.#client
    await this.#drop()
    let link: ModbusLink
    try {
      link = await this.#openLink(this.config)
    } catch (err) {
      // in words, once: serialport's own text names the path again ("Error: No such file or directory, cannot open /dev/x")
      throw new Error(`${this.#who}: cannot open: ${openFailureReason(err).text}`, { cause: err })
    }
    const port = new RtuPort(link)
    port.on('lost', (err: Error) => {
      this.#connected = false
      this.#lastError = new Error(`${this.#who}: port lost: ${err.message}`, { cause: err })
      this.#abort?.(`port lost: ${err.message}`)
      if (this.#wanted) for (const fn of this.#onLost) fn(this.#lastError)
    })
    // required on first use: only a box with a Modbus stack light or relay loads the client (issue 20)
    const ModbusRTU = (createRequire(import.meta.url)('modbus-serial') as typeof ModbusSerial).default
    const client = new ModbusRTU(port)
    client.on('error', () => {}) // port errors reach us as 'lost' above; an unheard 'error' would crash the process
    client.setID(this.config.slaveId)
    client.setTimeout(this.config.timeoutMs)
    await new Promise<void>((resolve, reject) => client.open((err: Error | null) => (err ? reject(err) : resolve())))
    this.#port = port
    this.#client = client
    return client
  }

  async #drop(): Promise<void> {
    const client = this.#client
    const port = this.#port
    this.#client = null
    this.#port = null
    this.#connected = false
    if (!client || !port) return
    // destroy(), unlike close(), clears the timers of a request still pending
    client.destroy(() => {})
    await port.shutdown()
  }
}

/** A timer this much later than it was set for was held up by the box, not by the line. */
const LATE_TIMER_MS = 100

/** Start bit, 8 data bits, parity bit if any, stop bits. */
function bitsPerByte(c: ResolvedModbusConfig): number {
  return 1 + c.dataBits + (c.parity === 'none' ? 0 : 1) + c.stopBits
}

function checkRange(address: number, count: number, max: number): void {
  if (!Number.isInteger(address) || address < 0 || !Number.isInteger(count) || count < 1 || count > max || address + count > 0x10000) {
    throw new RangeError(`modbus: coils ${address} (+${count}) out of range`)
  }
}
