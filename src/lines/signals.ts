import type { LineSnapshot, PartState } from '../core/state.js'
import type { StateStore } from '../core/store.js'

const WORST: Record<PartState, number> = { up: 0, unknown: 1, degraded: 2, down: 3 }

/**
 * A line's state from what each source says of it (SIP OPTIONS, the PBX's
 * registration report): the worst of those that know something, so one
 * source saying the trunk is gone is enough. Sources that say `unknown` only
 * count when no source knows. Pure.
 */
export function combineSignals(signals: LineSnapshot['signals']): { state: PartState; reason: string } {
  const all = Object.entries(signals)
  const known = all.filter(([, s]) => s.state !== 'unknown')
  const pick = (known.length ? known : all).sort(([, a], [, b]) => WORST[b.state] - WORST[a.state])
  if (pick.length === 0) return { state: 'unknown', reason: 'nothing reports on this line yet' }
  const [, worst] = pick[0]!
  return { state: worst.state, reason: worst.reason }
}

/** One source's word on a line; the line's state follows from all of them. */
export function setSignal(store: StateStore, lineId: string, source: string, signal: { state: PartState; reason: string }, extra: Partial<LineSnapshot> = {}): void {
  const line = store.get('line', lineId)
  if (!line) return
  const signals = { ...line.signals, [source]: { ...signal, at: store.clock.now() } }
  store.update('line', lineId, { ...extra, signals, ...combineSignals(signals) })
}
