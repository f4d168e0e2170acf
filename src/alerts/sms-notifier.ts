import { join } from 'node:path'
import type { AlertsConfig } from '../config/schema.js'
import { Backoff } from '../core/backoff.js'
import type { Clock, Timer } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'
import type { AlertRecord } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'

type Contact = AlertsConfig['contacts'][number]

interface Pending {
  alert: string
  to: string
  name: string
  role: string
  text: string
  at: number
}

interface NotifyFile {
  /** SMS waiting to go out: kept across a restart, so a power cut does not lose them. */
  queue: Pending[]
  /** Alerts whose raise went out by SMS: their clear goes too. */
  told: string[]
}

/** A message not out after a day is about a fault long over or long known: dropped, with an event. */
const EXPIRE_MS = 86_400_000
const HOUR_MS = 3_600_000

export interface SmsNotifierDeps {
  store: StateStore
  config: AlertsConfig
  site: string
  /** Whether the broker is reachable now (MQTT connected). */
  online: () => boolean
  send: (modem: string, to: string, text: string) => Promise<unknown>
  clock: Clock
  stateDir: string
  log: Logger
}

/**
 * Alerts to the contacts by SMS through the gateway. Over MQTT every alert
 * goes anyway; by SMS when `alerts.sms.always`, and in any case while the
 * broker has been out of reach for `offlineSeconds` (the internet is down, so
 * SMS is the only way out). A raise is sent once per alert; its clear only if
 * the raise was. Each contact gets at most `maxPerHour`; the rest are counted
 * and said in the next one. Messages wait in a queue on disk and go through
 * the first modem that is up (in `alerts.sms.modems` order), retried with
 * back-off, so none is lost to a dead modem or a reboot.
 */
