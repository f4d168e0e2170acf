import { panelOutputAlert, type Language } from '../alerts/rules.js'
import type { Config } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { StateStore } from '../core/store.js'
import type { IoPlugin } from '../hw/io/contract.js'
import { ModbusCoils, type LinkOpener } from '../hw/modbus-coils.js'
import { PanelController } from './controller.js'
import { J5Panel } from './j5-panel.js'
import { PanelOutputs, type PanelDriver } from './outputs.js'
import { StackLightPanel, type CoilLink } from './stack-light.js'

export interface PanelParts {
  controller: PanelController
  outputs: PanelOutputs
}

/**
 * The panel as configured: the controller (what to show) and the outputs
 * that show it: the board's lamps whenever lamps, a buzzer or a button are
 * configured, and a Modbus stack light when `panel.modbus` is set. Each
 * output reports its own health: an alert `panel/<output>` and the panel
 * snapshot's `outputs`.
 */
export function buildPanel(deps: {
  config: Config
  store: StateStore
  clock: Clock
  io: IoPlugin
  log: Logger
  /** Opens the stack light's line (the box gives simulated `sim:` ports; default: the serial device). */
  modbusOpener?: LinkOpener
  /** Replaces the stack light's whole Modbus client (tests). */
  coilLink?: CoilLink
  configError?: boolean
}): PanelParts {
  const { config, store, clock, log } = deps
  const panel = config.panel
  const controller = new PanelController({ store, config: panel, clock, timeZone: config.timezone, configError: deps.configError })
  const language: Language = config.alerts.language
  const health = (id: string) => (ok: boolean, error?: string) => {
    controller.setOutput(id, ok, error)
    store.setAlert(panelOutputAlert(id, ok, error, language))
  }
  const drivers: PanelDriver[] = []
  if (panel.lamps.length || panel.buzzer || panel.button) {
    drivers.push(new J5Panel({ config: panel, io: deps.io, log, on: { silence: () => controller.silence(), lampTest: () => controller.lampTest(), health: health('gpio') } }))
  }
  const stack = panel.modbus
  if (stack) {
    const link = deps.coilLink ?? new ModbusCoils({ ...stack, stopBits: stack.stopBits as 1 | 2 }, deps.modbusOpener)
    drivers.push(new StackLightPanel({ config: stack, link, clock, log, health: health('modbus') }))
  }
  return { controller, outputs: new PanelOutputs({ store, clock, drivers }) }
}
