import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'
import type { StateStore } from '../core/store.js'
import { bundleAlert } from '../alerts/rules.js'
import type { RoutedCallRecord, RoutingStats } from '../core/state.js'
import { bundleSeconds, localDay, migrateCounts, pools, secondsLeft, type BundleCounts } from './bundles.js'
import { DeckLibrary, type DeckStatus } from './decks.js'
import { LcrRouter, type AttemptReport, type RouteAnswer, type RouterMemory } from './router.js'
import type { Remembering } from '../core/box-memory.js'

type Totals = RoutingStats['total']

interface RoutingFile {
  counts: BundleCounts
  /** Today's routed calls per path (site day), so a reboot does not zero the day's figures. */
  today: { day: string; paths: Record<string, Totals> }
}

const zero = (): Totals => ({ attempts: 0, answered: 0, seconds: 0, cost: 0 })
const round6 = (x: number) => Math.round(x * 1e6) / 1e6

/** An MQTT request id: it becomes a topic level, so no wildcards and no slashes. */
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/

/**
 * Least-cost routing as the box runs it: the rate decks, the bundle counts and
 * the day's totals on disk (they must survive a reboot mid-month), and the
 * router; the same answers over HTTP and MQTT (`<base>/route/request` →
 * `<base>/route/response/<id>`). Each reported attempt goes out priced on
 * `<base>/call`, the day's totals on `<base>/stats`, and a bundle nearly used
 * up raises an alert.
 */
export class RoutingService implements Remembering<RouterMemory> {
  readonly #config: Config
  readonly #log: Logger
  readonly #deps: { store: StateStore; clock: Clock; configDir: string }
  #decks: DeckLibrary | null = null
  #file: JsonFileState<RoutingFile> | null = null
  #router: LcrRouter | null = null

  constructor(deps: { config: Config; store: StateStore; clock: Clock; log: Logger; configDir: string }) {
    this.#config = deps.config
    this.#log = deps.log.child({ module: 'routing' })
    this.#deps = deps
  }

