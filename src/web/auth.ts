/**
 * Who is asking, and may they: the HTTP side's gate (issue 17).
 *
 * A request is someone by one of: a session cookie (a person logged in on the
 * page; every change they ask for must carry the session's CSRF token), an API
 * token in `Authorization: Bearer` (named and scoped, made by `linewatch token
 * add`; or the config's http.token, which is an admin's), or `?token=` on the
 * one route a PBX may call without headers. With `http.auth: none` (loopback
 * only: the demo) everyone is an admin, but a change asked by another web
 * site is still refused.
 *
 * Until a web password is set, the setup page lets the first visitor choose
 * one, for `http.setupMinutes` after start only.
 */
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Credentials } from '../auth/credentials.js'
import { sameSecret } from '../auth/credentials.js'
import { passwordProblem } from '../auth/passwords.js'
import { leastRoleWith, permissionsOfRole, permissionsOfScopes, PERMISSIONS, type Permission } from '../auth/permissions.js'
import { LoginBrake, Sessions, type Session } from '../auth/sessions.js'
import type { Clock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { accessOf, isListed, QUERY_TOKEN_ROUTES } from './access.js'
import { loginPage, setupClosedPage, setupPage } from './login-page.js'

export const SESSION_COOKIE = 'lw_session'

export interface Identity {
  /** A user's or a token's name, for the log and the 403's words. */
  who: string
  via: 'open' | 'session' | 'token'
  permissions: ReadonlySet<Permission>
  session?: Session
}

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null
  }
}

export interface WebAuthOptions {
  mode: 'required' | 'none'
  /** http.token: an admin's token from the config. */
  configToken?: string | undefined
  sessionHours: number
  setupMinutes: number
  clock: Clock
  log: Logger
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const ALL = new Set(PERMISSIONS)

export class WebAuth {
  readonly mode: 'required' | 'none'
  readonly sessions: Sessions
  readonly brake: LoginBrake
  readonly #opts: WebAuthOptions
  #credentials: Credentials | null = null
  #setupUntil = 0
  #settingUp = false

  constructor(opts: WebAuthOptions) {
    this.#opts = opts
    this.mode = opts.mode
    this.sessions = new Sessions(opts.clock, opts.sessionHours * 3_600_000)
    this.brake = new LoginBrake(opts.clock)
  }

