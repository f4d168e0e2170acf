/**
 * The office's `update` command (docs/mqtt.md): checked against its schema before the update service
 * sees it, offered only when the box runs the service, and its answer is the service's.
 */
import t from 'tap'
import { silentLogger } from '../../src/core/logger.js'
import { boxCommands } from '../../src/report/box-commands.js'
import { OfficeCommands } from '../../src/report/commands.js'
import type { UpdateService } from '../../src/update/service.js'

const sha = 'ab'.repeat(32)

function commands(update: UpdateService | null) {
  const specs = boxCommands({ panel: {} as never, testCalls: { testable: [] } as never, modems: [], routing: null, alerts: () => null, reloadConfig: null, name: 's/b', uptimeSeconds: () => 1, update })
  return new OfficeCommands({ specs, disabled: [], log: silentLogger() })
}

t.test('checked, then handed to the service', async (t) => {
  const asked: unknown[] = []
  const svc = { fromUrl: async (req: unknown) => (asked.push(req), { ok: true, message: 'linewatch 9.9.9 downloaded and checked' }) } as unknown as UpdateService
  const c = commands(svc)
  t.ok(c.names.includes('update'))
  t.match(await c.handle('update', JSON.stringify({ id: 'u1', url: 'ftp://office/b.lwb', sha256: sha })), { ok: false, message: /url/ })
  t.match(await c.handle('update', JSON.stringify({ id: 'u2', url: 'http://office/b.lwb', sha256: 'xyz' })), { ok: false, message: /sha256/ })
  t.match(await c.handle('update', JSON.stringify({ id: 'u3', url: 'http://office/b.lwb', sha256: sha, reboot: true })), { ok: false })
  t.same(asked, [], 'nothing bad reached the service')
  t.match(await c.handle('update', JSON.stringify({ id: 'u4', url: 'http://office/b.lwb', sha256: sha, force: true })), { id: 'u4', command: 'update', ok: true, message: /downloaded and checked/ })
  t.same(asked, [{ url: 'http://office/b.lwb', sha256: sha, force: true }])
})

t.test('not offered without the service', async (t) => {
  const c = commands(null)
  t.notOk(c.names.includes('update'))
  t.match(await c.handle('update', JSON.stringify({ id: 'u1', url: 'http://office/b.lwb', sha256: sha })), { ok: false, message: /no command "update"/ })
})
