import t from 'tap'
import { FakeClock } from '../../src/core/clock.js'
import { StateStore } from '../../src/core/store.js'
import { ROUTE_ACCESS, type Access } from '../../src/web/access.js'
import { SESSION_COOKIE } from '../../src/web/auth.js'
import { LoginBrake } from '../../src/auth/sessions.js'
import { Credentials } from '../../src/auth/credentials.js'
import { testWeb } from '../helpers/web.js'

const CONFIG_TOKEN = 'config-token-0123456789'

function box(opts: { auth?: 'required' | 'none'; setupMinutes?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 11, 3, 9))
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, clock)
  const done = { silenced: 0, tests: 0, reloads: 0 }
  const web = testWeb({
    http: { auth: opts.auth ?? 'required', token: opts.auth === 'none' ? undefined : CONFIG_TOKEN, setupMinutes: opts.setupMinutes ?? 30 },
    store,
    panel: { lampTest: () => void done.tests++, silence: () => void done.silenced++ },
    modems: { has: () => true, sendSms: async () => ({ to: '+7', encoding: 'gsm7', mode: 'text', parts: 1, references: [1] }), dial: async () => ({ direction: 'out', number: '+7', state: 'ended', outcome: 'answered', startedAt: 0, answeredAt: 1, endedAt: 2 }) },
    lines: { has: () => true, test: async (line) => ({ line, number: '+7', from: 'gsm2', ok: true, detail: 'rang' }), reports: () => true, report: () => {} },
    routing: { route: (to) => ({ ok: true, to, paths: [] }) as never, report: () => null, status: () => ({}), reload: async () => (done.reloads++, []) },
    stats: { figures: () => ({ lines: [] }), calls: () => [], markCalledBack: () => false },
    update: { busy: false, progress: null, fromUrl: async () => ({ ok: true, message: 'queued' }) },
    fullConfig: { site: 's', box: 'b', mqtt: { url: 'mqtt://u:pw@h', password: 'pw' }, http: { token: CONFIG_TOKEN } } as never,
    extraRoutes: (app) => app.post('/api/v1/sim/button/press', async () => ({ ok: true })),
  })
  return { ...web, clock, done }
}

/** A route's pattern as a request: :id and :name filled in; a body where one is expected. */
function request(key: string, headers: Record<string, string> = {}) {
  const [method, url] = key.split(' ') as ['GET' | 'POST' | 'DELETE', string]
  const path = url.replace(/:\w+/g, 'x')
  return { method, url: path, headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { payload: '{}' } : {}) }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
/** SSE never ends: allowed requests to it are not made here (server.test.ts streams it). */
const STREAMS = new Set(['GET /api/v1/events'])

t.test('every route in the table: without a credential 401 (the page sends to the login), with too small a scope 403, with enough not refused', async (t) => {
  const { app, auth } = box()
  const tokens: Record<string, string> = {}
  for (const scope of ['read', 'metrics', 'pbx', 'operate', 'admin']) tokens[scope] = await auth.credentials.addToken(`t-${scope}`, [scope], 0)
  const grants: Record<string, Access[]> = { read: ['read'], metrics: ['metrics'], pbx: ['route', 'report'], operate: ['operate'], admin: ['read', 'metrics', 'route', 'report', 'operate', 'admin'] }
  for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
    const none = await app.inject(request(key))
    if (access === 'public') {
      const error = String(none.headers['content-type']).includes('json') ? none.json().error : undefined
      t.notOk(['unauthorized', 'forbidden'].includes(error), `${key} is open to all (${none.statusCode})`)
      continue
    }
    if (key === 'GET /') t.equal(none.statusCode, 303, 'the page sends a stranger to the login')
    else t.equal(none.statusCode, 401, `${key} without a credential`)
    for (const [scope, token] of Object.entries(tokens)) {
      if (key === 'POST /logout') continue // a browser's: a token has no session to end
      const allowed = grants[scope]!.includes(access)
      if (allowed && STREAMS.has(key)) continue
      const res = await app.inject(request(key, bearer(token)))
      if (allowed) t.notOk([401, 403].includes(res.statusCode), `${key} with a ${scope} token: ${res.statusCode}`)
      else {
        t.equal(res.statusCode, 403, `${key} with a ${scope} token`)
        t.match(res.json().message, new RegExp(`needs the \\w+ role or a token with the "${access}" scope; token t-${scope} has not`))
      }
    }
  }
  t.equal((await app.inject(request('GET /api/v1/state', bearer(CONFIG_TOKEN)))).statusCode, 200, "the config's http.token is an admin's")
  t.equal((await app.inject(request('GET /api/v1/state', bearer('lwt_not-a-token')))).statusCode, 401)
  t.match((await app.inject(request('GET /api/v1/state', { authorization: 'Basic YWRtaW46eA==' }))).json().message, /only Authorization: Bearer/)
  await app.close()
})

