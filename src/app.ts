import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { AlertManager } from './alerts/index.js'
import { resolveStateDir, type Config } from './config/index.js'
import { systemClock, type Clock, type Timer } from './core/clock.js'
import { errorMessage } from './core/errors.js'
import { within } from './core/within.js'
import { createLogger, type Logger } from './core/logger.js'
import { StateStore } from './core/store.js'
import { VERSION } from './core/version.js'
import { createIo, outputPins } from './hw/gpio.js'
import { SerialOpener } from './hw/serial.js'
import { CallTracker } from './calls/tracker.js'
import { LineMonitor } from './lines/index.js'
import { SimPinLedger } from './modem/pin-ledger.js'
import { BoxMemory } from './core/box-memory.js'
import { Journal } from './core/journal.js'
import { adoptLegacyState } from './report/legacy-state.js'
import { OfficeCommands } from './report/commands.js'
import { boxCommands, type ConfigReload } from './report/box-commands.js'
import { ModemDriver } from './modem/index.js'
import type { PanelController, PanelOutputs } from './panel/index.js'
import { buildPanel } from './panel/build.js'
import type { IoPlugin } from './hw/io/contract.js'
import { MqttReporter } from './report/index.js'
import { RoutingService } from './lcr/service.js'
import type { AttemptReport } from './lcr/router.js'
import { IpRouteControl, UplinkMonitor, interfaceAddress, probe } from './uplinks/index.js'
import { SimBinding, SimGateway, modbusOpener, simulatorFor } from './sim/binding.js'
import { wireSim } from './sim/wiring.js'
import { SimIO } from './sim/gpio.js'
import { buildWebServer, type WebDeps } from './web/index.js'
import { UpdateService } from './update/service.js'
import { announceToHomeAssistant } from './report/home-assistant.js'
import { StatsService } from './stats/service.js'
import { WebAuth } from './web/auth.js'
import { httpsWanted, tlsFiles } from './web/tls.js'
import type { Server as TlsServer } from 'node:tls'
import { CLEAR_RETAINED_MARK } from './report/clear-retained.js'
import { storageProblem } from './core/storage-watch.js'
import { storageAlert } from './alerts/rules.js'
import { SilenceWatch } from './silence/watch.js'
import { SmsNotifier } from './alerts/sms-notifier.js'
import { SitePhoneAction } from './actions/site-phone.js'
import { TestCaller } from './actions/test-call.js'
import { SipMonitor } from './lines/sip-monitor.js'
import { AnalogMonitor } from './lines/analog.js'
import { RouteWithdrawal } from './actions/route-withdraw.js'
import { DivertRelay } from './actions/divert.js'
import { parsePbxReport, type PbxReport } from './lines/pbx-report.js'
import { ChannelWatch } from './lines/channels.js'
import type { DialOptions } from './modem/call-control.js'

/** The longest one part may take to stop before the box goes on without it. */
const STOP_STEP_MS = 1500

export interface BoxOptions {
  config: Config
  log?: Logger
  clock?: Clock
  /** The config file's folder: rate decks named relative to it are found there (default: the working folder). */
  configDir?: string
  /** Simulated gateway for `sim:` ports; made here when the config names such ports and none is given. */
  simulator?: SimGateway
  /** Demo extras for the web page. */
  web?: Pick<WebDeps, 'mqttLog' | 'extraRoutes'>
  /** The IO board (tests give a GpiodIO on a fake chip); default: the one `board` names. */
  io?: IoPlugin
  /** The office's reload-config, when something outside the box can restart it on a new config (`linewatch run`). */
  reloadConfig?: ConfigReload
}

/**
 * The whole box, built from a validated config in one place. Data flows one
 * way: drivers → store → outputs (panel, MQTT, web). Each part has start/stop.
 */
