import type { PanelConfig } from '../config/schema.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { faults, panelView } from './patterns.js'

/**
 * Renders the panel from the store into the store (`panel`), so the lamps,
 * retained MQTT `<base>/panel` and the web page all show the same thing.
 */
export class PanelController {
  readonly #store: StateStore
  readonly #cfg: PanelConfig
  readonly #silenced = new Set<string>()
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line' || c.kind === 'modem' || c.kind === 'uplink') this.#render()
  }

  constructor(store: StateStore, cfg: PanelConfig) {
    this.#store = store
    this.#cfg = cfg
  }

  start(): void {
    this.#store.on('change', this.#onChange)
    this.#render()
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
  }

  /** The silence button: mute the buzzer for the faults present now. */
  silence(): void {
    for (const f of faults(this.#store.snapshot)) this.#silenced.add(f)
    this.#render()
  }

  #render(): void {
    const now = new Set(faults(this.#store.snapshot))
    // a fault that went away and comes back is a new fault
    for (const f of this.#silenced) if (!now.has(f)) this.#silenced.delete(f)
    this.#store.setPanel(panelView(this.#store.snapshot, this.#cfg, this.#silenced))
  }
}
