import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus } from '@serialport/bindings-interface'
import type { Clock } from '../core/clock.js'
import type { Config } from '../config/schema.js'
import { SIM_PREFIX } from '../hw/serial.js'
import type { SimIO } from './gpio.js'
import { SimModem } from './modem.js'


/** Simulated modems by name; `sim:<name>` ports open them. Built by the app, not a global. */
export class SimGateway {
  readonly modems = new Map<string, SimModem>()

  add(name: string, modem: SimModem): SimModem {
    this.modems.set(name, modem)
    return modem
  }

  get(name: string): SimModem | undefined {
    return this.modems.get(name)
  }

  stop(): void {
    for (const m of this.modems.values()) m.stop()
  }
}

function canceled(): Error {
  return Object.assign(new Error('port closed'), { canceled: true })
}

/** A port as serialport's stream sees it; bytes go to and come from a SimModem. */
class SimPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>
  isOpen = true
  readonly #modem: SimModem
  #pending: Buffer[] = []
  #waiting: { resolve: () => void; reject: (e: Error) => void } | null = null
  readonly #onOutput = (b: Buffer) => {
    this.#pending.push(b)
    const w = this.#waiting
    this.#waiting = null
    w?.resolve()
  }

  constructor(modem: SimModem, options: OpenOptions) {
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
  }

  async close(): Promise<void> {
    if (!this.isOpen) return
    this.isOpen = false
    this.#modem.off('output', this.#onOutput)
    const w = this.#waiting
    this.#waiting = null
    w?.reject(canceled())
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    while (this.#pending.length === 0) {
      if (!this.isOpen) throw canceled()
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
    return [...this.#gateway.modems.keys()].map((name) => ({
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
    return new SimPort(modem, options)
  }
}

/** Simulated modems for every `sim:<name>` port of the config; null when it names none. */
export function simulatorFor(config: Config, clock: Clock): SimGateway | null {
  const sims = config.modems.filter((m) => m.port.startsWith(SIM_PREFIX))
  if (sims.length === 0) return null
  const gw = new SimGateway()
  // a mixed gateway, as sites have: the first a Quectel, the next a SIMCom, then a Huawei-style one
  const kinds = ['quectel', 'simcom', 'huawei'] as const
  sims.forEach((m, i) =>
    gw.add(m.port.slice(SIM_PREFIX.length), new SimModem({ clock, personality: kinds[i % 3], imei: `8676980412345${String(i).padStart(2, '0')}`, operator: i % 2 ? 'SimTel Two' : 'SimTel' })),
  )
  return gw
}

/** The simulated board's power key lines go to the simulated modems' PWRKEY, as the wiring would. */
export function wireSimPowerKeys(gw: SimGateway, config: Config, io: SimIO): void {
  for (const m of config.modems) {
    const sim = m.port.startsWith(SIM_PREFIX) ? gw.get(m.port.slice(SIM_PREFIX.length)) : undefined
    const key = m.powerKey?.pin
    if (!sim || key === undefined) continue
    io.on('write', (pin, level) => {
      if (pin === Number(key) && level === 1) sim.pressPowerKey()
    })
  }
}