export class Box {
  readonly config: Config
  readonly log: Logger
  readonly clock: Clock
  readonly store: StateStore
  readonly simulator: SimGateway | null
  readonly io: IoPlugin
  readonly modems: ModemDriver[]
  readonly lines: LineMonitor
  readonly uplinks: UplinkMonitor
  readonly routing: RoutingService
  readonly calls: CallTracker
  readonly panel: PanelController
  mqtt!: MqttReporter
  readonly web: FastifyInstance
  stateDir = ''
  /** Updates from afar (the office's command, the page): real boards only, where the root side is installed (docs/updates.md). */
  update: UpdateService | null = null
  readonly auth: WebAuth
  /** Whether the page and the API are served over HTTPS (http.tls). */
  readonly https: boolean
  #alerts: AlertManager | null = null
  /** Silence detection; built at start, once the state folder (rates.json) is known. */
  silence: SilenceWatch | null = null
  /** The site's number swap; built at start (what the webhook acknowledged is in the state folder). */
  sitePhone: SitePhoneAction | null = null
  readonly testCalls: TestCaller
  /** Call records and the figures (src/stats); its database opens at start. */
  readonly stats: StatsService
  readonly sip: SipMonitor
  readonly analog: AnalogMonitor
  readonly routes: RouteWithdrawal
  readonly channels: ChannelWatch
  readonly divert: DivertRelay
  /** Alerts to the contacts by SMS; built at start (its queue is in the state folder). */
  notifier: SmsNotifier | null = null
  readonly #panelOutputs: PanelOutputs
  #started = false
  /** The SIM PINs the SIMs refused: read from the state folder before a modem starts. */
  readonly #simPins = new SimPinLedger()
  #memory: BoxMemory | null = null
  readonly #createdAt: number
  #journal: Journal | null = null
  #minute: Timer | null = null
  /** The office's commands, from start on. */
  commands: OfficeCommands | null = null
  readonly #reloadConfig: ConfigReload | null

