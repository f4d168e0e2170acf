import { FakeClock } from '../core/clock.js'
import { silentLogger } from '../core/logger.js'
import type { ModemConfig } from '../config/schema.js'
import { outputPins } from '../hw/gpio.js'
import { SerialOpener } from '../hw/serial.js'
import { ModemDriver } from '../modem/driver.js'
import type { NumberingPlan } from '../numbers/e164.js'
import { SimBinding, SimGateway } from '../sim/binding.js'
import { SimIO } from '../sim/gpio.js'
import { SimModem, type SimModemOptions } from '../sim/modem.js'
import { wireSimModem } from '../sim/wiring.js'
import { StateStore } from '../core/store.js'

/**
 * For the tests and the bench: one driver on one simulated module, on a FakeClock, wired as on the board:
 * the driver's power key and supply pins go through a SimIO to the module.
 * `commands` is every command line the module received; `pinWrites` every
 * write to the board's pins with the time.
 */
export function modemRig(extra: Partial<ModemConfig> = {}, simOpts: Omit<SimModemOptions, 'clock'> = {}, numbering: NumberingPlan | null = null) {
  const clock = new FakeClock()
  const gw = new SimGateway()
  const sim = gw.add('gsm1', new SimModem({ clock, operator: 'MegaFon', bootMs: 3000, ...simOpts }))
  const config: ModemConfig = { id: 'gsm1', port: 'sim:gsm1', baudRate: 115200, pollSeconds: 10, commandTimeoutMs: 1000, unansweredLimit: 2, bootWaitSeconds: 20, ...extra }
  const io = new SimIO({ pinCount: 20 })
  wireSimModem(io, sim, config)
  const pinWrites: { pin: number; level: number; at: number }[] = []
  io.on('write', (pin, level) => void pinWrites.push({ pin: Number(pin), level: Number(level), at: clock.now() }))
  const commands: string[] = []
  sim.on('command', (c) => commands.push(c))
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, clock)
  const opener = new SerialOpener(new SimBinding(gw))
  const opens = { count: 0 }
  const open = opener.open.bind(opener)
  opener.open = (...args) => {
    opens.count++
    return open(...args)
  }
  const driver = new ModemDriver({ config, store, clock, opener, log: silentLogger(), pins: outputPins(io, clock), numbering })
  const modem = () => store.get('modem', 'gsm1')!
  /** Times the power key was pressed (rising edges on its pin). */
  const presses = () => pinWrites.filter((w) => config.powerKey && w.pin === Number(config.powerKey.pin) && w.level === 1).map((w) => w.at)
  return { clock, gw, sim, store, driver, commands, modem, opens, io, pinWrites, presses }
}
