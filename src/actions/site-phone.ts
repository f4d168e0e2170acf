import { join } from 'node:path'
import type { LineConfig } from '../config/schema.js'
import { Backoff } from '../core/backoff.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'
import type { LineSnapshot, PartState, SitePhone } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'

/** Working lines first: up, then not known yet, then degraded, then down. */
const ORDER: Record<PartState, number> = { up: 0, unknown: 1, degraded: 2, down: 3 }
const WEBHOOK_TIMEOUT_MS = 10_000

/** The site's numbers from its lines' states: the first number of the first working line first. Pure. */
export function sitePhone(lines: LineConfig[], states: Record<string, LineSnapshot | undefined>): Omit<SitePhone, 'ts'> {
  const rows = lines
    .filter((l) => l.numbers.length > 0)
    .map((l, i) => ({ id: l.id, state: states[l.id]?.state ?? ('unknown' as PartState), numbers: l.numbers, i }))
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.i - b.i)
  const working = rows.find((r) => r.state === 'up')
  return { primary: working?.numbers[0] ?? null, numbers: rows.flatMap((r) => r.numbers), lines: rows.map(({ id, state, numbers }) => ({ id, state, numbers })) }
}

interface WebhookFile {
  /** The last state the site acknowledged (a 2xx); what is wanted is the store's. */
  acknowledged: Omit<SitePhone, 'ts'> | null
}

/**
 * The number swap on the store's web site. The store's `sitePhone` follows the
 * lines (retained `<base>/site/phone`); with a webhook configured, each change
 * is POSTed to it as JSON and retried with back-off (5 s to 5 min) until the
 * site answers 2xx, always with the latest state. What the site acknowledged
 * is kept on disk, so after a reboot an unacknowledged change is sent again.
 */
export class SitePhoneAction {
  readonly #store: StateStore
  readonly #lines: LineConfig[]
  readonly #webhook: { url: string; token?: string } | null
  readonly #clock: Clock
  readonly #log: Logger
  readonly #file: JsonFileState<WebhookFile>
  readonly #backoff = new Backoff(5_000, 300_000)
  #timer: Timer | null = null
  #busy = false
  #stopped = false
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line') this.#store.setSitePhone(sitePhone(this.#lines, this.#store.snapshot.lines))
    else if (c.kind === 'site') this.#schedule(0)
  }

  constructor(deps: { store: StateStore; lines: LineConfig[]; webhook?: { url: string; token?: string } | undefined; clock: Clock; stateDir: string; log: Logger }) {
    this.#store = deps.store
    this.#lines = deps.lines
    this.#webhook = deps.webhook ?? null
    this.#clock = deps.clock
    this.#log = deps.log.child({ module: 'site-phone' })
    this.#file = new JsonFileState<WebhookFile>(join(deps.stateDir, 'site-phone.json'), { acknowledged: null }, this.#log)
  }

  async start(): Promise<void> {
    await this.#file.load((d): d is WebhookFile => !!d && typeof d === 'object' && 'acknowledged' in d, () => ({ acknowledged: null }), this.#clock.now())
    this.#store.on('change', this.#onChange)
    this.#store.setSitePhone(sitePhone(this.#lines, this.#store.snapshot.lines))
    this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#store.off('change', this.#onChange)
    this.#timer?.cancel()
    await this.#file.flushed()
  }

  #schedule(ms: number): void {
    if (!this.#webhook || this.#stopped || this.#busy || this.#timer) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null
      void this.#deliver()
    }, ms)
  }

  async #deliver(): Promise<void> {
    const want = this.#store.snapshot.sitePhone
    // at boot every line is unknown for a few seconds: that is no news for the site (it would lose its number)
    if (!want || !this.#webhook || want.lines.every((l) => l.state === 'unknown')) return
    const { ts: _ts, ...body } = want
    if (JSON.stringify(body) === JSON.stringify(this.#file.data.acknowledged)) return
    this.#busy = true
    let retry = false
    try {
      const res = await fetch(this.#webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#webhook.token ? { authorization: `Bearer ${this.#webhook.token}` } : {}) },
        body: JSON.stringify(want),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      this.#file.data = { acknowledged: body }
      void this.#file.save()
      this.#backoff.reset()
      this.#store.recordEvent({ type: 'site-phone', primary: want.primary, state: 'sent', detail: `acknowledged (HTTP ${res.status})` })
    } catch (err) {
      retry = true
      this.#log.warn({ err: errorMessage(err) }, 'site webhook failed; retrying')
      this.#store.recordEvent({ type: 'site-phone', primary: want.primary, state: 'failed', detail: `${errorMessage(err)}; retrying` })
    } finally {
      this.#busy = false
    }
    // a change while this one was on its way goes next; a failure waits its back-off
    this.#schedule(retry ? this.#backoff.next() : 0)
  }
}