  async start(stateDir: string): Promise<void> {
    const now = this.#deps.clock.now()
    const empty = (): RoutingFile => ({ counts: {}, today: { day: '', paths: {} } })
    this.#file = new JsonFileState<RoutingFile>(join(stateDir, 'routing.json'), empty(), this.#log)
    const valid = (d: unknown): d is RoutingFile => typeof (d as RoutingFile)?.counts === 'object' && (d as RoutingFile).counts !== null && typeof (d as RoutingFile).today?.paths === 'object'
    await this.#file.load(valid, empty, now)
    // a file from before bundles were per path: each path of a plan starts from the plan's count
    if (migrateCounts(this.#file.data.counts, this.#config.routing.plans, this.#config.routing.paths)) {
      this.#log.info('bundle minutes counted per path now: each path of a plan starts from the count the plan had')
      void this.#file.save()
    }
    this.#decks = new DeckLibrary({ plans: this.#config.routing.plans, configDir: this.#deps.configDir, stateDir, log: this.#log })
    await this.#decks.loadAll(now)
    const file = this.#file
    this.#router = new LcrRouter({
      config: this.#config.routing,
      numbering: this.#config.numbering,
      lines: this.#config.lines,
      store: this.#deps.store,
      clock: this.#deps.clock,
      timeZone: this.#config.timezone,
      deck: (plan) => this.#decks?.get(plan) ?? null,
      counts: file.data.counts,
      changed: () => void file.save(),
      onAttempt: (r) => this.#attempt(r),
    })
  }

  /** Each minute (and once the broker and alerts listen, at start): a new site day starts the totals again; a new bundle period clears its alert. */
  tick(): void {
    if (!this.#router || !this.#file || !this.#config.routing.paths.length) return
    const day = localDay(this.#deps.clock.now(), this.#config.timezone)
    if (this.#file.data.today.day !== day) {
      this.#file.data.today = { day, paths: {} }
      void this.#file.save()
      this.#publish()
    }
    this.#checkBundles()
  }

  #attempt(r: Omit<RoutedCallRecord, 'ts'>): void {
    this.#deps.store.recordRouted(r)
    const file = this.#file!
    const day = localDay(this.#deps.clock.now(), this.#config.timezone)
    if (file.data.today.day !== day) file.data.today = { day, paths: {} }
    const t = (file.data.today.paths[r.path] ??= zero())
    t.attempts++
    if (r.outcome === 'answered') t.answered++
    t.seconds += r.seconds
    t.cost = round6(t.cost + r.cost)
    void file.save()
    this.#publish()
    this.#checkBundles()
  }

  /** `<base>/stats`: today's totals per path and in all, and the bundles' minutes left. */
  #publish(): void {
    const { day, paths } = this.#file!.data.today
    const total = zero()
    for (const t of Object.values(paths)) {
      total.attempts += t.attempts
      total.answered += t.answered
      total.seconds += t.seconds
      total.cost = round6(total.cost + t.cost)
    }
    this.#deps.store.setStats({ day, currency: this.#config.routing.plans[0]?.currency ?? null, paths, total, bundles: this.#router!.status().bundles })
  }

  #checkBundles(): void {
    const now = this.#deps.clock.now()
    for (const pool of pools(this.#config.routing.plans, this.#config.routing.paths)) {
      const left = secondsLeft(pool.key, pool.bundle, this.#file!.data.counts, now, this.#config.timezone)
      const alert = bundleAlert(pool.plan, pool.bundle.id, pool.path, left, bundleSeconds(pool.bundle), this.#config.alerts.language)
      if (alert) this.#deps.store.setAlert(alert)
    }
  }

  async stop(): Promise<void> {
    await this.#file?.flushed()
  }

  // the router's breakers, learnt durations and report ids outlive a restart (BoxMemory, after start)
  remember(): RouterMemory {
    return this.#started().remember()
  }

  recall(saved: RouterMemory): void {
    this.#started().recall(saved)
  }

  set memoryChanged(fn: () => void) {
    this.#started().memoryChanged = fn
  }

  /** `peek`: a look (the CLI), not a call: it does not take a half-open path's one trial. */
  route(to: string, peek = false): RouteAnswer {
    return this.#started().route(to, peek)
  }

  report(r: AttemptReport): string | null {
    return this.#started().report(r)
  }

  status(): { decks: DeckStatus[] } & ReturnType<LcrRouter['status']> {
    return { decks: this.#decks?.status ?? [], ...this.#started().status() }
  }

  /** Import the decks again (after a new file was put in place); each keeps its last good deck when the new one is bad. */
  async reload(): Promise<DeckStatus[]> {
    return (await this.#decks?.loadAll(this.#deps.clock.now())) ?? []
  }

  /** `{"id": "…", "to": "…"}` on `<base>/route/request`: the answer, or `{ok:false, reason}`, for `route/response/<id>`. */
  answer(payload: Buffer): { topic: string; body: unknown } | null {
    let req: { id?: unknown; to?: unknown }
    try {
      req = JSON.parse(payload.toString()) as { id?: unknown; to?: unknown }
    } catch (err) {
      this.#log.warn({ err: errorMessage(err) }, 'route request is not JSON; ignored')
      return null
    }
    if (typeof req?.id !== 'string' || !REQUEST_ID.test(req.id)) {
      this.#log.warn({ id: req?.id }, 'route request without a usable id (letters, digits, _ . : -, at most 64); ignored')
      return null
    }
    const body = typeof req.to === 'string' ? this.route(req.to) : { ok: false, to: null, reason: '"to" must be the number dialled, as a string' }
    return { topic: `route/response/${req.id}`, body }
  }

  /** Whether start() has built the router (status() and the rest answer only then). */
  get started(): boolean {
    return this.#router !== null
  }

  #started(): LcrRouter {
    if (!this.#router) throw new Error('routing is not started')
    return this.#router
  }
}