export class SmsNotifier {
  readonly #d: SmsNotifierDeps
  readonly #file: JsonFileState<NotifyFile>
  readonly #sent = new Map<string, number[]>()
  readonly #suppressed = new Map<string, number>()
  readonly #retry = new Backoff(60_000, 900_000)
  #offlineSince: number | null = null
  #timer: Timer | null = null
  #sending = false
  #stopped = false
  readonly #onChange = (c: StoreChange) => {
    // an acknowledgement changes the record, not the alert's state: nobody is told twice
    if (c.kind === 'alert' && c.prev?.state !== c.next.state) this.#consider(c.next)
    // a modem back up: whatever waits goes now, not at the end of a back-off grown while none was
    else if (c.kind === 'modem' && c.next.state === 'up' && c.prev?.state !== 'up' && this.queued > 0) this.#retryNow()
  }

  constructor(deps: SmsNotifierDeps) {
    this.#d = deps
    this.#file = new JsonFileState<NotifyFile>(join(deps.stateDir, 'sms-queue.json'), { queue: [], told: [] }, deps.log.child({ module: 'sms-notify' }))
  }

  get queued(): number {
    return this.#file.data.queue.length
  }

  async start(): Promise<void> {
    const valid = (d: unknown): d is NotifyFile => Array.isArray((d as NotifyFile)?.queue) && Array.isArray((d as NotifyFile)?.told)
    await this.#file.load(valid, () => ({ queue: [], told: [] }), this.#d.clock.now())
    this.#d.store.on('change', this.#onChange)
    this.#kick(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#d.store.off('change', this.#onChange)
    this.#timer?.cancel()
    await this.#file.flushed()
  }

  /** Time moves (every minute): notice the internet going down, and tell of alerts raised before it did. */
  tick(now: number): void {
    if (this.#d.online()) this.#offlineSince = null
    else this.#offlineSince ??= now
    if (this.#internetDown(now)) for (const a of Object.values(this.#d.store.snapshot.alerts)) this.#consider(a)
  }

  #internetDown(now: number): boolean {
    return this.#offlineSince !== null && now - this.#offlineSince >= this.#d.config.sms.offlineSeconds * 1000
  }

  #consider(alert: AlertRecord): void {
    const told = this.#file.data.told
    const now = this.#d.clock.now()
    if (alert.state === 'raised') {
      if (told.includes(alert.id) || !(this.#d.config.sms.always || alert.sms || this.#internetDown(now))) return
      told.push(alert.id)
    } else {
      if (!told.includes(alert.id)) return
      told.splice(told.indexOf(alert.id), 1)
    }
    for (const c of this.#recipients()) this.#file.data.queue.push({ alert: alert.id, to: c.phone!, name: c.name, role: c.role, text: `[${this.#d.site}] ${alert.message}`, at: now })
    void this.#file.save()
    this.#retryNow()
  }

  /** New news, or a modem back: try at once, with the back-off from the start. */
  #retryNow(): void {
    this.#retry.reset()
    this.#timer?.cancel()
    this.#timer = null
    this.#kick(0)
  }

  #recipients(): Contact[] {
    return this.#d.config.contacts.filter((c) => c.phone && this.#d.config.sms.roles.includes(c.role))
  }

  #kick(ms: number): void {
    if (this.#timer || this.#sending || this.#stopped) return
    this.#timer = this.#d.clock.setTimeout(() => {
      this.#timer = null
      void this.#drain()
    }, ms)
  }

  /** Modems that may send now, in the configured order. */
  #modems(): string[] {
    const up = Object.values(this.#d.store.snapshot.modems).filter((m) => m.state === 'up').map((m) => m.id)
    const order = this.#d.config.sms.modems
    return order.length ? order.filter((id) => up.includes(id)) : up
  }

  async #drain(): Promise<void> {
    this.#sending = true
    let retryIn: number | null = null
    try {
      const queue = this.#file.data.queue
      while (queue.length > 0) {
        const m = queue[0]!
        const now = this.#d.clock.now()
        if (now - m.at > EXPIRE_MS) {
          queue.shift()
          this.#event(m, 'expired', 'not sent within a day')
          continue
        }
        const recent = (this.#sent.get(m.to) ?? []).filter((t) => now - t < HOUR_MS)
        this.#sent.set(m.to, recent)
        if (recent.length >= this.#d.config.sms.maxPerHour) {
          queue.shift()
          this.#suppressed.set(m.to, (this.#suppressed.get(m.to) ?? 0) + 1)
          this.#event(m, 'suppressed', `more than ${this.#d.config.sms.maxPerHour} SMS an hour`)
          continue
        }
        const more = this.#suppressed.get(m.to) ?? 0
        const text = more ? `${m.text} (+${more} more, see MQTT)` : m.text
        if (!(await this.#sendVia(m, text))) {
          retryIn = this.#retry.next()
          return
        }
        this.#retry.reset()
        this.#suppressed.delete(m.to)
        recent.push(this.#d.clock.now())
        queue.shift()
        // saved at once: a power cut now must not send it again after the reboot
        void this.#file.save()
      }
    } finally {
      this.#sending = false
      void this.#file.save()
      if (retryIn !== null) this.#kick(retryIn)
    }
  }

  /** Try each modem that is up; true once one took the message. */
  async #sendVia(m: Pending, text: string): Promise<boolean> {
    const modems = this.#modems()
    let last = 'no modem is up'
    for (const modem of modems) {
      try {
        await this.#d.send(modem, m.to, text)
        this.#event(m, 'sent', `via ${modem}`)
        return true
      } catch (err) {
        last = `${modem}: ${errorMessage(err)}`
        this.#d.log.warn({ modem, to: m.name, err: last }, 'alert SMS failed')
      }
    }
    this.#event(m, 'failed', `${last}; retrying`)
    return false
  }

  #event(m: Pending, state: 'sent' | 'failed' | 'suppressed' | 'expired', detail: string): void {
    this.#d.store.recordEvent({ type: 'notify', alert: m.alert, channel: 'sms', to: m.name, role: m.role, state, detail })
  }
}
