import type { PanelConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import type { PanelSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { bandAt } from '../lcr/bands.js'
import { buzzerLook, lampLook, summaryLook } from './patterns.js'

const RENDERED_BY = new Set<StoreChange['kind']>(['line', 'modem', 'uplink', 'alert'])

/**
 * Decides what the panel shows and puts it in the store (`panel`): the
 * physical outputs, retained MQTT `<base>/panel` and the web page all take
 * it from there, so they cannot disagree.
 */
export class PanelController {
  readonly #store: StateStore
  readonly #cfg: PanelConfig
  readonly #clock: Clock
  readonly #timeZone: string
  readonly #configError: boolean
  readonly #silenced = new Set<string>()
  readonly #outputs: PanelSnapshot['outputs'] = {}
  #test: PanelSnapshot['test'] = null
  #testTimer: Timer | null = null
  #started = false
  readonly #onChange = (c: StoreChange) => {
    if (RENDERED_BY.has(c.kind)) this.#render()
  }

  constructor(deps: { store: StateStore; config: PanelConfig; clock: Clock; timeZone: string; configError?: boolean }) {
    this.#store = deps.store
    this.#cfg = deps.config
    this.#clock = deps.clock
    this.#timeZone = deps.timeZone
    this.#configError = deps.configError ?? false
  }

  /** Starts showing the state, with the lamp test first (panel.lampTestMs). */
  start(): void {
    this.#started = true
    this.#store.on('change', this.#onChange)
    if (this.#cfg.lampTestMs > 0) this.lampTest()
    else this.#render()
  }

  stop(): void {
    this.#started = false
    this.#store.off('change', this.#onChange)
    this.#testTimer?.cancel()
    this.#testTimer = null
  }

  /** Quiet hours begin and end with the time, not with a change: the box calls this every minute. */
  tick(): void {
    if (this.#started) this.#render()
  }

  /** The silence button: mute the buzzer for the alerts raised now. */
  silence(): void {
    for (const id of Object.keys(this.#store.snapshot.alerts)) this.#silenced.add(id)
    this.#render()
  }

  /** Every lamp lit for `ms` (and a short beep), then back to the state. */
  lampTest(ms = this.#cfg.lampTestMs || 1000): void {
    const now = this.#clock.now()
    this.#test = { since: now, until: now + ms }
    this.#testTimer?.cancel()
    this.#testTimer = this.#clock.setTimeout(() => {
      this.#test = null
      this.#testTimer = null
      this.#render()
    }, ms)
    this.#render()
  }

  /** An output (the IO board, a stack light) reports whether it works. */
  setOutput(id: string, ok: boolean, error?: string): void {
    const shows = id === 'modbus' ? { shows: this.#cfg.modbus?.shows } : {}
    this.#outputs[id] = ok ? { ok, ...shows } : { ok, error: error ?? 'failed', ...shows }
    if (this.#started) this.#render()
  }

  #render(): void {
    const snap = this.#store.snapshot
    const alerts = Object.values(snap.alerts)
    // an alert that cleared and is raised again is a new fault: forget that it was silenced
    for (const id of this.#silenced) if (!snap.alerts[id]) this.#silenced.delete(id)
    const quietHours = bandAt(this.#cfg.quietHours.map((w) => ({ ...w, name: 'quiet' })), this.#clock.now(), this.#timeZone) !== null
    this.#store.setPanel({
      lamps: this.#cfg.lamps.map((lamp) => ({ id: lamp.id, source: lamp.source, ...lampLook(lamp, snap, this.#configError) })),
      summary: summaryLook(snap),
      // an acknowledged alert is known to a person: it no longer sounds either
      buzzer: buzzerLook(this.#cfg.buzzer, { alerts, silenced: new Set([...this.#silenced, ...alerts.filter((a) => a.acknowledged).map((a) => a.id)]), quietHours }),
      test: this.#test,
      outputs: { ...this.#outputs },
    })
  }
}