t.test('a token in the query string only where a PBX cannot send headers (GET /api/v1/route)', async (t) => {
  const { app, auth } = box()
  const pbx = await auth.credentials.addToken('pbx', ['pbx'], 0)
  t.equal((await app.inject(`/api/v1/route?to=%2B79161234567&token=${pbx}`)).statusCode, 200)
  t.equal((await app.inject(`/api/v1/state?token=${CONFIG_TOKEN}`)).statusCode, 401, 'not on any other route, not even the admin token')
  await app.close()
})

t.test('tokens: revoked at once; the file keeps only their hashes', async (t) => {
  const { app, auth } = box()
  const token = await auth.credentials.addToken('office', ['read'], 0)
  t.equal((await app.inject(request('GET /api/v1/state', bearer(token)))).statusCode, 200)
  const { readFile } = await import('node:fs/promises')
  const file = await readFile(auth.credentials.file, 'utf8')
  t.notOk(file.includes(token) || file.includes(token.slice(4)), 'the token itself is not on the card')
  await auth.credentials.revokeToken('office')
  t.equal((await app.inject(request('GET /api/v1/state', bearer(token)))).statusCode, 401, 'refused at the next request')
  await t.rejects(auth.credentials.addToken('x', ['root'], 0), /unknown scope "root"/)
  await app.close()
})

