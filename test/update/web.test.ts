/**
 * The update's routes on the web server (docs/http.md): admin only, refused on a box open to anyone,
 * a bad body refused before the service sees it, one update at a time, the progress as the service has it.
 */
import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { StateStore } from '../../src/core/store.js'
import type { UpdateActions } from '../../src/web/update-routes.js'
import { testWeb } from '../helpers/web.js'

const TOKEN = 'a-token-of-24-characters'
const admin = { authorization: `Bearer ${TOKEN}` }
const sha = 'cd'.repeat(32)

function setup(token: string | undefined) {
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, new FakeClock())
  const asked: unknown[] = []
  const update: UpdateActions & { busy: boolean } = {
    busy: false,
    progress: { stage: 'write', done: 5, total: 10, percent: 50, ts: 1 },
    fromUrl: async (req) => (asked.push(req), { ok: true, message: 'queued' }),
  }
  const web = testWeb({ http: { token }, store, update })
  return { ...web, asked, update }
}

t.test('an admin starts an update and reads its progress', async (t) => {
  const { app, asked, update } = setup(TOKEN)
  t.teardown(() => app.close())
  const get = await app.inject({ method: 'GET', url: '/api/v1/update', headers: admin })
  t.equal(get.statusCode, 200)
  t.same(get.json(), { busy: false, progress: { stage: 'write', done: 5, total: 10, percent: 50, ts: 1 } })
  const bad = await app.inject({ method: 'POST', url: '/api/v1/update', headers: admin, payload: { url: 'file:///etc/passwd', sha256: sha } })
  t.equal(bad.statusCode, 400)
  t.same(asked, [])
  const ok = await app.inject({ method: 'POST', url: '/api/v1/update', headers: admin, payload: { url: 'https://office/b.lwb', sha256: sha } })
  t.equal(ok.statusCode, 202)
  t.same(asked, [{ url: 'https://office/b.lwb', sha256: sha }])
  update.busy = true
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/update', headers: admin, payload: { url: 'https://office/b.lwb', sha256: sha } })).statusCode, 409)
  const page = await app.inject({ method: 'GET', url: '/update', headers: admin })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<form id="update">/)
})

t.test('not for a viewer token, nor without one', async (t) => {
  const { app, auth, asked } = setup(TOKEN)
  t.teardown(() => app.close())
  const viewer = await auth.credentials.addToken('wall', ['viewer'], 0)
  for (const headers of [{}, { authorization: `Bearer ${viewer}` }]) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/update', headers, payload: { url: 'https://office/b.lwb', sha256: sha } })
    t.ok(r.statusCode === 401 || r.statusCode === 403, `refused: ${r.statusCode}`)
    t.ok([401, 403].includes((await app.inject({ method: 'GET', url: '/update', headers })).statusCode))
  }
  t.same(asked, [])
})

t.test('a box open to anyone (http.auth: none) has no update routes', async (t) => {
  const { app, asked } = setup(undefined)
  t.teardown(() => app.close())
  const r = await app.inject({ method: 'POST', url: '/api/v1/update', payload: { url: 'https://office/b.lwb', sha256: sha } })
  t.equal(r.statusCode, 404)
  t.same(asked, [])
})
