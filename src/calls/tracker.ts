import type { LineConfig } from '../config/schema.js'
import type { CallRecord, ModemCall, ModemSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'

/**
 * Turns a modem's calls into call records: one as soon as a call starts
 * (ringing with the caller ID, or dialling), again at each change (the caller
 * ID arriving just after the RING, alerting, answered), and once when it ends
 * with its outcome. They go to the store's recent calls, hence to
 * `<base>/call` (QoS 1), the event stream and GET /api/v1/calls, so the
 * call-handling software gets the caller's number while the phone still rings.
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
    const now = next.call
    if (now && !sameCall(now, prev?.call)) this.#record(next.id, now)
    const ended = next.lastCall
    if (ended && !sameCall(ended, prev?.lastCall)) this.#record(next.id, ended)
  }

  #record(modem: string, c: ModemCall): void {
    const rec: Omit<CallRecord, 'ts'> = {
      id: `${modem}-${c.startedAt}`,
      direction: c.direction,
      line: this.#lineOf.get(modem) ?? null,
      modem,
      callerId: c.direction === 'in' ? c.number : null,
      dialed: c.direction === 'out' ? c.number : null,
      state: c.state,
      outcome: c.outcome,
      startedAt: c.startedAt,
      answeredAt: c.answeredAt,
      endedAt: c.endedAt,
    }
    this.#store.recordCall(rec)
  }
}

function sameCall(a: ModemCall, b: ModemCall | null | undefined): boolean {
  return !!b && a.startedAt === b.startedAt && a.state === b.state && a.number === b.number && a.endedAt === b.endedAt
}
