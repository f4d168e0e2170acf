/**
 * The office's `route` command (docs/mqtt.md) is a look, like `linewatch route`: nothing is dialled, so a
 * half-open path's one trial is not spent on it (docs/routing.md).
 */
import t from 'tap'
import { silentLogger } from '../../src/core/logger.js'
import { boxCommands } from '../../src/report/box-commands.js'
import { OfficeCommands } from '../../src/report/commands.js'
import type { RoutingService } from '../../src/lcr/service.js'

t.test('cmd/route asks the router with peek', async (t) => {
  const asked: [string, boolean | undefined][] = []
  const routing = {
    route: (to: string, peek?: boolean) => (asked.push([to, peek]), { ok: true, to, paths: [], excluded: [] }),
    reload: async () => [],
  } as unknown as RoutingService
  const specs = boxCommands({ panel: {} as never, testCalls: { testable: [] } as never, modems: [], routing, alerts: () => null, reloadConfig: null, name: 's/b', uptimeSeconds: () => 1, update: null })
  const c = new OfficeCommands({ specs, disabled: [], log: silentLogger() })
  t.match(await c.handle('route', JSON.stringify({ id: 'r1', to: '89161234567' })), { id: 'r1', ok: true, message: '0 paths, cheapest first' })
  t.same(asked, [['89161234567', true]])
})