async function login(app: ReturnType<typeof box>['app'], user: string, password: string) {
  const res = await app.inject({ method: 'POST', url: '/login', payload: `user=${user}&password=${encodeURIComponent(password)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  const cookie = /lw_session=([^;]+)/.exec(String(res.headers['set-cookie'] ?? ''))?.[1]
  return { res, cookie: cookie ? `${SESSION_COOKIE}=${cookie}` : undefined }
}

t.test('first setup: open to the first visitor within the window, then the login', async (t) => {
  const { app, auth, clock } = box()
  t.equal((await app.inject('/')).headers.location, '/setup', 'no password yet: the page sends to the setup')
  const form = await app.inject('/setup')
  t.match(form.body, /<form class="card" method="post" action="\/setup">/)
  const post = (payload: string) => app.inject({ method: 'POST', url: '/setup', payload, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.match((await post('password=short&confirm=short')).body, /at least 8 characters/)
  t.match((await post('password=long-enough-1&confirm=long-enough-2')).body, /The two passwords differ/)
  t.ok(auth.credentials.needsSetup(), 'nothing set by a refused form')
  const ok = await post('password=correct%20horse%201&confirm=correct%20horse%201')
  t.equal(ok.statusCode, 303)
  t.match(String(ok.headers['set-cookie']), /^lw_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict$/, 'logged in by the setup: HttpOnly, SameSite=Strict')
  t.equal((await post('password=mine-now-123&confirm=mine-now-123')).statusCode, 403, 'a second setup is refused')
  t.equal((await app.inject('/setup')).headers.location, '/login')
  t.equal((await login(app, 'admin', 'mine-now-123')).res.statusCode, 401, "the second visitor's password did not take")
  t.equal((await login(app, 'admin', 'correct horse 1')).res.statusCode, 303)
  clock.advance(0)
  await app.close()
})

t.test('the setup closes after http.setupMinutes, and a damaged credentials file never reopens it', async (t) => {
  const late = box({ setupMinutes: 30 })
  late.clock.advance(30 * 60_000)
  const closed = await late.app.inject('/setup')
  t.equal(closed.statusCode, 403)
  t.match(closed.body, /linewatch passwd/)
  t.equal((await late.app.inject({ method: 'POST', url: '/setup', payload: 'password=aaaaaaaaaa&confirm=aaaaaaaaaa', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode, 403)
  t.equal((await late.app.inject('/')).headers.location, '/login')
  await late.app.close()
  const { writeFile } = await import('node:fs/promises')
  const damaged = box()
  await writeFile(damaged.auth.credentials.file, '{"version":1,"users":[{"name":"admin"')
  t.equal((await damaged.app.inject('/setup')).statusCode, 403, 'a damaged file is not "no password yet"')
  t.match((await damaged.app.inject('/setup')).body, /damaged/)
  await damaged.app.close()
})

t.test('login, roles, CSRF, a forged cross-site change, logout, expiry', async (t) => {
  const { app, auth, clock, done } = box()
  await auth.credentials.setPassword('admin', 'admin-password-1', 'admin', 0)
  await auth.credentials.setPassword('ops', 'operator-pass-1', 'operator', 0)
  await auth.credentials.setPassword('wall', 'viewer-pass-12', 'viewer', 0)
  const wrong = await login(app, 'ops', 'nope-nope-nope')
  t.equal(wrong.res.statusCode, 401)
  t.match(wrong.res.body, /Wrong user name or password/)
  t.notOk(wrong.cookie)
  const ops = await login(app, 'ops', 'operator-pass-1')
  t.equal(ops.res.statusCode, 303)
  const page = await app.inject({ url: '/', headers: { cookie: ops.cookie! } })
  t.equal(page.statusCode, 200)
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1]
  t.ok(csrf, 'the page carries its CSRF token')
  t.match(page.body, /<span class="muted" id="user">ops<\/span>/)
  const silence = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/v1/panel/silence', headers: { cookie: ops.cookie!, ...headers } })
  t.equal((await silence({})).statusCode, 403, 'a change without the CSRF token')
  t.equal((await silence({ 'x-csrf-token': 'guess' })).statusCode, 403, 'with a wrong one')
  t.equal((await silence({ 'x-csrf-token': csrf!, origin: 'http://evil.example' })).statusCode, 403, 'from another site')
  t.equal((await silence({ 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site' })).statusCode, 403)
  t.equal((await silence({ 'x-csrf-token': csrf!, origin: 'null' })).statusCode, 403, 'from an opaque origin (a sandboxed frame)')
  t.equal(done.silenced, 0)
  t.equal((await silence({ 'x-csrf-token': csrf!, origin: 'http://localhost:80', host: 'localhost:80' })).statusCode, 200, 'from the page itself')
  t.equal((await silence({ 'x-csrf-token': csrf!, origin: 'null', 'sec-fetch-site': 'same-origin' })).statusCode, 200, "the page's own form under Referrer-Policy: no-referrer (Origin: null, Sec-Fetch-Site: same-origin)")
  t.equal(done.silenced, 2)
  t.equal((await app.inject({ url: '/api/v1/config', headers: { cookie: ops.cookie! } })).statusCode, 403, 'an operator cannot open the config')
  const wall = await login(app, 'wall', 'viewer-pass-12')
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: wall.cookie! } })).statusCode, 200)
  const wallCsrf = /<meta name="csrf-token" content="([^"]+)">/.exec((await app.inject({ url: '/', headers: { cookie: wall.cookie! } })).body)![1]!
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/panel/test', headers: { cookie: wall.cookie!, 'x-csrf-token': wallCsrf } })).statusCode, 403, 'a viewer cannot run the lamp test')
  const admin = await login(app, 'admin', 'admin-password-1')
  const config = await app.inject({ url: '/api/v1/config', headers: { cookie: admin.cookie! } })
  t.equal(config.statusCode, 200)
  t.notMatch(config.body, /pw|config-token/, 'secrets redacted')
  t.match(config.json(), { mqtt: { url: 'mqtt://u:***@h', password: '[redacted]' } })
  // a password change or a lost role ends the session at once
  await auth.credentials.setPassword('wall', 'viewer-pass-12', 'viewer', 0)
  await auth.credentials.setPassword('ops', 'operator-pass-1', 'viewer', 0)
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: ops.cookie! } })).statusCode, 401, 'demoted: logged out')
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: wall.cookie! } })).statusCode, 200, 'same role: still in')
  // logout needs the CSRF token too (a forged logout is a nuisance on a wall screen)
  t.equal((await app.inject({ method: 'POST', url: '/logout', headers: { cookie: wall.cookie! } })).statusCode, 403)
  const out = await app.inject({ method: 'POST', url: '/logout', payload: `csrf=${encodeURIComponent(wallCsrf)}`, headers: { cookie: wall.cookie!, 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(out.statusCode, 303)
  t.match(String(out.headers['set-cookie']), /Max-Age=0/)
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: wall.cookie! } })).statusCode, 401, 'the session is gone on the box, not only in the browser')
  clock.advance(12 * 3_600_000 + 1)
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: admin.cookie! } })).statusCode, 401, 'idle for http.sessionHours: expired')
  await app.close()
})

t.test('wrong passwords slow down: 5 free, then locked for 1 s, 2 s, 4 s … 60 s; the right password waits too', async (t) => {
  const { app, auth, clock } = box()
  await auth.credentials.setPassword('admin', 'admin-password-1', 'admin', 0)
  for (let i = 0; i < LoginBrake.FREE; i++) t.equal((await login(app, 'admin', `guess-${i}-xxxx`)).res.statusCode, 401)
  t.equal((await login(app, 'admin', 'guess-5-xxxx')).res.statusCode, 401, 'the sixth is still checked…')
  const locked = await login(app, 'admin', 'admin-password-1')
  t.equal(locked.res.statusCode, 429, '…then the account waits, even for the right password')
  t.equal(locked.res.headers['retry-after'], '1')
  t.notOk(locked.cookie)
  clock.advance(1000)
  t.equal((await login(app, 'admin', 'guess-6-xxxx')).res.statusCode, 401)
  t.equal((await login(app, 'admin', 'admin-password-1')).res.headers['retry-after'], '2', 'twice as long each time')
  clock.advance(2000)
  t.equal((await login(app, 'admin', 'admin-password-1')).res.statusCode, 303, 'after the wait the right password works')
  t.equal((await login(app, 'admin', 'x-wrong-xxxx')).res.statusCode, 401, 'and the count started again')
  // made-up user names share one brake: they cannot fill the memory or dodge it
  for (let i = 0; i < 6; i++) await login(app, `nobody${i}`, 'whatever-1')
  t.equal((await login(app, 'nobody99', 'whatever-1')).res.statusCode, 429)
  await app.close()
})

t.test('http.auth: none (the demo on loopback): no login, but a change from another site is still refused', async (t) => {
  const { app, done } = box({ auth: 'none' })
  t.equal((await app.inject('/')).statusCode, 200)
  t.equal((await app.inject('/login')).headers.location, '/')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/panel/test' })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/panel/test', headers: { origin: 'http://evil.example' } })).statusCode, 403)
  t.equal(done.tests, 1)
  await app.close()
})

t.test('an admin manages users and tokens over HTTP; a new password ends the old logins', async (t) => {
  const { app, auth, clock } = box()
  await auth.credentials.setPassword('admin', 'admin-password-1', 'admin', clock.now())
  clock.advance(1000)
  const admin = await login(app, 'admin', 'admin-password-1')
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec((await app.inject({ url: '/', headers: { cookie: admin.cookie! } })).body)![1]!
  const as = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) => app.inject({ method, url, headers: { cookie: admin.cookie!, 'x-csrf-token': csrf }, ...(payload ? { payload } : {}) })
  t.equal((await as('PUT', '/api/v1/users/ops', { password: 'short', role: 'operator' })).statusCode, 400)
  t.equal((await as('PUT', '/api/v1/users/ops', { password: 'operator pass 1', role: 'root' })).statusCode, 400)
  t.equal((await as('PUT', '/api/v1/users/ops', { password: 'operator pass 1', role: 'operator' })).statusCode, 201)
  const users = await as('GET', '/api/v1/users')
  t.same(users.json().users.map((u: { name: string; role: string }) => [u.name, u.role]), [['admin', 'admin'], ['ops', 'operator']])
  t.notMatch(users.body, /scrypt/, 'no hash leaves the box')
  const ops = await login(app, 'ops', 'operator pass 1')
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: ops.cookie! } })).statusCode, 200)
  clock.advance(1000)
  t.equal((await as('PUT', '/api/v1/users/ops', { password: 'operator pass 2', role: 'operator' })).statusCode, 200)
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: ops.cookie! } })).statusCode, 401, 'the new password ends the old login')
  // the same when the password changes from the console (another process): the file says when
  const ops2 = await login(app, 'ops', 'operator pass 2')
  clock.advance(1000)
  await new Credentials(auth.credentials.file).setPassword('ops', 'operator pass 3', 'operator', clock.now())
  t.equal((await app.inject({ url: '/api/v1/state', headers: { cookie: ops2.cookie! } })).statusCode, 401, 'linewatch passwd ends it too')
  const made = await as('POST', '/api/v1/tokens', { name: 'pbx', scopes: ['pbx'] })
  t.equal(made.statusCode, 201)
  t.equal(made.headers['cache-control'], 'no-store')
  const token = made.json().token as string
  t.equal((await app.inject(`/api/v1/route?to=%2B79161234567&token=${token}`)).statusCode, 200)
  t.same((await as('GET', '/api/v1/tokens')).json().tokens.map((x: { name: string }) => x.name), ['pbx'])
  t.notMatch((await as('GET', '/api/v1/tokens')).body, new RegExp(token.slice(4)), 'listed without its text')
  t.equal((await as('POST', '/api/v1/tokens', { name: 'x', scopes: ['everything'] })).statusCode, 400)
  t.equal((await as('DELETE', '/api/v1/tokens/pbx')).statusCode, 204)
  t.equal((await app.inject(`/api/v1/route?to=%2B79161234567&token=${token}`)).statusCode, 401, 'revoked')
  t.equal((await as('DELETE', '/api/v1/tokens/pbx')).statusCode, 404)
  t.equal((await as('DELETE', '/api/v1/users/admin')).statusCode, 409, 'an admin cannot remove themself')
  t.equal((await as('DELETE', '/api/v1/users/ops')).statusCode, 204)
  await app.close()
})
