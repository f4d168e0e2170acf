import type { LineSnapshot, PartState } from '../core/state.js'

const WORST: Record<PartState, number> = { up: 0, unknown: 1, degraded: 2, down: 3 }

/**
 * A line's raw state from what each source says of it (the modem, SIP
 * OPTIONS, the PBX's registration report, the line voltage, the calls seen):
 * the worst of those that know something, so one source saying the line is
 * gone is enough. Sources that say `unknown` only count when no source knows.
 * `firm` when the worst source's word needs no confirmation. Pure.
 */
export function combineSignals(signals: LineSnapshot['signals']): { state: PartState; reason: string; firm: boolean } {
  const all = Object.entries(signals)
  const known = all.filter(([, s]) => s.state !== 'unknown')
  // among equally bad words a firm one leads: it needs no confirmation
  const pick = (known.length ? known : all).sort(([, a], [, b]) => WORST[b.state] - WORST[a.state] || Number(b.firm === true) - Number(a.firm === true))
  if (pick.length === 0) return { state: 'unknown', reason: 'nothing reports on this line yet', firm: false }
  const [, worst] = pick[0]!
  return { state: worst.state, reason: worst.reason, firm: worst.firm === true }
}
