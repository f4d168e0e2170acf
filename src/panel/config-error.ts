/**
 * The box with a configuration it cannot use: nothing can be watched, but
 * the call room must not see a dark panel that looks like "all is well".
 * When the board and the panel section of the file are good on their own,
 * the panel runs alone: every `system` lamp shows the config error pattern
 * (three red flashes), the rest stay dark, until the file is fixed.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { validateConfigText, type Config } from '../config/index.js'
import { systemClock, type Clock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { StateStore } from '../core/store.js'
import { VERSION } from '../core/version.js'
import { createIo } from '../hw/gpio.js'
import type { IoPlugin } from '../hw/io/contract.js'
import { buildPanel } from './build.js'

const PANEL_KEYS = ['board', 'firmata', 'panel', 'timezone'] as const

/** The part of a broken file the panel needs, when that part is valid on its own and has a system lamp; else null and why. */
export async function panelOfBrokenConfig(file: string): Promise<{ config: Config; reason: null } | { config: null; reason: string }> {
  let raw: unknown
  try {
    raw = parse(await readFile(file, 'utf8'))
  } catch (err) {
    return { config: null, reason: `cannot read the file: ${errorMessage(err)}` }
  }
  if (!raw || typeof raw !== 'object') return { config: null, reason: 'the file is not a YAML map' }
  const part: Record<string, unknown> = { site: 'unconfigured', box: 'unconfigured' }
  for (const k of PANEL_KEYS) if (k in raw) part[k] = (raw as Record<string, unknown>)[k]
  // the lamps' sources name parts the broken file may not define: only the system lamps are kept
  const panel = part.panel as { lamps?: { source?: string }[]; modbus?: unknown } | undefined
  if (panel && Array.isArray(panel.lamps)) part.panel = { ...panel, lamps: panel.lamps.filter((l) => l?.source === 'system'), modbus: undefined }
  const checked = validateConfigText(JSON.stringify(part))
  if (!checked.config) return { config: null, reason: `board or panel invalid too: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}` }
  if (!checked.config.panel.lamps.length) return { config: null, reason: 'no lamp with source: system' }
  return { config: checked.config, reason: null }
}

/** The panel alone, showing the config error, until stop(). */
export async function runConfigErrorPanel(deps: { config: Config; log: Logger; clock?: Clock; io?: IoPlugin }): Promise<{ store: StateStore; stop(): Promise<void> }> {
  const clock = deps.clock ?? systemClock
  const store = new StateStore({ site: deps.config.site, box: deps.config.box, version: VERSION, startedAt: clock.now() }, clock)
  const io = deps.io ?? createIo(deps.config, clock)
  const { controller, outputs } = buildPanel({ config: deps.config, store, clock, io, log: deps.log, configError: true })
  controller.start()
  await outputs.start()
  let stopped: Promise<void> | null = null
  return {
    store,
    stop() {
      stopped ??= outputs.stop().then(async () => {
        controller.stop()
        await io.close?.()
      })
      return stopped
    },
  }
}
