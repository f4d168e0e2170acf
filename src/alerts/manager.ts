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
}
