import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import type { Clock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'
import type { StateStore } from '../core/store.js'
import type { BundleCounts } from './bundles.js'
import { DeckLibrary, type DeckStatus } from './decks.js'
import { LcrRouter, type AttemptReport, type RouteAnswer } from './router.js'

interface BundleFile {
  counts: BundleCounts
}

/** An MQTT request id: it becomes a topic level, so no wildcards and no slashes. */
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/

/**
 * Least-cost routing as the box runs it: the rate decks, the bundle counts on
 * disk (they must survive a reboot mid-month), and the router; the same
 * answers over HTTP and MQTT (`<base>/route/request` → `<base>/route/response/<id>`).
 */
export class RoutingService {
  readonly #config: Config
  readonly #log: Logger
  readonly #deps: { store: StateStore; clock: Clock; configDir: string }
  #decks: DeckLibrary | null = null
  #file: JsonFileState<BundleFile> | null = null
  #router: LcrRouter | null = null

  constructor(deps: { config: Config; store: StateStore; clock: Clock; log: Logger; configDir: string }) {
    this.#config = deps.config
    this.#log = deps.log.child({ module: 'routing' })
    this.#deps = deps
  }

  async start(stateDir: string): Promise<void> {
    const now = this.#deps.clock.now()
    this.#file = new JsonFileState<BundleFile>(join(stateDir, 'bundles.json'), { counts: {} }, this.#log)
    const valid = (d: unknown): d is BundleFile => typeof (d as BundleFile)?.counts === 'object' && (d as BundleFile).counts !== null
    await this.#file.load(valid, () => ({ counts: {} }), now)
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
    })
  }

  async stop(): Promise<void> {
    await this.#file?.flushed()
  }

  route(to: string): RouteAnswer {
    return this.#started().route(to)
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

  #started(): LcrRouter {
    if (!this.#router) throw new Error('routing is not started')
    return this.#router
  }
}
