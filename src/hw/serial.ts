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
      port.open((err: Error | null) => {
        if (!err) return resolve()
        const reason = openFailureReason(err)
        reject(new LinewatchError(ErrorCode.SERIAL_OPEN_FAILED, `${path}: ${reason.text}`, reason))
      }),
    )
    return port
  }
}

export type OpenFailure = 'absent' | 'denied' | 'in-use' | 'other'

/**
 * Why a device would not open, in plain words and without the path:
 * serialport's own text ("Error: No such file or directory, cannot open
 * /dev/x") names the path again and reads like a stack trace.
 */
export function openFailureReason(err: unknown): { kind: OpenFailure; text: string } {
  const msg = errorMessage(err)
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ENOENT' || /no such file or directory/i.test(msg)) return { kind: 'absent', text: 'no such device' }
  if (code === 'EACCES' || /permission denied/i.test(msg)) return { kind: 'denied', text: 'permission denied' }
  if (code === 'EBUSY' || /cannot lock|resource (temporarily )?(unavailable|busy)/i.test(msg)) return { kind: 'in-use', text: 'in use by another program' }
  const text = msg.replace(/^Error:?\s*/, '').replace(/,?\s*cannot open \S+$/i, '').trim()
  return { kind: 'other', text: text || 'cannot be opened' }
}

export function closePort(port: SerialStream): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve()
    port.close(() => resolve())
  })
}
