import { EventEmitter } from 'node:events'
import { isDeepStrictEqual } from 'node:util'
import type { Clock } from './clock.js'
import { CALLS_KEPT } from './state.js'
/** Omit over each member of a union (TypeScript's Omit merges the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

import type {
  SitePhone,
  ActionEvent,
  AlertRecord,
  CallRecord,
  DayFigures,
  BoxInfo,
  LineSnapshot,
  ModemSnapshot,
  PanelSnapshot,
  PartKind,
  RoutedCallRecord,
  RoutingStats,
  Snapshot,
  UplinkSnapshot,
} from './state.js'

export type PartOf<K extends PartKind> = K extends 'modem' ? ModemSnapshot : K extends 'line' ? LineSnapshot : UplinkSnapshot

export type StoreChange =
  | { kind: 'modem'; id: string; prev: ModemSnapshot | undefined; next: ModemSnapshot }
  | { kind: 'line'; id: string; prev: LineSnapshot | undefined; next: LineSnapshot }
  | { kind: 'uplink'; id: string; prev: UplinkSnapshot | undefined; next: UplinkSnapshot }
  | { kind: 'panel'; id: 'panel'; prev: PanelSnapshot; next: PanelSnapshot }
  | { kind: 'alert'; id: string; prev: AlertRecord | undefined; next: AlertRecord }
  | { kind: 'call'; id: string; prev: CallRecord | undefined; next: CallRecord }
  | { kind: 'event'; id: string; prev: undefined; next: ActionEvent }
  | { kind: 'site'; id: 'phone'; prev: SitePhone | null; next: SitePhone }
  | { kind: 'routed'; id: string; prev: undefined; next: RoutedCallRecord }
  | { kind: 'stats'; id: 'stats'; prev: undefined; next: RoutingStats }
  | { kind: 'figures'; id: 'today' | 'day'; prev: undefined; next: DayFigures }

interface StoreEvents {
  change: [StoreChange]
}

const collection = { modem: 'modems', line: 'lines', uplink: 'uplinks' } as const

/**
 * The single source of truth. Drivers and monitors write parts; every output
 * (panel, MQTT, web) renders from the change events, so they cannot disagree.
 * A write that changes nothing emits nothing.
 */
export class StateStore extends EventEmitter<StoreEvents> {
  #snap: Snapshot
  readonly clock: Clock
  /** Changes made by listeners while a change is being announced wait here, so causes go out before effects. */
  readonly #pending: StoreChange[] = []
  #announcing = false