  /** At start: the credentials file in the state folder; the setup window opens now. */
  open(stateDir: string): void {
    this.#credentials = new Credentials(join(stateDir, 'credentials.json'))
    this.#setupUntil = this.#opts.clock.now() + this.#opts.setupMinutes * 60_000
    if (this.mode === 'none') return
    const c = this.#credentials
    c.users() // reads the file: is it damaged?
    if (c.damaged) this.#opts.log.error({ reason: c.damaged }, 'the web credentials file is damaged: nobody can log in until `linewatch passwd` sets a password')
    else if (c.needsSetup()) {
      if (this.#opts.setupMinutes > 0) this.#opts.log.warn({ until: new Date(this.#setupUntil).toISOString() }, `no web password set: the page's first setup (/setup) is open for ${this.#opts.setupMinutes} min; or run \`linewatch passwd\``)
      else this.#opts.log.warn('no web password set and http.setupMinutes is 0: set one with `linewatch passwd`')
    }
  }

  get credentials(): Credentials {
    if (!this.#credentials) throw new Error('WebAuth.open() was not called')
    return this.#credentials
  }

  /** Whether the first-setup page may run now, and until when. */
  setupWindow(): { open: boolean; until: number; reason?: string } {
    const c = this.credentials
    if (!c.needsSetup()) return { open: false, until: this.#setupUntil, reason: c.damaged ? 'the credentials file is damaged: set a password with `linewatch passwd` on the console' : 'a password is already set' }
    if (this.#opts.clock.now() >= this.#setupUntil) return { open: false, until: this.#setupUntil, reason: `the first setup was open for ${this.#opts.setupMinutes} min after the box started and is closed now: set the password with \`linewatch passwd\` on the console, or put web-password.txt on the SD card's boot partition and restart` }
    return { open: true, until: this.#setupUntil }
  }

  /** The identity a request carries, null when none, or the reason a credential it carries is refused. */
  identify(req: FastifyRequest, queryTokenAllowed: boolean): Identity | null | { refused: string } {
    if (this.mode === 'none') return { who: 'local', via: 'open', permissions: ALL }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const fromQuery = queryTokenAllowed ? new URLSearchParams(req.url.split('?', 2)[1] ?? '').get('token') : null
    const token = bearer ?? fromQuery ?? undefined
    if (token !== undefined) {
      if (this.#opts.configToken !== undefined && sameSecret(token, this.#opts.configToken)) return { who: 'http.token', via: 'token', permissions: ALL }
      const found = this.credentials.findToken(token)
      if (!found) return { refused: 'the token is not valid (unknown or revoked)' }
      return { who: `token ${found.name}`, via: 'token', permissions: permissionsOfScopes(found.scopes) }
    }
    if (req.headers.authorization !== undefined) return { refused: 'only Authorization: Bearer <token> is understood' }
    const sid = cookie(req.headers.cookie, SESSION_COOKIE)
    const session = sid ? this.sessions.use(sid) : null
    if (!session) return null
    // a user removed, demoted or given a new password since the login (here or by `linewatch passwd`) loses the session
    const user = this.credentials.users().find((u) => u.name === session.user)
    if (!user || user.role !== session.role || user.changedAt > session.createdAt) {
      this.sessions.end(session.id)
      return null
    }
    return { who: session.user, via: 'session', permissions: permissionsOfRole(session.role), session }
  }

  /** Registers the gate (hooks) and the login, logout and setup routes. */
  install(app: FastifyInstance): void {
    app.decorateRequest('identity', null)
    // a route nobody gave a permission to is a mistake found at start, not a door found later
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD' && !isListed(m, r.url)) throw new Error(`${m} ${r.url}: no permission for it in src/web/access.ts`)
    })
    // the login and setup forms post as a browser does
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))))
    app.addHook('onRequest', async (req, reply) => this.#gate(req, reply))
    app.addHook('preValidation', async (req, reply) => {
      const s = req.identity?.session
      if (!s || SAFE_METHODS.has(req.method)) return
      const sent = req.headers['x-csrf-token'] ?? (req.body as { csrf?: unknown } | undefined)?.csrf
      if (typeof sent !== 'string' || !sameSecret(sent, s.csrf)) return reply.code(403).send({ error: 'csrf', message: 'this change did not come from the box\'s own page (CSRF token missing or wrong); reload the page' })
    })
    this.#routes(app)
  }

  async #gate(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const url = req.routeOptions.url
    if (url === undefined) return // no such route: the 404 answers
    if (!SAFE_METHODS.has(req.method) && crossSite(req)) return reply.code(403).send({ error: 'cross-site', message: 'a change asked by another web site is refused' })
    const access = accessOf(req.method, url)
    if (access === 'public') return
    const id = this.identify(req, QUERY_TOKEN_ROUTES.has(`${req.method === 'HEAD' ? 'GET' : req.method} ${url}`))
    if (id && 'refused' in id) return reply.code(401).send({ error: 'unauthorized', message: id.refused })
    if (!id) {
      if (req.method === 'GET' && url === '/') return reply.redirect(this.credentials.needsSetup() && this.setupWindow().open ? '/setup' : '/login', 303)
      return reply.code(401).send({ error: 'unauthorized', message: 'log in on the page, or send Authorization: Bearer <token>' })
    }
    if (!id.permissions.has(access)) return reply.code(403).send({ error: 'forbidden', message: `this needs the ${leastRoleWith(access)} role or a token with the "${access}" scope; ${id.who} has not` })
    req.identity = id
  }

