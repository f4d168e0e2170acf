import { join } from 'node:path'
import { JsonFileState } from '../core/json-file.js'
import type { Logger } from '../core/logger.js'
import type { AlertRecord } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { channelAlert, lineAlert, silenceAlert, simAlert, testCallAlert, wiredUplinksAlert, type Language } from './rules.js'

interface AlertFile {
  active: AlertRecord[]
}

/**
 * Raises and clears alerts from part states, and keeps the raised ones on
 * disk (JsonFileState: atomic, coalesced writes). After a reboot an alert
 * raised before it is still known, so its clear is sent when the line comes back.
 */
export class AlertManager {
  readonly #store: StateStore
  readonly #lang: Language
  readonly #log: Logger
  readonly #file: JsonFileState<AlertFile>
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
      this.#file.data = { active: Object.values(this.#store.snapshot.alerts) }
      void this.#file.save()
    }
  }

  constructor(deps: { store: StateStore; language: Language; stateDir: string; log: Logger }) {
    this.#store = deps.store
    this.#lang = deps.language
    this.#log = deps.log.child({ module: 'alerts' })
    this.#file = new JsonFileState<AlertFile>(join(deps.stateDir, 'alerts.json'), { active: [] }, this.#log)
  }

  async start(): Promise<void> {
    const valid = (d: unknown): d is AlertFile => Array.isArray((d as AlertFile)?.active)
    await this.#file.load(valid, () => ({ active: [] }), this.#store.clock.now())
    this.#store.restoreAlerts(this.#file.data.active)
    this.#store.on('change', this.#onChange)
  }

  async stop(): Promise<void> {
    this.#store.off('change', this.#onChange)
    await this.#file.flushed()
  }
}
