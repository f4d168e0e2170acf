import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Low } from 'lowdb'
import { JSONFile } from 'lowdb/node'
import { errorMessage } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { AlertRecord } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { lineAlert, type Language } from './rules.js'

interface AlertFile {
  active: AlertRecord[]
}

/**
 * Raises and clears alerts from part states, and keeps the raised ones on
 * disk (lowdb: write to a temp file, then rename, so a power cut leaves the
 * old or the new file, never half of one). After a reboot an alert raised
 * before it is still known, so its clear is sent when the line comes back.
 */
export class AlertManager {
  readonly #store: StateStore
  readonly #lang: Language
  readonly #log: Logger
  readonly #db: Low<AlertFile>
  readonly #file: string
  #writing: Promise<void> = Promise.resolve()
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line') {
      const a = lineAlert(c.next, this.#lang)
      if (a) this.#store.setAlert(a)
    } else if (c.kind === 'alert') this.#persist()
  }

  constructor(deps: { store: StateStore; language: Language; stateDir: string; log: Logger }) {
    this.#store = deps.store
    this.#lang = deps.language
    this.#log = deps.log.child({ module: 'alerts' })
    this.#file = join(deps.stateDir, 'alerts.json')
    this.#db = new Low<AlertFile>(new JSONFile<AlertFile>(this.#file), { active: [] })
  }

  async start(): Promise<void> {
    try {
      await this.#db.read()
      if (!Array.isArray(this.#db.data?.active)) throw new Error('no "active" list')
    } catch (err) {
      // A damaged file must not stop the box: keep it aside for a person, start empty.
      const aside = `${this.#file}.damaged-${this.#store.clock.now()}`
      this.#log.error({ err: errorMessage(err), file: this.#file, aside }, 'alert file unreadable; starting with no active alerts')
      await rename(this.#file, aside).catch(() => {})
      this.#db.data = { active: [] }
    }
    this.#store.restoreAlerts(this.#db.data.active)
    this.#store.on('change', this.#onChange)
  }

  async stop(): Promise<void> {
    this.#store.off('change', this.#onChange)
    await this.#writing
  }

  /** Writes are chained so they never overlap; the last one carries the newest state. */
  #persist(): void {
    this.#writing = this.#writing.then(async () => {
      this.#db.data = { active: Object.values(this.#store.snapshot.alerts) }
      try {
        await this.#db.write()
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'cannot save alerts')
      }
    })
  }
}