  #routes(app: FastifyInstance): void {
    const html = (reply: FastifyReply, code: number, body: string) => reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body)
    const startSession = (req: FastifyRequest, reply: FastifyReply, user: string, role: Session['role']) => {
      const s = this.sessions.create(user, role)
      const secure = req.protocol === 'https' ? '; Secure' : ''
      return reply.header('set-cookie', `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict${secure}`).redirect('/', 303)
    }
    const until = () => new Date(this.setupWindow().until).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })

    app.get('/login', async (_req, reply) => {
      if (this.mode === 'none') return reply.redirect('/', 303)
      if (this.setupWindow().open) return reply.redirect('/setup', 303)
      return html(reply, 200, loginPage({}))
    })
    app.post<{ Body: { user?: unknown; password?: unknown } }>('/login', async (req, reply) => {
      // nothing to check on an open box, and no scrypt to spend on whoever posts here
      if (this.mode === 'none') return reply.redirect('/', 303)
      const user = typeof req.body?.user === 'string' ? req.body.user.trim().toLowerCase() : ''
      const password = typeof req.body?.password === 'string' ? req.body.password : ''
      const known = this.credentials.users().some((u) => u.name === user)
      const key = known ? user : '?'
      const wait = this.brake.wait(key)
      if (wait > 0) {
        const s = Math.ceil(wait / 1000)
        return html(reply.header('retry-after', String(s)), 429, loginPage({ user, message: `Too many wrong passwords: try again in ${s} s.` }))
      }
      const found = user && password ? await this.credentials.checkPassword(user, password) : null
      if (!found) {
        this.brake.failed(key)
        this.#opts.log.warn({ user: user.slice(0, 32), from: req.ip }, 'web login refused: wrong user name or password')
        return html(reply, 401, loginPage({ user, message: 'Wrong user name or password.' }))
      }
      this.brake.succeeded(key)
      this.#opts.log.info({ user: found.name, role: found.role, from: req.ip }, 'web login')
      return startSession(req, reply, found.name, found.role)
    })
    app.post('/logout', async (req, reply) => {
      if (req.identity?.session) this.sessions.end(req.identity.session.id)
      return reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).redirect('/login', 303)
    })
    app.get('/setup', async (_req, reply) => {
      const w = this.setupWindow()
      if (this.mode === 'none' || w.reason === 'a password is already set') return reply.redirect('/login', 303)
      if (!w.open) return html(reply, 403, setupClosedPage(w.reason!))
      return html(reply, 200, setupPage({ until: until() }))
    })
    app.post<{ Body: { password?: unknown; confirm?: unknown } }>('/setup', async (req, reply) => {
      const w = this.setupWindow()
      if (this.mode === 'none' || !w.open || this.#settingUp) return html(reply, 403, setupClosedPage(w.reason ?? 'the setup is closed'))
      const password = typeof req.body?.password === 'string' ? req.body.password : ''
      const problem = password !== req.body?.confirm ? 'The two passwords differ.' : passwordProblem(password)
      if (problem) return html(reply, 400, setupPage({ until: until(), message: problem.charAt(0).toUpperCase() + problem.slice(1) + (problem.endsWith('.') ? '' : '.') }))
      this.#settingUp = true // two first visitors at once: the first one sets it
      try {
        await this.credentials.setPassword('admin', password, 'admin', this.#opts.clock.now())
      } catch (err) {
        this.#opts.log.error({ err: errorMessage(err) }, 'cannot save the web password')
        return html(reply, 500, setupPage({ until: until(), message: 'The box could not save the password (see its log).' }))
      } finally {
        this.#settingUp = false
      }
      this.#opts.log.info({ from: req.ip }, 'web password set by the first setup')
      return startSession(req, reply, 'admin', 'admin')
    })
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, v] = part.trim().split('=', 2)
    if (k === name && v) return v
  }
  return undefined
}

/**
 * A browser says where a request comes from: Sec-Fetch-Site (every current browser), else Origin.
 * A change from another site is forged. (With the box's Referrer-Policy: no-referrer a browser sends
 * `Origin: null` even for the page's own forms, so Sec-Fetch-Site is read first.)
 */
function crossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = req.headers.origin
  if (!origin) return false
  try {
    // through URL() both sides: http://box:80 and Host: box are the same place
    return new URL(origin).origin !== new URL(`${req.protocol}://${req.headers.host ?? ''}`).origin
  } catch {
    return true
  }
}
