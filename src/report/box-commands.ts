import type { TestCaller } from '../actions/test-call.js'
import { VERSION } from '../core/version.js'
import type { RoutingService } from '../lcr/service.js'
import type { ModemDriver } from '../modem/driver.js'
import type { PanelController } from '../panel/index.js'
import type { CommandSpec } from './commands.js'

/** What each office command does, on the box's own parts (OfficeCommands checks the fields first). */
export function boxCommands(box: {
  panel: PanelController
  testCalls: TestCaller
  modems: ModemDriver[]
  routing: RoutingService | null
  /** For the default text of a test SMS. */
  name: string
  uptimeSeconds: () => number
}): Record<string, CommandSpec> {
  const { panel, testCalls, routing, modems } = box
  const specs: Record<string, CommandSpec> = {
    ping: { run: () => ({ ok: true, message: 'pong', data: { version: VERSION, uptimeSeconds: box.uptimeSeconds() } }) },
    'lamp-test': { run: () => (panel.lampTest(), { ok: true, message: 'lamp test started' }) },
    silence: { run: () => (panel.silence(), { ok: true, message: 'buzzer silenced for the alerts raised now' }) },
    'test-call': {
      fields: { line: { type: 'string', minLength: 1, maxLength: 32 } },
      required: ['line'],
      run: async ({ line }) => {
        const lines = testCalls.testable.map((l) => l.id)
        if (!lines.includes(String(line))) return { ok: false, message: `no line "${String(line)}" that test calls can reach (lines: ${lines.join(', ') || 'none'})` }
        const r = await testCalls.run(String(line))
        return { ok: r.ok, message: r.detail, data: r }
      },
    },
    'test-sms': {
      fields: { modem: { type: 'string', minLength: 1, maxLength: 32 }, to: { type: 'string', pattern: '^\\+?[0-9]{3,16}$' }, text: { type: 'string', minLength: 1, maxLength: 480 } },
      required: ['modem', 'to'],
      run: async ({ modem, to, text }) => {
        const driver = modems.find((m) => m.id === modem)
        if (!driver) return { ok: false, message: `no modem "${String(modem)}" (modems: ${modems.map((m) => m.id).join(', ') || 'none'})` }
        const sent = await driver.sendSms(String(to), typeof text === 'string' ? text : `linewatch ${box.name}: test SMS`)
        return { ok: true, message: `sent in ${sent.parts} part(s)`, data: sent }
      },
    },
  }
  if (!routing) return specs
  specs.route = {
    fields: { to: { type: 'string', minLength: 1, maxLength: 32 } },
    required: ['to'],
    run: ({ to }) => {
      const answer = routing.route(String(to))
      return { ok: answer.ok, message: answer.ok ? `${answer.paths.length} paths, cheapest first` : answer.reason, data: answer }
    },
  }
  specs['reload-decks'] = { run: async () => ({ ok: true, message: 'decks reloaded', data: await routing.reload() }) }
  return specs
}
