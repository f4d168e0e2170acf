/** The shapes of the box's one snapshot. MQTT payloads and the HTTP API are these objects. */

export type PartState = 'up' | 'degraded' | 'down' | 'unknown'

export type Registration = 'home' | 'roaming' | 'searching' | 'denied' | 'unknown' | 'not-registered'

interface PartBase {
  id: string
  state: PartState
  reason: string
  /** When `state` last changed (ms since epoch). */
  since: number
  /** When anything in this part last changed. */
  ts: number
}

export interface IncomingCall {
  callerId: string | null
  at: number
}

export interface ModemSnapshot extends PartBase {
  port: string
  answering: boolean
  registration: Registration
  lac: string | null
  cellId: string | null
  operator: string | null
  signal: { csq: number | null; rssiDbm: number | null }
  sim: string
  /** The call ringing now, if any. */
  ringing: IncomingCall | null
  lastCall: IncomingCall | null
  callsSeen: number
  /** The recovery ladder's step while the modem does not answer; null otherwise. */
  recovery: { step: 'soft-reset' | 'power-key' | 'rest'; round: number; since: number } | null
}

export interface LineSnapshot extends PartBase {
  kind: 'sip' | 'analog' | 'gsm'
  numbers: string[]
  channels: number
  modem: string | null
  lastCallAt: number | null
  lastCallerId: string | null
  callsThisHour: number
  /** Expected incoming calls this hour; null until a rate model exists. */
  expectedCalls: number | null
}

export interface UplinkSnapshot extends PartBase {
  interface: string
  lossPct: number | null
  rttMs: number | null
  jitterMs: number | null
}

export type LampColor = 'green' | 'amber' | 'red' | 'off'

export interface LampSnapshot {
  id: string
  source: string
  color: LampColor
}

export interface PanelSnapshot {
  lamps: LampSnapshot[]
  buzzer: { on: boolean; muted: boolean }
  ts: number
}

export type Severity = 'critical' | 'major' | 'minor' | 'info'

export interface AlertRecord {
  id: string
  severity: Severity
  source: string
  state: 'raised' | 'cleared'
  message: string
  ts: number
}

export interface BoxInfo {
  site: string
  box: string
  version: string
  startedAt: number
}

export interface Snapshot {
  box: BoxInfo
  modems: Record<string, ModemSnapshot>
  lines: Record<string, LineSnapshot>
  uplinks: Record<string, UplinkSnapshot>
  panel: PanelSnapshot
  /** Alerts raised and not yet cleared. */
  alerts: Record<string, AlertRecord>
}

export type PartKind = 'modem' | 'line' | 'uplink'

/** Registered on a network that carries calls (home or roaming). */
export function isRegistered(r: Registration): boolean {
  return r === 'home' || r === 'roaming'
}
