import type { FailoverConfig, UplinkConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { UplinkEvent, UplinkSnapshot } from '../core/state.js'
import type { StateStore } from '../core/store.js'
import { ipMonitorCarrier, type CarrierWatch, type CarrierWatcher } from './carrier.js'
import { chooseUplink, type Candidate } from './choose.js'
import { describeTarget, type ProbeResult, type ProbeTarget, type Prober } from './probes.js'
import type { RouteControl, UplinkRoute } from './routes.js'
import { UplinkTracker } from './tracker.js'

/** Measurements go to the store (and MQTT) this often at most, unless the state or the choice changes. */
const MEASURE_REPORT_MS = 10_000
/** metrics mode: the routes and rules are set again this often, to repair what DHCP or a person changed. */
const REPAIR_MS = 60_000
/** A suspicion round waits this many times the slowest answer in the window, when that is longer than suspectTimeoutMs. */
const SUSPECT_RTT_FACTOR = 4

export interface UplinkMonitorDeps {
  store: StateStore
  uplinks: UplinkConfig[]
  /** watchCarrier as the schema's default (on) when left out */
  failover: Omit<FailoverConfig, 'watchCarrier'> & Partial<Pick<FailoverConfig, 'watchCarrier'>>
  clock: Clock
  log: Logger
  prober: Prober
  /** The interface's IPv4 address now, or null. */
  addressOf: (iface: string) => string | null
  /** null: report mode, the routes are someone else's. */
  routes: RouteControl | null
  /** The traffic moved (the box reconnects MQTT, and saves data on a metered uplink). `from` null: the first choice. */
  onSwitch: (from: string | null, to: UplinkConfig | null) => void
  /**
   * Carrier changes of the interfaces (failover.watchCarrier). Default: `ip monitor link` for real
   * interfaces, nothing for simulated ones (`sim:`); null: none.
   */
  carrier?: CarrierWatcher | null
}

interface Watched {
  cfg: UplinkConfig
  index: number
  preference: number
  tracker: UplinkTracker
  labels: string[]
  timer: Timer | null
  address: string | null
  reportedAt: number
}

/** A probe target from the config as the prober takes it (the schema and the cross-checks guarantee the fields). */
export function probeTarget(t: UplinkConfig['probes']['targets'][number]): ProbeTarget {
  switch (t.type) {
    case 'icmp':
      return { type: 'icmp', host: t.host! }
    case 'tcp':
      return { type: 'tcp', host: t.host!, port: t.port! }
    case 'http':
      return { type: 'http', url: t.url! }
    case 'dns':
      return { type: 'dns', server: t.host!, port: t.port, name: t.name ?? 'example.com' }
  }
}

/**
 * Probes every uplink in rounds (the targets of a round in parallel), tracks
 * each one's health, keeps the traffic on the best one (routes by metric, or
 * only reported), and says so: retained `uplink/<id>` through the store, an
 * `uplink` event on each switch. The dead uplink's connections are flushed
 * after a switch; the box is told, to reconnect MQTT at once.
 */
export class UplinkMonitor {
  readonly #d: UplinkMonitorDeps
  readonly #watched: Watched[]
  readonly #log: Logger
  #active: string | null = null
  #chain: Promise<void> = Promise.resolve()
  #rounds = new Set<Promise<void>>()
  #repair: Timer | null = null
  #carrier: CarrierWatch | null = null
  #startedAt = 0
  #stopped = true

  constructor(deps: UplinkMonitorDeps) {
    this.#d = deps
    this.#log = deps.log.child({ module: 'uplinks' })
    this.#watched = deps.uplinks.map((cfg, index) => ({
      cfg,
      index,
      preference: cfg.preference ?? index + 1,
      tracker: new UplinkTracker(cfg),
      labels: cfg.probes.targets.map((t) => describeTarget(probeTarget(t))),
      timer: null,
      address: null,
      reportedAt: 0,
    }))
  }

  /** Routes to keep: metrics mode and an uplink with a gateway (a box without uplinks runs no `ip` at all). */
  get #routed(): boolean {
    return this.#d.routes !== null && this.#watched.some((w) => w.cfg.gateway)
  }

  /** The uplink carrying the traffic (null before the first choice, or when none ever worked). */
  get active(): string | null {
    return this.#active
  }

  /** Each uplink as the store first shows it: listed, `unknown`. */
  initial(now: number): UplinkSnapshot[] {
    return this.#watched.map((w) => ({
      id: w.cfg.id,
      interface: w.cfg.interface,
      state: 'unknown',
      reason: 'not probed yet',
      since: now,
      ts: now,
      preference: w.preference,
      metered: w.cfg.metered,
      active: false,
      lossPct: null,
      rttMs: null,
      jitterMs: null,
      rFactor: null,
      mos: null,
      probes: [],
      holdDownMs: w.tracker.holdDownMs,
      failbackAt: null,
    }))
  }

  start(): void {
    this.#stopped = false
    this.#startedAt = this.#d.clock.now()
    // every uplink's default route first (none in use yet): a probe bound to an interface finds no way out without one
    for (const w of this.#watched) w.address = this.#d.addressOf(w.cfg.interface)
    if (this.#routed) this.#chain = this.#chain.then(() => this.#applyRoutes()).then(() => undefined)
    void this.#chain.then(() => {
      for (const w of this.#watched) this.#schedule(w, 0)
    })
    if (this.#routed) this.#repair = this.#d.clock.setInterval(() => this.#decide(true), REPAIR_MS)
    this.#watchCarrier()
  }

  #watchCarrier(): void {
    // simulated uplinks have no kernel link to watch
    const real = this.#watched.length > 0 && this.#watched.every((w) => !w.cfg.interface.startsWith('sim:'))
    const watcher = this.#d.carrier === undefined ? (real ? ipMonitorCarrier : null) : this.#d.carrier
    if (this.#d.failover.watchCarrier === false || !watcher) return
    this.#carrier = watcher(
      this.#watched.map((w) => w.cfg.interface),
      (iface, carrier) => {
        if (this.#stopped) return
        for (const w of this.#watched.filter((x) => x.cfg.interface === iface)) {
          if (carrier) {
            this.#log.info({ uplink: w.cfg.id, interface: iface }, 'carrier back')
            continue
          }
          const now = this.#d.clock.now()
          if (!w.tracker.linkDown(now, `${iface} lost its carrier`)) continue
          this.#log.info({ uplink: w.cfg.id, state: w.tracker.state, reason: w.tracker.reason }, 'uplink state')
          this.#report(w, [], now)
          this.#decide(false)
        }
      },
      (why) => this.#log.warn({ err: why }, 'the carrier watch does not work; the probes alone find a dead link'),
    )
  }

  /** Stops probing; waits for the rounds and the route change under way (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const w of this.#watched) w.timer?.cancel()
    this.#repair?.cancel()
    this.#carrier?.stop()
    await Promise.all([...this.#rounds])
    await this.#chain
  }

  #schedule(w: Watched, ms: number): void {
    if (this.#stopped) return
    w.timer = this.#d.clock.setTimeout(() => {
      w.timer = null
      const started = this.#d.clock.now()
      const round = this.#round(w)
        .catch((err) => this.#log.error({ uplink: w.cfg.id, err: errorMessage(err) }, 'probe round failed'))
        .finally(() => {
        this.#rounds.delete(round)
        // a metered uplink not carrying the traffic is probed less often, to save data
        const every = w.cfg.metered && this.#active !== w.cfg.id ? w.cfg.probes.standbyEveryMs : w.cfg.probes.everyMs
        this.#schedule(w, Math.max(0, started + every - this.#d.clock.now()))
      })
      this.#rounds.add(round)
    }, ms)
  }

  /**
   * One round of probes. Suspicion (probes.suspectTimeoutMs): when a working uplink's round has not
   * had enough answers after the short wait, downAfter−1 quick rounds follow back to back while this
   * one still waits out its timeout; each is recorded as it ends. A cut is then down about
   * timeoutMs after the first unanswered probe, not downAfter rounds later, and a false "down"
   * still takes downAfter failed rounds in a row.
   */
  async #round(w: Watched): Promise<void> {
    const address = this.#d.addressOf(w.cfg.interface)
    // a new address (DHCP): its source rule must follow
    const moved = address !== w.address
    w.address = address
    const bind = { interface: w.cfg.interface, address }
    const { timeoutMs, targets } = w.cfg.probes
    const k = w.cfg.probes.failWhen ?? targets.length
    const results: (ProbeResult | null)[] = targets.map(() => null)
    const probes = this.#probeAll(w, bind, timeoutMs, results)
    const shortMs = this.#suspectMs(w)
    let suspicion: Promise<void> | null = null
    let over = false
    const suspect = () => {
      if (suspicion || over || this.#stopped || !w.tracker.working) return
      suspicion = this.#suspect(w, bind, shortMs!)
    }
    // not enough answers after the short wait: k targets failed or still silent
    // (looked at once the answers due by then have run their callbacks: a clock that fires several timers at once)
    const look = () => setImmediate(() => results.filter((r) => !r?.ok).length >= k && suspect())
    const early = shortMs !== null && shortMs < timeoutMs ? this.#d.clock.setTimeout(look, shortMs) : null
    const done = await probes
    early?.cancel()
    if (!this.#stopped) {
      this.#record(w, done, moved)
      if (shortMs !== null && done.filter((r) => !r.ok).length >= k) suspect()
    }
    over = true
    // the round ends with its quick rounds (stop() waits for both)
    if (suspicion) await suspicion
  }

  /** Every target at once; each result also lands in `into` as it comes (for the suspicion's look). */
  #probeAll(w: Watched, bind: { interface: string; address: string | null }, timeoutMs: number, into?: (ProbeResult | null)[]): Promise<ProbeResult[]> {
    return Promise.all(
      w.cfg.probes.targets.map((t, i) =>
        this.#d
          .prober(probeTarget(t), bind, timeoutMs)
          .catch((err): ProbeResult => ({ ok: false, rttMs: null, error: errorMessage(err) }))
          .then((r) => {
            if (into) into[i] = r
            return r
          }),
      ),
    )
  }

  /** The suspicion rounds' timeout: suspectTimeoutMs, or a few times the slowest answer if longer, at most timeoutMs; null: off. */
  #suspectMs(w: Watched): number | null {
    const { suspectTimeoutMs, timeoutMs } = w.cfg.probes
    if (!suspectTimeoutMs || w.cfg.thresholds.downAfter < 2) return null
    return Math.min(timeoutMs, Math.max(suspectTimeoutMs, Math.ceil(SUSPECT_RTT_FACTOR * (w.tracker.slowestRttMs ?? 0))))
  }

  /** Quick rounds back to back until one passes, the uplink is down, or downAfter−1 were run. */
  async #suspect(w: Watched, bind: { interface: string; address: string | null }, ms: number): Promise<void> {
    const k = w.cfg.probes.failWhen ?? w.cfg.probes.targets.length
    for (let i = 1; i < w.cfg.thresholds.downAfter; i++) {
      const results = await this.#probeAll(w, bind, ms)
      if (this.#stopped) return
      this.#record(w, results, false, true)
      if (results.filter((r) => !r.ok).length < k || !w.tracker.working) return
    }
  }

  #record(w: Watched, results: ProbeResult[], moved: boolean, quick = false): void {
    const now = this.#d.clock.now()
    const changed = w.tracker.record(results, w.labels, now, quick)
    if (changed) this.#log.info({ uplink: w.cfg.id, state: w.tracker.state, reason: w.tracker.reason }, 'uplink state')
    if (changed || now - w.reportedAt >= MEASURE_REPORT_MS) this.#report(w, results, now)
    this.#decide(moved)
  }

  #report(w: Watched, results: ProbeResult[], now: number): void {
    const t = w.tracker
    const s = t.stats
    w.reportedAt = now
    this.#d.store.update('uplink', w.cfg.id, {
      state: t.state,
      reason: t.reason,
      lossPct: s.lossPct,
      rttMs: s.rttMs,
      jitterMs: s.jitterMs,
      rFactor: s.rFactor,
      mos: s.mos,
      // none: the carrier said it, not a round (the last round's probes stay as they were)
      ...(results.length ? { probes: results.map((r, i) => ({ target: w.labels[i]!, ok: r.ok, rttMs: r.rttMs, ...(r.error ? { error: r.error } : {}) })) } : {}),
      holdDownMs: t.holdDownMs,
      failbackAt: t.failbackAt,
    })
  }

  /** Decisions one at a time: route commands must not interleave. */
  #decide(repair: boolean): void {
    this.#chain = this.#chain.then(() => this.#decideNow(repair)).catch((err) => this.#log.error({ err: errorMessage(err) }, 'uplink decision failed'))
  }

  async #decideNow(repair: boolean): Promise<void> {
    if (this.#stopped) return
    const now = this.#d.clock.now()
    // at start, give every wired uplink the time to say whether it works before choosing
    const grace = Math.max(...this.#watched.map((w) => (w.cfg.thresholds.downAfter + 1) * w.cfg.probes.everyMs))
    if (this.#active === null && now - this.#startedAt < grace && this.#watched.some((w) => !w.cfg.metered && w.tracker.state === 'unknown')) return
    const candidates: Candidate[] = this.#watched.map((w) => ({ id: w.cfg.id, preference: w.preference, metered: w.cfg.metered, state: w.tracker.state, failbackAt: w.tracker.failbackAt }))
    const choice = chooseUplink(candidates, this.#active, now)
    const from = this.#active
    if (choice.id === from) {
      if (repair && this.#routed) await this.#applyRoutes()
      return
    }
    this.#active = choice.id
    for (const w of this.#watched) this.#d.store.update('uplink', w.cfg.id, { active: w.cfg.id === choice.id })
    const event: Omit<UplinkEvent, 'ts'> = { type: 'uplink', from, to: choice.id, reason: choice.reason, routes: 'reported', conntrack: null, detail: '' }
    if (this.#routed) {
      const failed = await this.#applyRoutes()
      if (this.#stopped) return
      event.routes = failed ? 'failed' : 'set'
      event.detail = failed ?? ''
      const old = this.#watched.find((w) => w.cfg.id === from)
      // only a dead uplink's connections: after a fail-back the old one still carries its flows well
      if (!failed && old?.address && old.tracker.state === 'down' && this.#d.failover.flushConntrack) {
        const r = await this.#d.routes!.flushConntrack(old.address)
        event.conntrack = 'deleted' in r ? `${r.deleted} entries of ${old.address} deleted` : r.skipped
      }
    }
    const said = { from, to: choice.id, reason: choice.reason, routes: event.routes, detail: event.detail }
    if (from === null) this.#log.info(said, 'uplink chosen')
    else this.#log.warn(said, 'traffic moved to another uplink')
    this.#d.store.recordEvent(event)
    // a metered uplink now in use is probed at its normal pace from now, not after its standby wait
    const next = this.#watched.find((w) => w.cfg.id === choice.id)
    if (next?.cfg.metered && next.timer) {
      next.timer.cancel()
      this.#schedule(next, 0)
    }
    this.#d.onSwitch(from, this.#watched.find((w) => w.cfg.id === choice.id)?.cfg ?? null)
  }

  /** The routes as they should be; an error's text when iproute2 refused (tried again at the next repair). */
  async #applyRoutes(): Promise<string | null> {
    const { metric, table } = this.#d.failover
    const routes: UplinkRoute[] = this.#watched.flatMap((w) =>
      w.cfg.gateway
        ? [{ id: w.cfg.id, interface: w.cfg.interface, gateway: w.cfg.gateway, metric: w.cfg.id === this.#active ? metric : metric + 100 + w.index, table: table + w.index, address: w.address }]
        : [],
    )
    try {
      await this.#d.routes!.apply(routes)
      return null
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'setting the routes failed')
      return errorMessage(err)
    }
  }
}
