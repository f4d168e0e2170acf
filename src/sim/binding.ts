import { SimInternet, SIM_UPLINK_PREFIX } from './internet.js'
import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus } from '@serialport/bindings-interface'
import type { Clock } from '../core/clock.js'
import type { Config } from '../config/schema.js'
import { SIM_PREFIX } from '../hw/serial.js'
import { SimModem } from './modem.js'
import type { Duplex } from 'node:stream'
import { memoryLine } from './memory-line.js'
import { SimModbusSlave } from './modbus-slave.js'
import { openSerialLink, type LinkOpener } from '../hw/modbus-coils.js'
import type { SimAnalogLine } from './analog-line.js'
import type { FarCaller, SimNetwork } from './host.js'


/** Why a modem's port is not there: vanished by hand, or a USB module that is switched off. */
type Absence = 'vanished' | 'off'

/**
 * Simulated modems by name; `sim:<name>` ports open them. Built by the app,
 * not a global. A port can vanish as a USB device does when it re-enumerates
 * or loses power: open ports of it break, opens fail with ENOENT until it is back.
 */
export class SimGateway implements SimNetwork {
  readonly modems = new Map<string, SimModem>()
  /** Analog lines from the simulated exchange, by line id: calls to their numbers ring their ring-detect pins. */
  readonly analogLines = new Map<string, SimAnalogLine>()
  /** The internet behind simulated uplinks (`interface: sim:<name>`), when the config has any. */
  internet: SimInternet | null = null
  /** Modbus RTU slaves on simulated RS-485 ports (`port: sim:<name>`): a stack light, a relay module. */
  readonly modbus = new Map<string, SimModbusSlave>()
  readonly #absent = new Map<string, Set<Absence>>()
  readonly #open = new Map<string, Set<SimPort>>()

  /** A USB-attached module (personality.usb) takes its port with it while it is off. Its calls go through this gateway's network. */
  add(name: string, modem: SimModem): SimModem {
    this.modems.set(name, modem)
    modem.network = this
    if (modem.personality.usb) {
      if (!modem.powered) this.#leave(name, 'off')
      // a boot enumerates the device afresh: whatever made the port vanish before is over
      modem.on('power', (on) => (on ? this.#absent.delete(name) : this.#leave(name, 'off')))
    }
    return modem
  }

  addAnalogLine(line: SimAnalogLine): SimAnalogLine {
    this.analogLines.set(line.id, line)
    return line
  }

  /** A line to the simulated slave on `sim:<name>` (made on first use), as an RS-485 adapter would give. */
  modbusLink(name: string, slaveId: number): Duplex {
    let slave = this.modbus.get(name)
    if (!slave) this.modbus.set(name, (slave = new SimModbusSlave({ slaveId })))
    const [box, device] = memoryLine()
    slave.attach(device)
    return box
  }

  get(name: string): SimModem | undefined {
    return this.modems.get(name)
  }

  /**
   * The simulated network: a call to a number one of these modules' SIMs has rings that module,
   * and a number of an analog line rings that line (compared on the last 10 digits, so
   * +74951110001 and 84951110001 are one number).
   */
  connect(to: string, from: string | null, caller: FarCaller): { hangUp(): void } | null {
    const key = (n: string) => n.replace(/\D/g, '').slice(-10)
    const line = [...this.analogLines.values()].find((l) => l.numbers.some((n) => key(n) === key(to)))
    if (line) return line.incoming(from, caller)
    const target = [...this.modems.values()].find((m) => m.msisdn !== null && key(m.msisdn) === key(to))
    if (!target) return null
    // a SIM off the network (or a hung module) is a call that rings nowhere: the caller hears it alert until it gives up
    const reachable = (target.registration === 'home' || target.registration === 'roaming') && target.answering
    return reachable ? target.incoming(from, caller) : { hangUp() {} }
  }

  /** Whether `sim:<name>` can be opened now. */
  present(name: string): boolean {
    return this.modems.has(name) && !this.#absent.get(name)?.size
  }

  /** The port goes away as on a USB re-enumeration: open streams see a disconnect and close; opens fail until reappear(). */
  vanish(name: string): void {
    this.#known(name)
    this.#leave(name, 'vanished')
  }

  /** The port is back (unless its USB module is still switched off). */
  reappear(name: string): void {
    this.#known(name)
    this.#back(name, 'vanished')
  }

  stop(): void {
    for (const m of this.modems.values()) m.stop()
    for (const l of this.analogLines.values()) l.stop()
  }

  /** @internal SimBinding's ports register here so a vanish can reach them. */
  attach(name: string, port: SimPort): () => void {
    const ports = this.#open.get(name) ?? new Set()
    this.#open.set(name, ports.add(port))
    return () => ports.delete(port)
  }

  #known(name: string): void {
    if (!this.modems.has(name)) throw new Error(`no simulated modem "${name}" (have: ${[...this.modems.keys()].join(', ')})`)
  }

  #leave(name: string, why: Absence): void {
    const reasons = this.#absent.get(name) ?? new Set()
    this.#absent.set(name, reasons.add(why))
    for (const port of [...(this.#open.get(name) ?? [])]) port.vanish()
  }

  #back(name: string, why: Absence): void {
    this.#absent.get(name)?.delete(why)
  }
}

function canceled(): Error {
  return Object.assign(new Error('port closed'), { canceled: true })
}

/** What a read or write on a tty whose USB device went away fails with (not canceled: the stream closes as disconnected). */
function gone(path: string, op: 'read' | 'write'): Error {
  return Object.assign(new Error(`ENXIO: no such device or address, ${op} ${path}`), { code: 'ENXIO', errno: -6, syscall: op, disconnect: true })
}

/** What opening a device node that is not there fails with (bindings-cpp's wording). */
function missing(path: string): Error {
  return Object.assign(new Error(`Error: No such file or directory, cannot open ${path}`), { code: 'ENOENT', errno: -2, syscall: 'open', path })
}

/** A port as serialport's stream sees it; bytes go to and come from a SimModem. */
class SimPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>
  isOpen = true
  readonly #modem: SimModem
  readonly #detach: () => void
  /** The device went away under us: reads (once the buffer is drained) and writes fail. */
  #gone = false
  #pending: Buffer[] = []
  #waiting: { resolve: () => void; reject: (e: Error) => void } | null = null
  readonly #onOutput = (b: Buffer) => {
    this.#pending.push(b)
    const w = this.#waiting
    this.#waiting = null
    w?.resolve()
  }