  constructor(box: BoxInfo, clock: Clock) {
    super()
    // outputs, monitors and every open page's event stream listen here
    this.setMaxListeners(200)
    this.clock = clock
    this.#snap = {
      box,
      modems: {},
      lines: {},
      uplinks: {},
      panel: { lamps: [], summary: { color: 'off', pattern: 'off' }, buzzer: { on: false, pattern: 'off', severity: null, muted: false, quiet: false }, test: null, outputs: {}, ts: clock.now() },
      alerts: {},
      calls: [],
      sitePhone: null,
    }
  }

  /** The current snapshot. Treat it as read-only: write through the methods below. */
  get snapshot(): Readonly<Snapshot> {
    return this.#snap
  }

  get<K extends PartKind>(kind: K, id: string): PartOf<K> | undefined {
    return this.#snap[collection[kind]][id] as PartOf<K> | undefined
  }

  /** Put a whole part (used once at start-up for each configured part). */
  init<K extends PartKind>(kind: K, part: PartOf<K>): void {
    const map = this.#snap[collection[kind]] as Record<string, PartOf<K>>
    const prev = map[part.id]
    map[part.id] = part
    this.#announce({ kind, id: part.id, prev, next: part } as StoreChange)
  }

  /** Merge a patch into a part. `since` moves when `state` changes; `ts` when anything does. */
  update<K extends PartKind>(kind: K, id: string, patch: Partial<PartOf<K>>): PartOf<K> {
    const map = this.#snap[collection[kind]] as Record<string, PartOf<K>>
    const prev = map[id]
    if (!prev) throw new Error(`unknown ${kind} ${id}`)
    const merged = { ...prev, ...patch } as PartOf<K>
    if (isDeepStrictEqual({ ...merged, ts: 0, since: 0 }, { ...prev, ts: 0, since: 0 })) return prev
    const now = this.clock.now()
    const next = { ...merged, ts: now, since: merged.state !== prev.state ? now : prev.since } as PartOf<K>
    map[id] = next
    this.#announce({ kind, id, prev, next } as StoreChange)
    return next
  }

  setSitePhone(phone: Omit<SitePhone, 'ts'>): void {
    const prev = this.#snap.sitePhone
    if (prev && isDeepStrictEqual({ ...phone, ts: 0 }, { ...prev, ts: 0 })) return
    const next = { ...phone, ts: this.clock.now() }
    this.#snap.sitePhone = next
    this.#announce({ kind: 'site', id: 'phone', prev, next })
  }

  setPanel(panel: Omit<PanelSnapshot, 'ts'>): void {
    const prev = this.#snap.panel
    if (isDeepStrictEqual({ ...panel, ts: 0 }, { ...prev, ts: 0 })) return
    const next = { ...panel, ts: this.clock.now() }
    this.#snap.panel = next
    this.#announce({ kind: 'panel', id: 'panel', prev, next })
  }

  /** Add or update (same id) a call record; only the latest CALLS_KEPT are kept. */
  /** An action the box took: not part of the snapshot, only announced (MQTT `<base>/event`, the event stream). */
  recordEvent(event: DistributiveOmit<ActionEvent, 'ts'>): void {
    this.#announce({ kind: 'event', id: event.type, prev: undefined, next: { ...event, ts: this.clock.now() } as ActionEvent })
  }

  /** A routed call's attempt, priced (not kept: it goes out on `<base>/call`). */
  recordRouted(call: Omit<RoutedCallRecord, 'ts'>): void {
    this.#announce({ kind: 'routed', id: call.path, prev: undefined, next: { ...call, ts: this.clock.now() } })
  }

  /** Today's call figures so far (`today`, in the retained `<base>/stats`), or a finished day's (`day`, `<base>/stats/day`). */
  setFigures(id: 'today' | 'day', figures: Omit<DayFigures, 'ts'>): void {
    this.#announce({ kind: 'figures', id, prev: undefined, next: { ...figures, ts: this.clock.now() } })
  }

  /** Today's routing totals (kept by the routing service; retained on `<base>/stats`). */
  setStats(stats: Omit<RoutingStats, 'ts'>): void {
    this.#announce({ kind: 'stats', id: 'stats', prev: undefined, next: { ...stats, ts: this.clock.now() } })
  }

  recordCall(call: Omit<CallRecord, 'ts'>): void {
    const calls = this.#snap.calls
    const at = calls.findIndex((c) => c.id === call.id)
    const prev = at >= 0 ? calls[at] : undefined
    const next: CallRecord = { ...call, ts: this.clock.now() }
    if (at >= 0) calls[at] = next
    else {
      calls.push(next)
      if (calls.length > CALLS_KEPT) calls.splice(0, calls.length - CALLS_KEPT)
    }
    this.#announce({ kind: 'call', id: call.id, prev, next })
  }

  /** Put back alerts that were raised before a restart, without announcing them again. */
  restoreAlerts(alerts: AlertRecord[]): void {
    for (const a of alerts) if (a.state === 'raised') this.#snap.alerts[a.id] = a
  }

  /** Raise or clear an alert. Raising an alert that is already raised does nothing. */
  setAlert(alert: Omit<AlertRecord, 'ts'>): void {
    const prev = this.#snap.alerts[alert.id]
    if (alert.state === 'raised' && prev) return
    if (alert.state === 'cleared' && !prev) return
    const next: AlertRecord = { ...alert, ts: this.clock.now() }
    if (next.state === 'raised') this.#snap.alerts[alert.id] = next
    else delete this.#snap.alerts[alert.id]
    this.#announce({ kind: 'alert', id: alert.id, prev, next })
  }

  /** Mark a raised alert acknowledged (announced like a change of the alert: the office hears it). Null when it is not raised. */
  acknowledgeAlert(id: string, by: string | null): AlertRecord | null {
    const prev = this.#snap.alerts[id]
    if (!prev) return null
    // the record keeps the time it was raised; the acknowledgement has its own
    const next: AlertRecord = { ...prev, acknowledged: { by, at: this.clock.now() } }
    this.#snap.alerts[id] = next
    this.#announce({ kind: 'alert', id, prev, next })
    return next
  }

  /**
   * Every listener hears a change before anyone hears the changes it caused:
   * the modem's new state, then the line it brought down, then the alert.
   */
  #announce(change: StoreChange): void {
    this.#pending.push(change)
    if (this.#announcing) return
    this.#announcing = true
    try {
      for (let c = this.#pending.shift(); c; c = this.#pending.shift()) this.emit('change', c)
    } finally {
      this.#announcing = false
    }
  }
}
