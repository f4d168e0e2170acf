import type { IPublishPacket } from 'mqtt'
import type { TestCaller } from '../actions/test-call.js'
import type { AlertManager } from '../alerts/manager.js'
import { VERSION } from '../core/version.js'
import type { RoutingService } from '../lcr/service.js'
import type { ModemDriver } from '../modem/driver.js'
import type { PanelController } from '../panel/index.js'
import type { UpdateService } from '../update/service.js'
import { COMMAND_REQUESTS, type CommandArgs, type CommandName } from './command-schemas.js'
import type { CommandOutcome, CommandSpec } from './commands.js'

/** The office's reload-config, carried out by whoever runs the box (`linewatch run`): it outlives this box. */
export type ConfigReload = (req: { text: string | null; id: string; request: IPublishPacket | undefined }) => Promise<CommandOutcome>

/** What each office command does, on the box's own parts (OfficeCommands checks the fields first). */
export function boxCommands(box: {
  panel: PanelController
  testCalls: TestCaller
  modems: ModemDriver[]
  routing: RoutingService | null
  alerts: () => AlertManager | null
  reloadConfig: ConfigReload | null
  /** Updates from afar (src/update/service.ts); null: the command is not offered. */
  update?: UpdateService | null
  /** For the default text of a test SMS. */
  name: string
  uptimeSeconds: () => number
}): Record<string, CommandSpec> {
  const { panel, testCalls, routing, modems } = box
  const specs: Partial<Record<CommandName, CommandSpec>> = {}
  // each command typed by its own schema (command-schemas.ts), which OfficeCommands checks first
  const on = <N extends CommandName>(name: N, run: (args: CommandArgs<N>, ctx: { id: string; request?: IPublishPacket }) => Promise<CommandOutcome> | CommandOutcome) => {
    specs[name] = { schema: COMMAND_REQUESTS[name], run: run as CommandSpec['run'] }
  }
  const modem = (id: string): ModemDriver => {
    const driver = modems.find((m) => m.id === id)
    if (!driver) throw new Error(`no modem "${id}" (modems: ${modems.map((m) => m.id).join(', ') || 'none'})`)
    return driver
  }
  const alerts = (): AlertManager => {
    const a = box.alerts()
    if (!a) throw new Error('the alerts are not running yet')
    return a
  }

  on('ping', () => ({ ok: true, message: 'pong', data: { version: VERSION, uptimeSeconds: box.uptimeSeconds() } }))
  on('lamp-test', () => (panel.lampTest(), { ok: true, message: 'lamp test started' }))
  on('silence', () => (panel.silence(), { ok: true, message: 'buzzer silenced for the alerts raised now' }))
  on('test-call', async ({ line }) => {
    const lines = testCalls.testable.map((l) => l.id)
    if (!lines.includes(line)) return { ok: false, message: `no line "${line}" that test calls can reach (lines: ${lines.join(', ') || 'none'})` }
    const r = await testCalls.run(line)
    return { ok: r.ok, message: r.detail, data: r }
  })
  on('test-sms', async ({ modem: id, to, text }) => {
    const sent = await modem(id).sendSms(to, text ?? `linewatch ${box.name}: test SMS`)
    return { ok: true, message: `sent in ${sent.parts} part(s)`, data: sent }
  })
  on('alert-ack', ({ alert, by }) => alerts().acknowledge(alert, by ?? null))
  on('alert-clear', ({ alert }) => alerts().clear(alert))
  on('restart-modem', async ({ modem: id, power, force }) => {
    const { seconds } = await modem(id).restart({ power: power ?? false, force: force ?? false })
    return { ok: true, message: `modem ${id} restarted and set up again in ${seconds} s`, data: { seconds } }
  })
  on('sim-balance', async ({ modem: id, ussd }) => {
    const balance = await modem(id).balanceNow(ussd)
    return { ok: true, message: balance.text, data: balance }
  })
  if (box.update) {
    const update = box.update
    on('update', ({ url, sha256, force }) => update.fromUrl({ url, sha256, force }))
  }
  if (box.reloadConfig) {
    const reload = box.reloadConfig
    on('reload-config', ({ config }, { id, request }) => reload({ text: config ?? null, id, request }))
  }
  if (routing) {
    on('route', ({ to }) => {
      // the office only looks (nothing is dialled): a half-open path's one trial stays for a real call
      const answer = routing.route(to, true)
      return { ok: answer.ok, message: answer.ok ? `${answer.paths.length} paths, cheapest first` : answer.reason, data: answer }
    })
    on('reload-decks', async () => ({ ok: true, message: 'decks reloaded', data: await routing.reload() }))
  }
  return specs as Record<string, CommandSpec>
}
