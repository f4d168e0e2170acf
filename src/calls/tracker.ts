import type { LineConfig } from '../config/schema.js'
import type { ModemSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'

/**
 * Turns a modem's ringing into call records: one when the call starts ringing
 * (again when the caller ID arrives just after the RING), one when it ends.
 * They go to the store's recent calls, hence to `<base>/call` (QoS 1), the
 * event stream and GET /api/v1/calls, so the call-handling software gets the
 * caller's number while the phone still rings.
 */
export class CallTracker {
  readonly #store: StateStore
  readonly #lineOf = new Map<string, string>()
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'modem') this.#fromModem(c.prev, c.next)
  }

  constructor(store: StateStore, lines: LineConfig[]) {
    this.#store = store
    for (const l of lines) if (l.modem) this.#lineOf.set(l.modem, l.id)
  }

  start(): void {
    this.#store.on('change', this.#onChange)
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
  }

  #fromModem(prev: ModemSnapshot | undefined, next: ModemSnapshot): void {
    const base = { direction: 'in' as const, line: this.#lineOf.get(next.id) ?? null, modem: next.id }
    const now = next.ringing
    const before = prev?.ringing
    if (now && (before?.at !== now.at || before.callerId !== now.callerId)) {
      this.#store.recordCall({ ...base, id: `${next.id}-${now.at}`, callerId: now.callerId, state: 'ringing', startedAt: now.at, endedAt: null })
    } else if (!now && before) {
      this.#store.recordCall({ ...base, id: `${next.id}-${before.at}`, callerId: before.callerId, state: 'ended', startedAt: before.at, endedAt: next.ts })
    }
  }
}
