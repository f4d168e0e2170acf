/**
 * What the panel shows for a state, and when each pattern is lit. Pure.
 *
 * Every pattern is a period and the parts of it that are lit, counted from
 * the Unix epoch: all lamps blink in step, and anyone with the pattern and a
 * clock (the web page, a test) knows whether a lamp is lit at a given moment
 * without asking the box.
 */
import type { BuzzPattern, LampConfig, PanelConfig } from '../config/schema.js'
import type { BuzzerPattern, LampColor, LampPattern, PanelSnapshot, PartState, Severity, Snapshot } from '../core/state.js'

export interface Timing {
  /** 0 for patterns that never change (steady, off). */
  periodMs: number
  /** [from, to) within the period, ms. */
  lit: readonly (readonly [number, number])[]
}

export const PATTERNS: Readonly<Record<LampPattern, Timing>> = {
  steady: { periodMs: 0, lit: [[0, 1]] }, // period 0: the phase is always 0
  off: { periodMs: 0, lit: [] },
  // degraded: 1 Hz, half on
  blink: { periodMs: 1000, lit: [[0, 500]] },
  // down: 4 Hz, urgent
  fast: { periodMs: 250, lit: [[0, 125]] },
  // alive: a double beat every 2 s, like a heart
  heartbeat: { periodMs: 2000, lit: [[0, 100], [250, 350]] },
  // config error: three flashes, then a pause; never seen on a healthy box
  error: { periodMs: 2000, lit: [[0, 150], [300, 450], [600, 750]] },
}

export const BUZZER_PATTERNS: Readonly<Record<BuzzerPattern, Timing>> = {
  steady: { periodMs: 0, lit: [[0, 1]] }, // period 0: the phase is always 0
  off: { periodMs: 0, lit: [] },
  intermittent: { periodMs: 2000, lit: [[0, 1000]] },
  chirp: { periodMs: 10_000, lit: [[0, 150]] },
}

/** The beep at the start of a lamp test. */
export const LAMP_TEST_BEEP_MS = 200

/** Is a pattern lit at time t (ms since the epoch)? */
export function litAt(timing: Timing, t: number): boolean {
  const phase = timing.periodMs ? ((t % timing.periodMs) + timing.periodMs) % timing.periodMs : 0
  return timing.lit.some(([from, to]) => phase >= from && phase < to)
}

/** The first moment after t when the pattern may change; Infinity for steady and off. */
export function nextEdge(timing: Timing, t: number): number {
  if (!timing.periodMs) return Infinity
  const start = t - (((t % timing.periodMs) + timing.periodMs) % timing.periodMs)
  for (const base of [start, start + timing.periodMs]) {
    for (const [from, to] of timing.lit) {
      if (base + from > t) return base + from
      if (base + to > t) return base + to
    }
  }
  return start + timing.periodMs
}

export interface LampLook {
  color: LampColor
  pattern: LampPattern
}

const LOOKS: Record<PartState, LampLook> = {
  up: { color: 'green', pattern: 'steady' },
  degraded: { color: 'amber', pattern: 'blink' },
  down: { color: 'red', pattern: 'fast' },
  unknown: { color: 'off', pattern: 'off' },
}

/** A line, modem or uplink lamp: green steady = up, amber blinking = degraded, red fast = down, off = not known yet. */
export function partLook(state: PartState | undefined): LampLook {
  return LOOKS[state ?? 'unknown']
}

const WORST: readonly PartState[] = ['down', 'degraded', 'up']

/** The worst known state of every line, modem and uplink (unknown ones do not count until all are). */
export function summaryLook(snap: Readonly<Snapshot>): LampLook {
  const states = [snap.lines, snap.modems, snap.uplinks].flatMap((parts) => Object.values(parts).map((p) => p.state))
  return partLook(WORST.find((w) => states.includes(w)))
}

/** The system lamp: the firmware's heartbeat, or the config error pattern. */
export function systemLook(configError: boolean): LampLook {
  return configError ? { color: 'red', pattern: 'error' } : { color: 'green', pattern: 'heartbeat' }
}

export function lampLook(lamp: Pick<LampConfig, 'source'>, snap: Readonly<Snapshot>, configError: boolean): LampLook {
  if (lamp.source === 'system') return systemLook(configError)
  if (lamp.source === 'summary') return summaryLook(snap)
  const [kind, id] = lamp.source.split('/') as ['line' | 'modem' | 'uplink', string]
  const parts = { line: snap.lines, modem: snap.modems, uplink: snap.uplinks }[kind]
  return partLook(parts[id]?.state)
}

const SEVERITIES = ['critical', 'major', 'minor'] as const satisfies readonly Severity[]

export interface BuzzerInputs {
  /** The alerts raised now. */
  alerts: readonly { id: string; severity: Severity }[]
  /** Alert ids the silence button muted. */
  silenced: ReadonlySet<string>
  quietHours: boolean
}

/**
 * The buzzer sounds the pattern set for the worst raised alert that is not
 * silenced (a severity set to `off` does not count). Silencing covers the
 * alerts of that moment only, so a new one sounds again.
 */
export function buzzerLook(cfg: PanelConfig['buzzer'], inputs: BuzzerInputs): PanelSnapshot['buzzer'] {
  const patternOf = (s: Severity): BuzzPattern => (cfg && s !== 'info' ? cfg[s] : 'off')
  const sounding = inputs.alerts.filter((a) => patternOf(a.severity) !== 'off')
  const loud = sounding.filter((a) => !inputs.silenced.has(a.id))
  const severity = SEVERITIES.find((s) => loud.some((a) => a.severity === s)) ?? null
  const wanted = severity ? patternOf(severity) : 'off'
  // quiet hours silence every sound, the lamp test's beep included: `quiet` says they are in force now,
  // whether or not anything would sound
  const quiet = inputs.quietHours
  const pattern = quiet ? 'off' : wanted
  return { on: pattern !== 'off', pattern, severity: quiet ? null : severity, muted: sounding.length > 0 && loud.length === 0, quiet }
}

/** What each output shows at one moment. */
export interface PanelFrame {
  lamps: Record<string, LampColor>
  summary: LampColor
  buzzer: boolean
  /** The lamp test: every die of every lamp lit. */
  test: boolean
}

function shown(look: LampLook, t: number): LampColor {
  return litAt(PATTERNS[look.pattern], t) ? look.color : 'off'
}

/** The frame at time t of a panel snapshot. */
export function frameAt(panel: Readonly<PanelSnapshot>, t: number): PanelFrame {
  const test = panel.test !== null && t >= panel.test.since && t < panel.test.until
  const lamps: Record<string, LampColor> = {}
  for (const l of panel.lamps) lamps[l.id] = test ? 'amber' : shown(l, t)
  const beep = test && !panel.buzzer.quiet && t < panel.test!.since + LAMP_TEST_BEEP_MS
  return { lamps, summary: test ? 'amber' : shown(panel.summary, t), buzzer: beep || (!test && litAt(BUZZER_PATTERNS[panel.buzzer.pattern], t)), test }
}

/** The first moment after t when the frame may change (a pattern edge or the test's end); Infinity when nothing moves. */
export function nextFrameChange(panel: Readonly<PanelSnapshot>, t: number): number {
  const edges = [...panel.lamps, panel.summary].map((l) => nextEdge(PATTERNS[l.pattern], t))
  edges.push(nextEdge(BUZZER_PATTERNS[panel.buzzer.pattern], t))
  if (panel.test) for (const e of [panel.test.since, panel.test.since + LAMP_TEST_BEEP_MS, panel.test.until]) if (e > t) edges.push(e)
  return Math.min(...edges)
}
