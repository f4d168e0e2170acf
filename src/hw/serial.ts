import { SerialPort } from 'serialport'
import { SerialPortStream } from '@serialport/stream'
import { ErrorCode, LinewatchError, errorMessage } from '../core/errors.js'
import type { BindingInterface } from '@serialport/bindings-interface'

export type SerialStream = SerialPortStream

/** A port named `sim:<name>` is a simulated modem, not a device. */
export const SIM_PREFIX = 'sim:'

/**
 * Opens a gateway port: a device path through serialport's native binding,
 * or `sim:<name>` through the simulator's binding (same stream class, so the
 * driver above cannot tell them apart).
 */
export class SerialOpener {
  readonly #sim: BindingInterface | null
  constructor(simBinding: BindingInterface | null) {
    this.#sim = simBinding
  }

  async open(path: string, baudRate: number): Promise<SerialStream> {
    let port: SerialStream
    if (path.startsWith(SIM_PREFIX)) {
      if (!this.#sim) throw new LinewatchError(ErrorCode.SIM_PORT_UNKNOWN, `${path}: no simulator in this box`)
      port = new SerialPortStream({ binding: this.#sim, path, baudRate, autoOpen: false })
    } else {
      port = new SerialPort({ path, baudRate, autoOpen: false })
    }
    await new Promise<void>((resolve, reject) =>
      port.open((err: Error | null) => (err ? reject(new LinewatchError(ErrorCode.SERIAL_OPEN_FAILED, `${path}: ${errorMessage(err)}`)) : resolve())),
    )
    return port
  }
}

export function closePort(port: SerialStream): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve()
    port.close(() => resolve())
  })
}
