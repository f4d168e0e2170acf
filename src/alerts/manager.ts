import type { Journal } from '../core/journal.js'
import type { Logger } from '../core/logger.js'
import type { AlertRecord } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { channelAlert, lineAlert, silenceAlert, simAlert, testCallAlert, wiredUplinksAlert, type Language } from './rules.js'

/** One line of the alerts' history in the journal: the raised alerts after a change. */
interface AlertsRecord {
  active: AlertRecord[]
}

/**
 * Raises and clears alerts from part states, and keeps the raised ones in the
 * journal, in the same write as the alert's outbox entry and its event. After
 * a reboot an alert raised before it is still known, so its clear is sent
 * when the line comes back.
 */
export class AlertManager {
  readonly #store: StateStore
  readonly #lang: Language
  readonly #log: Logger
  readonly #journal: Journal
  #write: ((r: AlertsRecord) => Promise<void>) | null = null
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line' || c.kind === 'modem') {
      const alerts = c.kind === 'line' ? [lineAlert(c.next, this.#lang), silenceAlert(c.next, this.#lang), testCallAlert(c.next, this.#lang), channelAlert(c.next, this.#lang)] : [simAlert(c.next, this.#lang)]
      for (const a of alerts) if (a) this.#store.setAlert(a)
    } else if (c.kind === 'uplink') {
      // only a change of state can raise or clear it; the raise is said once (setAlert keeps a raised one as it is)
      if (c.prev?.state === c.next.state) return
      const a = wiredUplinksAlert(Object.values(this.#store.snapshot.uplinks), this.#lang)
      if (a) this.#store.setAlert(a)
    } else if (c.kind === 'alert') {
      void this.#write?.({ active: Object.values(this.#store.snapshot.alerts) })
    }
  }

  constructor(deps: { store: StateStore; language: Language; journal: Journal; log: Logger }) {
    this.#store = deps.store
    this.#lang = deps.language
    this.#log = deps.log.child({ module: 'alerts' })
    this.#journal = deps.journal
  }

  start(): void {
    let active: AlertRecord[] = []
    this.#write = this.#journal.section('alerts', {
      replay: (records) => {
        const last = records.at(-1) as AlertsRecord | undefined
        if (Array.isArray(last?.active)) active = last.active
      },
      live: () => [{ active: Object.values(this.#store.snapshot.alerts) }],
    })
    this.#store.restoreAlerts(active)
    this.#store.on('change', this.#onChange)
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
  }

  /** A person knows of this alert (the office's alert-ack): it stays raised until its cause is gone, without the buzzer. */
  acknowledge(id: string, by: string | null): { ok: boolean; message: string; data?: AlertRecord } {
    const alert = this.#store.acknowledgeAlert(id, by)
    if (!alert) return { ok: false, message: this.#notRaised(id) }
    this.#log.info({ alert: id, by }, 'alert acknowledged')
    return { ok: true, message: `alert ${id} acknowledged`, data: alert }
  }

  /**
   * Clear an alert by hand. Refused while the rules would raise it again from
   * the parts as they are now: clearing it would only hide a fault. An alert
   * whose part left the config (kept across the restart) is what this is for.
   */
  clear(id: string): { ok: boolean; message: string } {
    const alert = this.#store.snapshot.alerts[id]
    if (!alert) return { ok: false, message: this.#notRaised(id) }
    if (this.#raisedNow().has(id)) return { ok: false, message: `alert ${id}: its cause is still there (${alert.message}); it clears by itself when that is gone: acknowledge it instead (alert-ack)` }
    this.#store.setAlert({ id, severity: alert.severity, source: alert.source, state: 'cleared', message: this.#lang === 'ru' ? 'снято вручную из офиса' : 'cleared by hand from the office' })
    this.#log.info({ alert: id }, 'alert cleared by hand')
    return { ok: true, message: `alert ${id} cleared` }
  }

  #notRaised(id: string): string {
    const raised = Object.keys(this.#store.snapshot.alerts)
    return `no raised alert "${id}" (raised: ${raised.join(', ') || 'none'})`
  }

  /** The ids the part rules raise from the snapshot as it is. */
  #raisedNow(): Set<string> {
    const snap = this.#store.snapshot
    const lines = Object.values(snap.lines).flatMap((l) => [lineAlert(l, this.#lang), silenceAlert(l, this.#lang), testCallAlert(l, this.#lang), channelAlert(l, this.#lang)])
    const all = [...lines, ...Object.values(snap.modems).map((m) => simAlert(m, this.#lang)), wiredUplinksAlert(Object.values(snap.uplinks), this.#lang)]
    return new Set(all.filter((a) => a?.state === 'raised').map((a) => a!.id))
  }
}
