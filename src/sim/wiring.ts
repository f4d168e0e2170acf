import type { Config, ModemConfig } from '../config/schema.js'
import { SIM_PREFIX } from '../hw/serial.js'
import type { SimGateway } from './binding.js'
import type { SimIO } from './gpio.js'
import type { SimModem } from './modem.js'
import { SimAnalogLine } from './analog-line.js'
import type { Clock } from '../core/clock.js'

/**
 * The board's wires to one simulated module, as an installer would solder
 * them: the power key line to PWRKEY (a press on the rising edge), the supply
 * switch to the module's power (the configured level cuts it).
 */
export function wireSimModem(io: SimIO, sim: SimModem, cfg: Pick<ModemConfig, 'powerKey' | 'powerCut'>): void {
  const key = cfg.powerKey === undefined ? null : Number(cfg.powerKey.pin)
  const cut = cfg.powerCut
  let keyLevel = 0
  io.on('write', (pin, level) => {
    // a press is a rising edge: writing high to a key already held presses nothing
    if (pin === key && level === 1 && keyLevel === 0) sim.pressPowerKey()
    if (pin === key) keyLevel = Number(level)
    if (cut && pin === Number(cut.pin)) sim.setPower(level !== cut.cutLevel)
  })
}

/** Every simulated modem of the config wired to the simulated board, and each analog line's FXO inputs on it. */
export function wireSim(gw: SimGateway, config: Config, io: SimIO, clock: Clock): void {
  for (const m of config.modems) {
    const sim = m.port.startsWith(SIM_PREFIX) ? gw.get(m.port.slice(SIM_PREFIX.length)) : undefined
    if (sim) wireSimModem(io, sim, m)
  }
  for (const l of config.lines) if (l.analog) gw.addAnalogLine(new SimAnalogLine({ io, clock, line: l }))
}
