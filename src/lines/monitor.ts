import type { LineConfig } from '../config/schema.js'
import type { Timer } from '../core/clock.js'
import type { LineSnapshot, ModemSnapshot, PartState } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import { gsmLineState } from './gsm.js'
import { combineSignals } from './signals.js'
import type { Remembering } from '../core/box-memory.js'
import { LineStateMachine, type LineMemory } from './state-machine.js'

const HOUR_MS = 3600_000

/** Whether two times fall in the same clock hour (UTC; hours of the week by site time come with the rate model). */
function sameHour(a: number | null, b: number): boolean {
  return a !== null && Math.floor(a / HOUR_MS) === Math.floor(b / HOUR_MS)
}

/** Whether the box sees this line's incoming calls (its GSM modem rings, its ring detect, or the PBX reports them). */
export function hasCallSource(line: LineConfig): boolean {
  return (line.kind === 'gsm' && line.modem !== undefined) || line.analog?.ring !== undefined || line.pbxReports
}

function startingReason(cfg: LineConfig): string {
  if (cfg.kind === 'gsm' || cfg.sip || cfg.analog?.voltage) return 'starting'
  if (cfg.kind === 'sip') return cfg.pbxReports ? 'waiting for the PBX to report' : 'no sip section: nothing probes this line'
  return cfg.analog?.ring || cfg.pbxReports ? 'waiting for a call' : 'no analog section: nothing senses this line'
}

export function initialLine(cfg: LineConfig, now: number): LineSnapshot {
  return {
    id: cfg.id,
    kind: cfg.kind,
    numbers: cfg.numbers,
    channels: cfg.channels,
    modem: cfg.modem ?? null,
    state: 'unknown',
    reason: startingReason(cfg),
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
    transition: null,
    analog: cfg.kind === 'analog' && cfg.analog ? { voltage: null, ringing: false, rings: 0, lastRing: null, rejected: 0, diverted: null } : null,
    routable: true,
    channelUse: { busy: 0, peak: 0, short: null },
  }
}

/**
 * Keeps each line's state from the sources that report on it. Each source's
 * word is a signal (`signal()`); the line's state is the worst of them through
 * the line's state machine (hysteresis, hold-down), whose timer lives here.
 * GSM lines hear their modem; incoming calls (a modem's ring, the PBX's
 * report) count for the line, and the calls seen are a signal of their own:
 * a call proves the line works, a flagged silence or a failed test call says
 * it may not.
 */
export class LineMonitor implements Remembering<Record<string, LineMemory>> {
  memoryChanged?: () => void
  readonly #store: StateStore
  readonly #lines: LineConfig[]
  readonly #machines = new Map<string, LineStateMachine>()
  readonly #timers = new Map<string, Timer>()
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'modem') this.#fromModem(c.next, c.prev)
    else if (c.kind === 'line') this.#fromLine(c.next, c.prev)
  }

  constructor(store: StateStore, lines: LineConfig[]) {
    this.#store = store
    this.#lines = lines
    for (const l of lines) {
      const line = initialLine(l, store.clock.now())
      store.init('line', line)
      this.#machines.set(l.id, new LineStateMachine(l.hysteresis, line.reason))
    }
  }

  remember(): Record<string, LineMemory> {
    return Object.fromEntries([...this.#machines].map(([id, m]) => [id, m.memory()]))
  }

  /** Each line's state before the restart (a line no longer in the config is forgotten). */
  recall(saved: Record<string, LineMemory>, now: number): void {
    for (const [id, m] of this.#machines) if (saved?.[id]) m.recall(saved[id], now)
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
    for (const t of this.#timers.values()) t.cancel()
    this.#timers.clear()
  }

  /**
   * Time moves (fed by the box every minute): a new hour starts each line's count again, and a change
   * waiting for more reports hears the sources' word again: a state that lasts counts once a minute,
   * so a voltage or a call verdict, which is reported only when it changes, still adds up.
   */
  tick(now: number): void {
    for (const l of this.#lines) {
      const line = this.#store.get('line', l.id)
      if (line && line.callsThisHour > 0 && !sameHour(line.lastCallAt, now)) this.#store.update('line', l.id, { callsThisHour: 0 })
      if (line && this.#machines.get(l.id)?.transition) this.#observe(l.id, line.signals)
    }
  }

  /** One source's word on a line (`extra`: what else the source knows, written with it). */
  signal(id: string, source: string, word: { state: PartState; reason: string; firm?: boolean }, extra: Partial<LineSnapshot> = {}): void {
    const line = this.#store.get('line', id)
    if (!line) return
    const signals = { ...line.signals, [source]: { ...word, at: this.#store.clock.now() } }
    this.#observe(id, signals, { ...extra, signals })
  }

  /** The line's sources, taken together, are one report to its state machine. */
  #observe(id: string, signals: LineSnapshot['signals'], patch: Partial<LineSnapshot> = {}): void {
    const machine = this.#machines.get(id)
    if (!machine) return
    machine.observe(combineSignals(signals), this.#store.clock.now())
    this.#publish(id, machine, patch)
  }

  #publish(id: string, machine: LineStateMachine, patch: Partial<LineSnapshot> = {}): void {
    if (machine.state !== this.#store.get('line', id)?.state) this.memoryChanged?.()
    this.#store.update('line', id, { ...patch, state: machine.state, reason: machine.reason, transition: machine.transition })
    this.#timers.get(id)?.cancel()
    this.#timers.delete(id)
    const at = machine.deadline
    if (at === null) return
    this.#timers.set(
      id,
      this.#store.clock.setTimeout(() => {
        this.#timers.delete(id)
        machine.tick(this.#store.clock.now())
        this.#publish(id, machine)
      }, Math.max(0, at - this.#store.clock.now())),
    )
  }

  #fromModem(modem: ModemSnapshot, prev: ModemSnapshot | undefined): void {
    for (const l of this.#lines) {
      if (l.kind !== 'gsm' || l.modem !== modem.id) continue
      const call = modem.ringing
      const extra: Partial<LineSnapshot> = call?.callerId ? { lastCallerId: call.callerId } : {}
      this.signal(l.id, 'modem', gsmLineState(l.modem, modem), extra)
      if (call && call.at !== prev?.ringing?.at) this.incomingCall(l.id, call)
    }
  }

  /** An incoming call on a line: its modem's ring, the ring detect of an analog line, or the PBX's report. */
  incomingCall(id: string, call: { callerId: string | null; at: number }): void {
    const line = this.#store.get('line', id)
    if (!line) return
    const counted = { callsThisHour: sameHour(line.lastCallAt, this.#store.clock.now()) ? line.callsThisHour + 1 : 1, lastCallAt: call.at }
    this.signal(id, 'calls', { state: 'up', reason: 'an incoming call arrived' }, { ...counted, ...(call.callerId ? { lastCallerId: call.callerId } : {}) })
  }

  /** What the line's own parts say of its calls: a flagged silence, a test call. */
  #fromLine(next: LineSnapshot, prev: LineSnapshot | undefined): void {
    const firing = next.silence?.firing
    if (firing && !prev?.silence?.firing) {
      const s = next.silence!
      this.signal(next.id, 'calls', { state: 'degraded', reason: `no incoming call for ${s.minutes} min (${s.expectedCalls} expected)` })
    }
    const test = next.lastTestCall
    if (test && test !== prev?.lastTestCall) this.signal(next.id, 'calls', { state: test.ok ? 'up' : 'down', reason: `test call: ${test.detail}` })
  }
}
