import type { PanelConfig } from '../config/schema.js'
import type { LampColor, PanelSnapshot, PartState, Snapshot } from '../core/state.js'

export function lampColor(state: PartState | undefined): LampColor {
  switch (state) {
    case 'up':
      return 'green'
    case 'degraded':
      return 'amber'
    case 'down':
      return 'red'
    default:
      return 'off'
  }
}

/** Lines that are down now: each one is a fault the buzzer calls out. */
export function faults(snap: Readonly<Snapshot>): string[] {
  return Object.values(snap.lines)
    .filter((l) => l.state === 'down')
    .map((l) => `line/${l.id}`)
}

/**
 * What the panel shows for a snapshot. Pure. The buzzer sounds while some
 * fault has not been silenced; silencing covers the faults of that moment
 * only, so a new fault sounds again.
 */
export function panelView(snap: Readonly<Snapshot>, cfg: PanelConfig, silenced: ReadonlySet<string>): Omit<PanelSnapshot, 'ts'> {
  const lamps = cfg.lamps.map((lamp) => {
    const [kind, id] = lamp.source.split('/') as ['line' | 'modem' | 'uplink', string]
    const part = { line: snap.lines, modem: snap.modems, uplink: snap.uplinks }[kind][id]
    return { id: lamp.id, source: lamp.source, color: lampColor(part?.state) }
  })
  const active = faults(snap)
  const unsilenced = active.filter((f) => !silenced.has(f))
  return { lamps, buzzer: { on: unsilenced.length > 0, muted: active.length > 0 && unsilenced.length === 0 } }
}
