import type { LineConfig } from '../config/schema.js'
import type { LineSnapshot, ModemSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { gsmLineState } from './gsm.js'

const HOUR_MS = 3600_000

/** Whether two times fall in the same clock hour (UTC; hours of the week by site time come with the rate model). */
function sameHour(a: number | null, b: number): boolean {
  return a !== null && Math.floor(a / HOUR_MS) === Math.floor(b / HOUR_MS)
}

/** Whether the box sees this line's incoming calls (its GSM modem rings, or the PBX reports them). */
export function hasCallSource(line: LineConfig): boolean {
  return (line.kind === 'gsm' && line.modem !== undefined) || line.pbxReports
}

export function initialLine(cfg: LineConfig, now: number): LineSnapshot {
  return {
    id: cfg.id,
    kind: cfg.kind,
    numbers: cfg.numbers,
    channels: cfg.channels,
    modem: cfg.modem ?? null,
    state: 'unknown',
    reason: cfg.kind === 'gsm' || cfg.sip ? 'starting' : cfg.kind === 'sip' ? 'no sip section: nothing probes this line' : `no monitor for ${cfg.kind} lines yet`,
    since: now,
    ts: now,
    lastCallAt: null,
    lastCallerId: null,
    callsThisHour: 0,
    expectedCalls: null,
    silence: null,
    lastTestCall: null,
    probe: null,
    signals: {},
  }
}

/**
 * Keeps each line's state from the parts that carry it. For now GSM lines
 * follow their modem; SIP and analog lines stay `unknown` until their
 * monitors exist. Incoming calls seen on the modem count for the line.
 */
export class LineMonitor {
  readonly #store: StateStore
  readonly #lines: LineConfig[]
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'modem') this.#fromModem(c.next, c.prev)
  }

  constructor(store: StateStore, lines: LineConfig[]) {
    this.#store = store
    this.#lines = lines
    for (const l of lines) store.init('line', initialLine(l, store.clock.now()))
  }

  start(): void {
    this.#store.on('change', this.#onChange)
    for (const l of this.#lines) {
      const m = l.modem ? this.#store.get('modem', l.modem) : undefined
      if (m) this.#fromModem(m, undefined)
    }
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
  }

  /** Time moves (fed by the box every minute): a new hour starts each line's count again. */
  tick(now: number): void {
    for (const l of this.#lines) {
      const line = this.#store.get('line', l.id)
      if (line && line.callsThisHour > 0 && !sameHour(line.lastCallAt, now)) this.#store.update('line', l.id, { callsThisHour: 0 })
    }
  }

  #fromModem(modem: ModemSnapshot, prev: ModemSnapshot | undefined): void {
    for (const l of this.#lines) {
      if (l.kind !== 'gsm' || l.modem !== modem.id) continue
      const line = this.#store.get('line', l.id)
      if (!line) continue
      const patch: Partial<LineSnapshot> = gsmLineState(l.modem, modem)
      const call = modem.ringing
      if (call && call.at !== prev?.ringing?.at) Object.assign(patch, this.#counted(line, call.at))
      if (call?.callerId) patch.lastCallerId = call.callerId
      this.#store.update('line', l.id, patch)
    }
  }

  /** An incoming call the PBX reports on a line (a SIP trunk, an analog line behind it). */
  reportCall(id: string, call: { callerId: string | null; at: number }): void {
    const line = this.#store.get('line', id)
    if (!line) return
    this.#store.update('line', id, { ...this.#counted(line, call.at), ...(call.callerId ? { lastCallerId: call.callerId } : {}) })
  }

  #counted(line: LineSnapshot, at: number): Partial<LineSnapshot> {
    return { callsThisHour: sameHour(line.lastCallAt, this.#store.clock.now()) ? line.callsThisHour + 1 : 1, lastCallAt: at }
  }
}