  constructor(modem: SimModem, options: OpenOptions, attach: (port: SimPort) => () => void) {
    this.#modem = modem
    this.openOptions = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    } as Required<OpenOptions>
    modem.on('output', this.#onOutput)
    this.#detach = attach(this)
  }

  /** The device is gone: what was already read in can still be read, then the read fails as a disconnect. */
  vanish(): void {
    if (this.#gone || !this.isOpen) return
    this.#gone = true
    this.#modem.off('output', this.#onOutput)
    this.#detach()
    const w = this.#waiting
    this.#waiting = null
    w?.reject(gone(this.openOptions.path, 'read'))
  }

  async close(): Promise<void> {
    if (!this.isOpen) return
    this.isOpen = false
    this.#modem.off('output', this.#onOutput)
    this.#detach()
    const w = this.#waiting
    this.#waiting = null
    w?.reject(canceled())
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    while (this.#pending.length === 0) {
      if (!this.isOpen) throw canceled()
      if (this.#gone) throw gone(this.openOptions.path, 'read')
      await new Promise<void>((resolve, reject) => (this.#waiting = { resolve, reject }))
    }
    // like a real read: everything that has arrived, up to the buffer's size
    let n = 0
    while (n < length && this.#pending.length > 0) {
      const head = this.#pending[0]!
      const take = Math.min(length - n, head.length)
      head.copy(buffer, offset + n, 0, take)
      n += take
      if (take < head.length) this.#pending[0] = head.subarray(take)
      else this.#pending.shift()
    }
    return { buffer, bytesRead: n }
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw canceled()
    if (this.#gone) throw gone(this.openOptions.path, 'write')
    this.#modem.write(Buffer.from(buffer))
  }

  async update(): Promise<void> {}
  async set(): Promise<void> {}
  async get(): Promise<PortStatus> {
    return { cts: true, dsr: true, dcd: false }
  }
  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: this.openOptions.baudRate }
  }
  async flush(): Promise<void> {
    this.#pending = []
  }
  async drain(): Promise<void> {}
}

/** serialport binding for `sim:<name>` paths. */
export class SimBinding implements BindingInterface<SimPort> {
  readonly #gateway: SimGateway
  constructor(gateway: SimGateway) {
    this.#gateway = gateway
  }

  async list(): Promise<PortInfo[]> {
    return [...this.#gateway.modems.keys()].filter((name) => this.#gateway.present(name)).map((name) => ({
      path: `${SIM_PREFIX}${name}`,
      manufacturer: 'linewatch simulator',
      serialNumber: undefined,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    }))
  }

  async open(options: OpenOptions): Promise<SimPort> {
    const name = options.path.startsWith(SIM_PREFIX) ? options.path.slice(SIM_PREFIX.length) : options.path
    const modem = this.#gateway.get(name)
    if (!modem) throw new Error(`no simulated modem "${name}"`)
    if (!this.#gateway.present(name)) throw missing(options.path)
    return new SimPort(modem, options, (port) => this.#gateway.attach(name, port))
  }
}

/** Simulated modems for every `sim:<name>` port of the config; null when it names none. */
/** Opens a Modbus line: a `sim:` port on the simulator's slave when there is a simulator, else the serial device. */
export function modbusOpener(sim: SimGateway | null): LinkOpener {
  return async (c) => (sim && c.port.startsWith(SIM_PREFIX) ? sim.modbusLink(c.port.slice(SIM_PREFIX.length), c.slaveId) : openSerialLink(c))
}

export function simulatorFor(config: Config, clock: Clock): SimGateway | null {
  const sims = config.modems.filter((m) => m.port.startsWith(SIM_PREFIX))
  const analog = config.board === 'sim' && config.lines.some((l) => l.analog)
  const uplinks = config.uplinks.filter((u) => u.interface.startsWith(SIM_UPLINK_PREFIX))
  const stack = config.panel.modbus?.port.startsWith(SIM_PREFIX)
  if (sims.length === 0 && !analog && uplinks.length === 0 && !stack) return null
  const gw = new SimGateway()
  if (uplinks.length) {
    gw.internet = new SimInternet(clock)
    for (const u of uplinks) gw.internet.add(u.interface)
  }
  // a mixed gateway, as sites have: the first a Quectel, the next a SIMCom, then a Huawei-style one
  const kinds = ['quectel', 'simcom', 'huawei'] as const
  // each SIM's own number is the first number of the GSM line it carries: test calls between them ring
  const msisdn = (id: string) => config.lines.find((l) => l.modem === id && l.numbers.length > 0)?.numbers[0]
  sims.forEach((m, i) =>
    gw.add(
      m.port.slice(SIM_PREFIX.length),
      new SimModem({ clock, personality: kinds[i % 3], imei: `8676980412345${String(i).padStart(2, '0')}`, operator: i % 2 ? 'SimTel Two' : 'SimTel', msisdn: msisdn(m.id) }),
    ),
  )
  return gw
}