  constructor(opts: BoxOptions) {
    const { config } = opts
    this.config = config
    this.clock = opts.clock ?? systemClock
    this.#createdAt = this.clock.now()
    this.#reloadConfig = opts.reloadConfig ?? null
    this.log = opts.log ?? createLogger()
    this.store = new StateStore({ site: config.site, box: config.box, version: VERSION, startedAt: this.clock.now() }, this.clock)
    this.simulator = opts.simulator ?? simulatorFor(config, this.clock)
    const opener = new SerialOpener(this.simulator ? new SimBinding(this.simulator) : null)
    this.io = opts.io ?? createIo(config, this.clock)
    // a board that cannot be opened (no GPIO chip, no node-libgpiod, a Firmata board unplugged) must not
    // be an uncaught 'error': the panel reports it as its own alert; a box without a panel runs without pins
    this.io.on('error', (err: unknown) => this.log.error({ board: config.board, err: errorMessage(err) }, 'IO board error: its pins do nothing'))
    // e.g. edge events lost (gpiomon missing or gone): the inputs went back to the poll
    this.io.on('warning', (err: unknown) => this.log.warn({ board: config.board, err: errorMessage(err) }, 'GPIO'))
    if (this.simulator && this.io instanceof SimIO) wireSim(this.simulator, config, this.io, this.clock)
    const pins = outputPins(this.io, this.clock)
    this.modems = config.modems.map((m) => new ModemDriver({ config: m, store: this.store, clock: this.clock, opener, log: this.log, pins, numbering: config.numbering, pinLedger: this.#simPins }))
    this.lines = new LineMonitor(this.store, config.lines)
    this.calls = new CallTracker(this.store, config.lines)
    this.routing = new RoutingService({ config, store: this.store, clock: this.clock, log: this.log, configDir: opts.configDir ?? process.cwd() })
    this.uplinks = this.#uplinkMonitor()
    for (const u of this.uplinks.initial(this.clock.now())) this.store.init('uplink', u)
    const panel = buildPanel({ config, store: this.store, clock: this.clock, io: this.io, log: this.log, modbusOpener: modbusOpener(this.simulator) })
    this.panel = panel.controller
    this.#panelOutputs = panel.outputs
    this.analog = new AnalogMonitor({ io: this.io, lines: config.lines, monitor: this.lines, store: this.store, clock: this.clock, log: this.log })
    this.channels = new ChannelWatch({ store: this.store, lines: config.lines })
    this.routes = new RouteWithdrawal({ store: this.store, lines: config.lines })
    this.divert = new DivertRelay({ store: this.store, lines: config.lines, pins, clock: this.clock, log: this.log })
    this.sip = new SipMonitor({ store: this.store, signals: this.lines, lines: config.lines, clock: this.clock, log: this.log })
    this.testCalls = new TestCaller({
      store: this.store,
      lines: config.lines,
      config: config.testCalls,
      modems: { dial: (m, n, o) => this.#driver(m).dial(n, o), cancel: (m) => this.#driver(m).cancelCall() },
      clock: this.clock,
      log: this.log,
    })
    // bundles: routing's own count of each pool's minutes (only once routing has started)
    this.stats = new StatsService({ config, store: this.store, clock: this.clock, log: this.log, testCall: () => this.testCalls.current, clockSyncedAtStart: config.board !== 'sim' && existsSync('/run/systemd/timesync/synchronized'), bundles: () => (config.routing.paths.length && this.routing.started ? this.routing.status().bundles : []) })
    const lines = {
      test: (id: string) => this.testCalls.run(id),
      has: (id: string) => this.testCalls.testable.some((l) => l.id === id),
      reports: (id: string) => this.#takesReports(id),
      report: (id: string, r: PbxReport) => this.#pbxReport(id, r),
    }
    const modems = { has: (id: string) => this.modems.some((m) => m.id === id), sendSms: (id: string, to: string, text: string) => this.#driver(id).sendSms(to, text), dial: (id: string, n: string, o: DialOptions) => this.#driver(id).dial(n, o) }
    const routing = config.routing.paths.length ? { route: (to: string, peek?: boolean) => this.routing.route(to, peek), report: (r: AttemptReport) => this.routing.report(r), status: () => this.routing.status(), reload: () => this.routing.reload() } : undefined
    this.auth = new WebAuth({ mode: config.http.auth, configToken: config.http.token, sessionHours: config.http.sessionHours, setupMinutes: config.http.setupMinutes, clock: this.clock, log: this.log })
    this.https = httpsWanted(config)
    this.web = buildWebServer({ config: config.http, https: this.https, auth: this.auth, fullConfig: config, store: this.store, log: this.log, mqttConnected: () => this.mqtt?.connected ?? false, officeLink: () => (this.mqtt ? { connected: this.mqtt.connected, outbox: this.mqtt.outbox.size, dropped: this.mqtt.outbox.dropped } : null), modems, lines, routing, stats: { figures: (q) => this.stats.figures(q), calls: (q) => this.stats.calls(q), markCalledBack: (id, by) => this.stats.markCalledBack(id, by) }, panel: this.panel, mqttLog: opts.web?.mqttLog, extraRoutes: config.board === 'sim' ? opts.web?.extraRoutes : undefined, update: config.board === 'sim' ? undefined : this.#updateActions() })
    // ↑ the simulator's controls exist only on the simulated board
  }

  /** Real uplinks probe and route through the kernel; simulated ones (`sim:`) through the simulator's internet. */
  #uplinkMonitor(): UplinkMonitor {
    const { uplinks, failover } = this.config
    const sim = this.simulator?.internet ?? null
    const addressOf = sim?.addressOf ?? interfaceAddress
    return new UplinkMonitor({
      store: this.store,
      uplinks,
      failover,
      clock: this.clock,
      log: this.log,
      prober: sim?.probe ?? probe,
      addressOf,
      routes: failover.routes === 'metrics' ? (sim ?? new IpRouteControl()) : null,
      onSwitch: (_from, to) => {
        // a broker connection made over another uplink (the old one, or at boot whichever the kernel
        // routed by) stays on it: connect again now, not after TCP notices
        this.mqtt?.throttle(to?.metered ? failover.meteredReportSeconds * 1000 : 0)
        this.mqtt?.follow(to ? addressOf(to.interface) : null)
      },
    })
  }

  /** Whether the PBX reports on this line (lines[].pbxReports): the same answer for HTTP and MQTT. */
  #takesReports(id: string): boolean {
    return this.config.lines.some((l) => l.id === id && l.pbxReports)
  }

  /** What the PBX reports on a line (HTTP or MQTT): a call, its hang-up, a refusal, a SIP trunk's registration. */
  #pbxReport(id: string, r: PbxReport): void {
    const now = this.clock.now()
    this.stats.pbxReport(id, r, now)
    switch (r.type) {
      case 'call': {
        // a PBX clock ahead of ours must not put a call in the future
        const at = Math.min(r.at ?? Infinity, now)
        // a call reported twice (a QoS 1 duplicate, a PBX retrying) is one call
        const fresh = r.id ? this.channels.started(id, r.id, now) : true
        if (fresh && r.direction !== 'out') this.lines.incomingCall(id, { callerId: r.callerId ?? null, at })
        return
      }
      case 'hangup':
        return this.channels.ended(id, r.id)
      case 'refused':
        return this.channels.refused(id, r.cause ?? null)
      case 'registration': {
        const state = r.state === 'registered' ? 'up' : 'down'
        return this.lines.signal(id, 'registration', { state, reason: `PBX: trunk ${r.state}${r.reason ? ` (${r.reason})` : ''}` })
      }
    }
  }

  /** PBX reports over MQTT: `<base>/pbx/<line>/report`, the same JSON as the HTTP route. */
  #pbxMessage(topic: string, payload: Buffer): void {
    const line = topic.split('/').at(-2) ?? ''
    if (!this.#takesReports(line)) return this.log.warn({ topic }, 'PBX report for a line without pbxReports; ignored')
    const parsed = parsePbxReport(payload)
    if ('error' in parsed) return this.log.warn({ topic, error: parsed.error }, 'PBX report refused')
    this.#pbxReport(line, parsed.report)
  }

  #driver(id: string): ModemDriver {
    const d = this.modems.find((m) => m.id === id)
    if (!d) throw new Error(`no modem "${id}"`)
    return d
  }

  /** Start everything. Resolves when the web server listens and the panel is ready; modems and the broker come up on their own. */
  async start(): Promise<void> {
    this.#started = true
    try {
      this.stateDir = await resolveStateDir(this.config.storage.dir)
      this.auth.open(this.stateDir)
      await this.#simPins.open(this.stateDir, this.log, this.clock.now())
      const { mqtt, site, box } = this.config
      // the outbox and the raised alerts share one journal: an alert and its messages are one durable write
      this.#journal = new Journal(join(this.stateDir, 'journal.log'), this.log)
      this.#journal.open()
      const legacy = adoptLegacyState(this.#journal, this.stateDir, this.log)
      this.mqtt = new MqttReporter({ config: mqtt, site, box, store: this.store, clock: this.clock, log: this.log, journal: this.#journal, clearRetainedMark: join(this.stateDir, CLEAR_RETAINED_MARK) })
      if (this.config.lines.some((l) => l.pbxReports)) this.mqtt.listen('pbx/+/report', (topic, payload) => this.#pbxMessage(topic, payload))
      await this.routing.start(this.stateDir)
      // what the lines, the channels and routing knew before a restart, before any of them starts
      this.#memory = new BoxMemory({ stateDir: this.stateDir, clock: this.clock, log: this.log })
      await this.#memory.load()
      this.#memory.keep('lines', this.lines)
      this.#memory.keep('channels', this.channels)
      this.#memory.keep('routing', this.routing)
      // the office can run the lamp test or silence the buzzer from afar
      this.mqtt.listen('panel/test', () => this.panel.lampTest())
      this.mqtt.listen('panel/silence', () => this.panel.silence())
      if (this.config.homeAssistant.enabled) announceToHomeAssistant(this.mqtt, { config: this.config, base: this.mqtt.base, version: VERSION, testable: this.testCalls.testable.map((l) => l.id) })
      // the office's commands: <base>/cmd/<name> → <base>/cmd/<name>/result (docs/mqtt.md)
      if (this.config.board !== 'sim') {
        const base = this.mqtt.base
        this.update = new UpdateService({ stateDir: this.stateDir, clock: this.clock, setAlert: (a) => this.store.setAlert(a), publish: (p) => this.mqtt?.publishTopic(`${base}/update`, JSON.stringify(p), true) })
        // the retained progress again on every connection (publishTopic sends only while connected)
        this.mqtt.onConnect(() => {
          const p = this.update?.progress
          if (p) this.mqtt?.publishTopic(`${base}/update`, JSON.stringify(p), true)
        })
      }
      const specs = boxCommands({
        panel: this.panel,
        update: this.update,
        testCalls: this.testCalls,
        modems: this.modems,
        routing: this.config.routing.paths.length ? this.routing : null,
        alerts: () => this.#alerts,
        reloadConfig: this.#reloadConfig,
        name: `${this.config.site}/${this.config.box}`,
        uptimeSeconds: () => Math.round((this.clock.now() - this.#createdAt) / 1000),
      })
      const commands = (this.commands = new OfficeCommands({ specs, disabled: this.config.mqtt.disabledCommands, log: this.log }))
      // a command redelivered after a restart (the session outlives it) is not run twice
      this.#memory.keep('commands', commands)
      this.mqtt.listen('cmd/+', (topic, payload, packet) => {
        const name = topic.slice(topic.lastIndexOf('/') + 1)
        void commands.handle(name, payload, packet).then((result) => this.mqtt?.commandResult(`cmd/${name}/result`, result, packet))
      })
      if (this.config.routing.paths.length) {
        this.mqtt.listen('route/request', (_topic, payload) => {
          const reply = this.routing.answer(payload)
          if (reply) this.mqtt?.respond(reply.topic, reply.body)
        })
      }
      this.#alerts = new AlertManager({ store: this.store, language: this.config.alerts.language, journal: this.#journal, log: this.log })
      this.#alerts.start()
      // after the alerts: a fallback the root side left is raised as box/update
      await this.update?.start()
      // the notifier listens before anything can change an alert, so it hears every raise and clear
      this.notifier = new SmsNotifier({
        store: this.store,
        config: this.config.alerts,
        site: this.config.site,
        online: () => this.mqtt?.connected ?? false,
        send: (modem, to, text) => this.#driver(modem).sendSms(to, text),
        clock: this.clock,
        stateDir: this.stateDir,
        log: this.log,
      })
      await this.notifier.start()
      // Everything that reports or acts on a change listens before anything that can change a state
      // starts: a part known at once (a SIP trunk answering the first probe, line voltage present at
      // power-on) changes while the box is still starting, and the office must get that event too.
      await this.mqtt.start()
      legacy.done()
      this.routes.start()
      this.divert.start()
      // a silence that has become unlikely, or a line nobody has called for a while, is tested with a call (issue 20)
      this.silence = new SilenceWatch({
        store: this.store,
        lines: this.config.lines,
        config: this.config.silence,
        timeZone: this.config.timezone,
        stateDir: this.stateDir,
        log: this.log,
        tester: { can: (id) => this.testCalls.testable.some((l) => l.id === id), run: (id) => this.testCalls.run(id), testing: () => this.testCalls.current?.line ?? null, ringSeconds: this.config.testCalls.ringSeconds },
      })
      await this.silence.start()
      this.sitePhone = new SitePhoneAction({ store: this.store, lines: this.config.lines, webhook: this.config.sitePhone.webhook, clock: this.clock, stateDir: this.stateDir, log: this.log })
      await this.sitePhone.start()
      // the call records listen before the call tracker speaks
      this.stats.start(this.stateDir)
      this.calls.start()
      this.channels.start()
      this.panel.start()
      await this.#panelOutputs.start()
      // the day's totals and a bundle low at boot, now that MQTT, the alerts and the notifier listen
      this.routing.tick()
      // then the monitors
      this.lines.start()
      this.sip.start()
      this.analog.start()
      this.testCalls.start()
      this.uplinks.start()
      for (const m of this.modems) m.start()
      await this.#checkStorage()
      // today's call figures at once (then each minute), and a day that ended while the box was off
      this.stats.tick(this.clock.now())
      this.#minute = this.clock.setInterval(() => {
        void this.#checkStorage()
        const now = this.clock.now()
        this.lines.tick(now)
        this.channels.tick(now)
        this.silence?.tick(now)
        this.notifier?.tick(now)
        this.stats.tick(now)
        this.routing.tick()
        this.panel.tick()
      }, 60_000)
      if (this.https) {
        const tls = await tlsFiles(this.config, this.stateDir)
        ;(this.web.server as unknown as TlsServer).setSecureContext({ cert: await readFile(tls.cert), key: await readFile(tls.key) })
        this.log.info({ fingerprint: tls.fingerprint, cert: tls.cert }, tls.own ? "HTTPS with the box's own certificate: compare this SHA-256 fingerprint with the browser's" : 'HTTPS with the certificate from http.cert')
      }
      await this.web.listen({ host: this.config.http.host, port: this.config.http.port })
    } catch (err) {
      // a half-started box (say, the HTTP port is taken) must not leave ports and timers behind
      await this.stop()
      throw err
    }
    this.log.info({ http: this.httpUrl, mqtt: this.mqtt.base, stateDir: this.stateDir }, 'linewatch started')
  }

  /** A state folder that went read-only or full is an alert (raised once, cleared when it heals); the box runs on from memory. */
  async #checkStorage(): Promise<void> {
    const problem = await storageProblem(this.stateDir).catch((err: unknown) => errorMessage(err))
    this.store.setAlert(storageAlert(problem, this.config.alerts.language))
  }

  get httpUrl(): string {
    const addr = this.web.server.address() as AddressInfo | null
    if (!addr) return ''
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    return `${this.https ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`
  }

  /**
   * What is stuck, for the systemd watchdog; null when nothing is. A modem poll runs for at most
   * its commands' timeouts: one that runs far longer is a hang no retry in the driver will cure.
   */
  health(now = this.clock.now()): string | null {
    for (const m of this.modems) {
      const limit = Math.max(120_000, 20 * m.config.commandTimeoutMs)
      const ms = m.pollRunningMs(now)
      if (ms > limit) return `modem ${m.id}: poll running for ${Math.round(ms / 1000)} s`
    }
    return null
  }

  /** Resolves once every modem has been initialised or found down. */
  async settled(): Promise<void> {
    await Promise.all(this.modems.map((m) => m.settled()))
  }

  /** The page's update actions, read when asked: the web server is built before the box starts and has a state folder. */
  #updateActions(): NonNullable<WebDeps['update']> {
    const box = this
    return {
      get progress() {
        return box.update?.progress ?? null
      },
      get busy() {
        return box.update?.busy ?? false
      },
      fromUrl: (req) => (box.update ? box.update.fromUrl(req) : Promise.resolve({ ok: false, message: 'the box has not started yet' })),
    }
  }

  /** Stop everything: ports closed, `offline` published (so no last will), timers gone. */
  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    // Each part gets a bounded time: one part that hangs (a serial driver, a broker) must not keep
    // the others from stopping, nor the process from exiting within the 2 s SIGTERM budget.
    const step = async (name: string, fn: () => Promise<unknown> | unknown) => {
      try {
        if (!(await within(Promise.resolve().then(fn), STOP_STEP_MS))) this.log.error({ part: name, ms: STOP_STEP_MS }, 'part did not stop in time; going on')
      } catch (err) {
        this.log.warn({ part: name, err: errorMessage(err) }, 'error while stopping')
      }
    }
    // ports, web and broker are independent: stop them side by side
    await Promise.all([...this.modems.map((m) => step(`modem ${m.id}`, () => m.stop())), step('web', () => this.web.close()), step('mqtt', () => this.mqtt?.stop()), step('uplinks', () => this.uplinks.stop())])
    await step('panel', () => this.#panelOutputs.stop())
    await step('io board', () => this.io.close?.())
    this.#minute?.cancel()
    this.panel.stop()
    this.lines.stop()
    this.sip.stop()
    this.analog.stop()
    this.routes.stop()
    await step('divert', () => this.divert.stop())
    this.calls.stop()
    await step('call records', () => this.stats.stop())
    this.channels.stop()
    await step('silence', () => this.silence?.stop())
    await step('sms notifier', () => this.notifier?.stop())
    await step('site phone', () => this.sitePhone?.stop())
    await step('routing', () => this.routing.stop())
    await step('memory', () => this.#memory?.flush())
    this.testCalls.stop()
    this.update?.stop()
    await step('alerts', () => this.#alerts?.stop())
    // last: whatever the parts said while stopping is on the card
    await step('journal', () => this.#journal?.close())
    this.simulator?.stop()
    this.log.info('linewatch stopped')
  }
}
