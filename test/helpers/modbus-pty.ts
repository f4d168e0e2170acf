import { SerialPort } from 'serialport'
import { SimModbusSlave } from '../../src/sim/modbus-slave.js'
import { socatPair } from './real.js'

/**
 * A simulated Modbus slave on the far end of a socat pseudo-terminal pair: the box opens `box` as a
 * serial device (real termios, reads split as they will be). `close` puts it all away; the caller
 * closes its own client first.
 */
export async function slaveOnPty(slaveId: number): Promise<{ box: string; slave: SimModbusSlave; close(): Promise<void> }> {
  const pty = await socatPair()
  const device = new SerialPort({ path: pty.gateway, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => device.open((err) => (err ? reject(err) : resolve())))
  const slave = new SimModbusSlave({ slaveId, coils: 8 }).attach(device)
  return {
    box: pty.box,
    slave,
    close: async () => {
      slave.detach()
      await new Promise((r) => (device.isOpen ? device.close(r) : r(null)))
      await pty.close()
    },
  }
}
