import type { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { Config, HttpConfig } from '../config/schema.js'
import { redactConfig } from '../config/redact.js'
import type { Logger } from '../core/logger.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { lineRoutes, modemRoutes, type LineActions, type ModemActions } from './modem-routes.js'
import { routingRoutes, type RoutingActions } from './routing-routes.js'
import { statsRoutes, type StatsActions } from './stats-routes.js'
import type { WebAuth } from './auth.js'
import { adminRoutes } from './admin-routes.js'
import { updateRoutes, type UpdateActions } from './update-routes.js'
import { BoxMetrics, METRICS_CONTENT_TYPE, type OfficeLinkFigures } from './metrics.js'
import { STATS_MONTH_SCRIPT, statsMonthPage } from './stats-month-page.js'
import { STATS_CSS, STATS_SCRIPT, WALLBOARD_SCRIPT, statsPage, uplotAssets, wallboardPage } from './stats-page.js'
import { PAGE_CSS, PAGE_POLICY, PAGE_SCRIPT, statusPage } from './page.js'

const SSE_HEARTBEAT_MS = 20_000
/** The largest body a request may carry: every report, SMS and command is far below it. */
export const BODY_LIMIT = 64 * 1024
const SSE_MAX_BUFFER = 1024 * 1024

export interface MqttLogEntry {
  topic: string
  payload: string
  retain: boolean
  ts: number
}

export interface WebDeps {
  config: HttpConfig
  /** Who may do what (src/web/auth.ts); its open() must have been called with the state folder. */
  auth: WebAuth
  /** The whole config, for GET /api/v1/config (admin; secrets redacted). */
  fullConfig?: Config
  store: StateStore
  log: Logger
  /** Serve HTTPS (src/web/tls.ts); the certificate is set on app.server before listen. */
  https?: boolean
  /** Whether the box is connected to its broker (GET /api/v1/health). */
  mqttConnected: () => boolean
  /** The office link's figures for GET /metrics: null when no broker is configured. */
  officeLink?: () => OfficeLinkFigures | null
  /** Demo only: a feed of MQTT messages seen on the box's topics, shown on the page. */
  mqttLog?: EventEmitter<{ message: [MqttLogEntry] }>
  /** SMS and test calls through the modems (POST /api/v1/modems/:id/sms and /dial). */
  modems?: ModemActions
  /** Test calls to the lines (POST /api/v1/lines/:id/test-call). */
  lines?: LineActions
  /** Least-cost routing: GET /api/v1/route, POST /api/v1/calls, GET /api/v1/routing. */
  routing?: RoutingActions
  /** Call records and figures: GET /api/v1/stats and /api/v1/stats/calls. */
  stats?: StatsActions
  /** The status panel: POST /api/v1/panel/test (the lamp test) and /api/v1/panel/silence (the silence button). */
  panel?: { lampTest(): void; silence(): void }
  /** Updates from the page (admin): GET/POST /api/v1/update and the /update page (docs/updates.md). */
  update?: UpdateActions
  /** Demo only: extra routes (simulator controls). */
  extraRoutes?: (app: FastifyInstance) => void
}

/**
 * The box's HTTP side: health, the snapshot, a live event stream (SSE) and
 * the status page. Who may call what is decided by the gate (auth.ts) from
 * the table in access.ts.
 */
export function buildWebServer(deps: WebDeps): FastifyInstance {
  // bodies are taken as sent: an unknown field or a number where a string belongs is refused, not quietly fixed
  // HTTPS: the server is made without its certificate, which the box sets before it listens (setSecureContext)
  const app = Fastify({ ...(deps.https ? { https: {} } : {}), logger: false, forceCloseConnections: true, bodyLimit: BODY_LIMIT, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } })
  // junk gets a 4xx with one line that says what is wrong; a fault of the box's own is logged and never shows its insides
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) {
      deps.log.error({ err: err.message, method: req.method, url: req.routeOptions.url }, 'HTTP request failed')
      return reply.code(500).send({ error: 'internal', message: 'the box could not answer this request; it is in the log' })
    }
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `the body is over ${BODY_LIMIT / 1024} KiB` : err.message
    return reply.code(status).send({ error: status === 413 ? 'too-large' : status === 415 ? 'unsupported-media-type' : 'bad-request', message })
  })
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}` }))
  const streams = new Set<ServerResponse>()

  // every answer: no sniffing, never in a frame, no referrer; the page's policy allows nothing inline
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('content-security-policy', PAGE_POLICY)
    return payload
  })

  deps.auth.install(app)

  // open to anyone: up or not, nothing more (no versions, no state)
  app.get('/healthz', async () => ({ ok: true }))
  // the same with what a logged-in reader may know
  app.get('/api/v1/health', async () => ({ ok: true, mqtt: deps.mqttConnected() ? 'connected' : 'disconnected', version: deps.store.snapshot.box.version, ts: deps.store.clock.now() }))

  app.get('/api/v1/state', async () => deps.store.snapshot)

  // Prometheus scrapes this (docs/http.md): a token with the `metrics` scope, or any logged-in person
  const metrics = new BoxMetrics({ store: deps.store, office: deps.officeLink ?? (() => null) })
  app.get('/metrics', async (_req, reply) => reply.type(METRICS_CONTENT_TYPE).header('cache-control', 'no-store').send(metrics.text()))

  // the recent calls, newest last, with the caller ID: for the call-handling software
  app.get('/api/v1/calls', async () => ({ calls: deps.store.snapshot.calls }))
  app.get('/api/v1/panel', async () => deps.store.snapshot.panel)
  const panel = deps.panel
  if (panel) {
    app.post('/api/v1/panel/test', async () => {
      panel.lampTest()
      return { ok: true, test: deps.store.snapshot.panel.test }
    })
    app.post('/api/v1/panel/silence', async () => {
      panel.silence()
      return { ok: true, buzzer: deps.store.snapshot.panel.buzzer }
    })
  }

  app.get('/api/v1/events', (req, reply) => {
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    // A client that stopped reading (a laptop gone to sleep) is dropped rather than buffered for ever.
    const send = (event: string, data: unknown) => {
      if (res.writableLength > SSE_MAX_BUFFER) return void res.end()
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    // a comment line now and then finds half-open connections and keeps proxies from timing out
    const heartbeat = deps.store.clock.setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS)
    send('snapshot', deps.store.snapshot)
    const onChange = (c: StoreChange) => send('change', { kind: c.kind, id: c.id, next: c.next })
    const onMqtt = (m: MqttLogEntry) => send('mqtt', m)
    deps.store.on('change', onChange)
    deps.mqttLog?.on('message', onMqtt)
    streams.add(res)
    req.raw.on('close', () => {
      heartbeat.cancel()
      deps.store.off('change', onChange)
      deps.mqttLog?.off('message', onMqtt)
      streams.delete(res)
    })
    return reply.hijack()
  })

  app.get('/', async (req, reply) => {
    const id = req.identity
    const page = statusPage({ demo: deps.extraRoutes !== undefined, csrf: id?.session?.csrf, user: id?.via === 'session' ? id.who : undefined })
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page)
  })
  app.get('/page.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(PAGE_SCRIPT))
  app.get('/page.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(PAGE_CSS))

  const config = deps.fullConfig
  if (config) app.get('/api/v1/config', async () => redactConfig(config))
  if (deps.auth.mode === 'required') adminRoutes(app, deps.auth, () => deps.store.clock.now())

  // SMS and calls cost money and reach people: never from a box open to anyone (http.auth: none)
  const spending = deps.auth.mode === 'required'
  if (deps.modems) modemRoutes(app, deps.modems, { spending, log: deps.log })
  if (deps.lines) lineRoutes(app, deps.lines, { spending, log: deps.log })
  if (deps.routing) routingRoutes(app, deps.routing)
  // a new system is an admin's decision, and never on a box open to anyone
  if (deps.update && deps.auth.mode === 'required') updateRoutes(app, deps.update)
  if (deps.stats) {
    statsRoutes(app, deps.stats)
    // the statistics pages and the wallboard (stats-page.ts); uPlot from the package, not a CDN, read when asked
    // (the browser keeps it a day) rather than held in memory for good
    const js = 'text/javascript; charset=utf-8'
    app.get('/stats', async (req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(statsPage({ csrf: req.identity?.session?.csrf })))
    app.get('/stats/month', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(statsMonthPage()))
    app.get('/stats-month.js', async (_req, reply) => reply.type(js).send(STATS_MONTH_SCRIPT))
    app.get('/wallboard', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(wallboardPage()))
    app.get('/stats.js', async (_req, reply) => reply.type(js).send(STATS_SCRIPT))
    app.get('/wallboard.js', async (_req, reply) => reply.type(js).send(WALLBOARD_SCRIPT))
    app.get('/stats.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(STATS_CSS))
    app.get('/vendor/uplot.min.js', async (_req, reply) => reply.type(js).header('cache-control', 'max-age=86400').send(uplotAssets().js))
    app.get('/vendor/uplot.min.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=86400').send(uplotAssets().css))
  }
  deps.extraRoutes?.(app)

  app.addHook('onClose', async () => {
    metrics.stop()
    for (const s of streams) s.end()
  })
  return app
}
