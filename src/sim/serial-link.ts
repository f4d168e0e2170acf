import { SerialPort } from 'serialport'
import type { SimModem } from './modem.js'

export interface SimModemLink {
  close(): Promise<void>
}

/**
 * Put a simulated modem on a real serial device (one end of a socat
 * pseudo-terminal pair), so the box can open the other end as it would a
 * gateway's port: real termios, real kernel buffers, real reads that split.
 */
export async function linkSimModem(modem: SimModem, path: string, baudRate = 115200): Promise<SimModemLink> {
  const port = new SerialPort({ path, baudRate, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  const onOutput = (b: Buffer) => port.write(b)
  modem.on('output', onOutput)
  port.on('data', (d: Buffer) => modem.write(d))
  port.on('error', () => {})
  return {
    close: () =>
      new Promise<void>((resolve) => {
        modem.off('output', onOutput)
        if (!port.isOpen) return resolve()
        port.close(() => resolve())
      }),
  }
}
