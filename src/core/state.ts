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

export type CallState = 'ringing' | 'dialing' | 'alerting' | 'active' | 'ended'
/** How a call ended: answered (then hung up), missed (incoming, never answered), cancelled (hung up by the box before an answer: a test call that has rung), or why an outgoing one failed. */
export type CallOutcome = 'answered' | 'missed' | 'cancelled' | 'busy' | 'no-answer' | 'failed'

/** A call on a modem, from RING/+CLIP, ATD and +CLCC. */
export interface ModemCall {
  direction: 'in' | 'out'
  /** The far end: the caller (E.164 when the network says international; null when withheld) or the number dialled. */
  number: string | null
  state: CallState
  /** Set once the call has ended. */
  outcome: CallOutcome | null
  startedAt: number
  answeredAt: number | null
  endedAt: number | null
}

export interface ModemIdentity {
  manufacturer: string | null
  model: string | null
  firmware: string | null
  imei: string | null
  iccid: string | null
  imsi: string | null
}

export interface ModemSnapshot extends PartBase {
  port: string
  identity: ModemIdentity
  answering: boolean
  registration: Registration
  lac: string | null
  cellId: string | null
  operator: string | null
  signal: { csq: number | null; rssiDbm: number | null }
  sim: string
  /** The incoming call ringing now, if any. */
  ringing: IncomingCall | null
  /** The call in progress (ringing, dialling, alerting or active), if any. */
  call: ModemCall | null
  /** The last call that ended, with its outcome. */
  lastCall: ModemCall | null
  /** Incoming calls seen since start. */
  callsSeen: number
  /** The SIM's balance from the last USSD check, when one is configured. */
  balance: { amount: number | null; text: string; at: number } | null
  /** The recovery ladder's step while the modem does not answer; null otherwise. */
  recovery: { step: 'soft-reset' | 'power-key' | 'power-cut' | 'rest'; round: number; since: number } | null
}

export interface LineSnapshot extends PartBase {
  kind: 'sip' | 'analog' | 'gsm'
  numbers: string[]
  channels: number
  modem: string | null
  lastCallAt: number | null
  lastCallerId: string | null
  callsThisHour: number
  /** Expected incoming calls per hour now, from the line's own history; null until it has enough. */
  expectedCalls: number | null
  /** The silence since the last call and how improbable it is; null while the line is not watched. */
  silence: LineSilence | null
  /**
   * What each source says of the line: `modem`, `options` (SIP OPTIONS), `registration` (the PBX),
   * `voltage` (analog), `calls` (the calls seen: an incoming call, a flagged silence, a test call).
   * The state is the worst of them, after hysteresis (`transition`); `firm` words need none.
   */
  signals: Record<string, LineSignal>
  /** An analog line's FXO inputs: the line voltage, the ring in progress, the last ring's cadence; null for other lines. */
  analog: AnalogLineState | null
  /** Channels in use now against `channels` (bought), from the PBX's call reports; `short`: a refusal with channels free. */
  channelUse: ChannelUse
  /** Offered for outgoing calls (false while the line is down, unless lines[].withdrawWhenDown is off). */
  routable: boolean
  /** A change of state waiting for its hysteresis (a hold-down before up, reports before down); null when none. */
  transition: { to: PartState; reason: string; since: number; at: number | null } | null
  /** The last SIP OPTIONS probe of a sip line: the status code (null: no answer), the reason and the round trip. */
  probe: { code: number | null; reason: string; rttMs: number | null; at: number } | null
  /** The last test call: the only proof that the line takes calls. */
  lastTestCall: { at: number; ok: boolean; detail: string } | null
}

export interface ChannelUse {
  busy: number
  /** The most calls carried at once since the box started. */
  peak: number
  /** The carrier refused a call while fewer channels than bought were busy; null once all of them carried calls at once. */
  short: { at: number; busy: number; cause: string | null; refusals: number } | null
}

export interface AnalogLineState {
  voltage: 'present' | 'lost' | null
  ringing: boolean
  /** Rings of the call ringing now (or of the last one). */
  rings: number
  lastRing: { at: number; onMs: number; offMs: number | null } | null
  /** Bursts on the ring input that were not rings (too short: noise; too long: a stuck detector). */
  rejected: number
  /** The divert relay: true while the line's calls go to the GSM gateway; null without a relay or before its first switch. */
  diverted: boolean | null
}

export interface LineSignal {
  state: PartState
  reason: string
  at: number
  /** Needs no confirmation (the line voltage gone). */
  firm?: boolean
}

export interface LineSilence {
  minutes: number
  businessMinutes: number
  /** Calls the line's history (and the other lines' activity) expected in the silence. */
  expectedCalls: number
  /** The chance of so long a silence on a healthy line. */
  pValue: number
  peerFactor: number
  /** The detector that fires: the fixed rule until the line has history enough, then the adaptive one. */
  firing: 'fixed' | 'adaptive' | null
}

export interface UplinkSnapshot extends PartBase {
  interface: string
  /** Lower is preferred. */
  preference: number
  /** Paid by the byte: used only when every other uplink is down. */
  metered: boolean
  /** The default route goes through it (or would, in report mode). */
  active: boolean
  /** Over the sliding window of probe rounds; null until something answered. */
  lossPct: number | null
  rttMs: number | null
  jitterMs: number | null
  /** What a call over it would sound like (E-model): R 0…100, MOS 1…4.5; null until the window has 10 rounds. */
  rFactor: number | null
  mos: number | null
  /** The last round, target by target. */
  probes: { target: string; ok: boolean; rttMs: number | null; error?: string }[]
  /** The wait before traffic fails back to it once it is up again (doubled while it flaps). */
  holdDownMs: number
  /** From when traffic may fail back to it; null while it is down. */
  failbackAt: number | null
}

export type LampColor = 'green' | 'amber' | 'red' | 'off'
/** How a lamp shows its colour; the timings are in src/panel/patterns.ts (PATTERNS). */
export type LampPattern = 'steady' | 'blink' | 'fast' | 'heartbeat' | 'error' | 'off'
export type BuzzerPattern = 'steady' | 'intermittent' | 'chirp' | 'off'

export interface LampSnapshot {
  id: string
  source: string
  color: LampColor
  pattern: LampPattern
}

export interface PanelSnapshot {
  lamps: LampSnapshot[]
  /** The worst of every line, modem and uplink: what a stack light shows. */
  summary: { color: LampColor; pattern: LampPattern }
  buzzer: {
    /** Sounding (in its pattern) now. */
    on: boolean
    pattern: BuzzerPattern
    /** The worst alert that sounds it; null when quiet. */
    severity: Severity | null
    /** Alerts are raised but the silence button muted them all. */
    muted: boolean
    /** It would sound, but it is quiet hours. */
    quiet: boolean
  }
  /** The lamp test: every lamp lit from `since` until `until` (and a short beep at the start), whatever lamps[] say. */
  test: { since: number; until: number } | null
  /** Each physical output (`gpio`: the board's lamps; `modbus`: a stack light, with the lamp it shows): working or not. */
  outputs: Record<string, { ok: boolean; error?: string; shows?: string }>
  ts: number
}

export type Severity = 'critical' | 'major' | 'minor' | 'info'

export interface AlertRecord {
  id: string
  severity: Severity
  /** Sent by SMS whatever alerts.sms.always says: nothing else can get out (every wired uplink down). */
  sms?: boolean
  source: string
  state: 'raised' | 'cleared'
  message: string
  /** Acknowledged by a person (the office's alert-ack): still raised, but the buzzer no longer sounds for it. */
  acknowledged?: { by: string | null; at: number }
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
  /** The most recent calls, newest last (at most CALLS_KEPT). */
  calls: CallRecord[]
  /** The numbers the store's web site should show, working lines first; null until the lines are known. */
  sitePhone: SitePhone | null
}

/** `<base>/site/phone` (retained): the store's numbers, those of working lines first. */
export interface SitePhone {
  /** The number to show: the first number of the first working line (null when no line works). */
  primary: string | null
  /** Every number, working lines first (config order within each group). */
  numbers: string[]
  /** The lines by state, for whoever wants to say more. */
  lines: { id: string; state: PartState; numbers: string[] }[]
  ts: number
}

export const CALLS_KEPT = 100

/** A call the box saw: what `<base>/call` carries and GET /api/v1/calls lists. */
export interface CallRecord {
  /** `<modem>-<start ms>`: the same for the ringing and the ended record of one call. */
  id: string
  direction: 'in' | 'out'
  line: string | null
  modem: string
  /** Incoming: the caller, E.164 when the network said international, as sent otherwise, null when withheld. Outgoing: null. */
  callerId: string | null
  /** Outgoing: the number dialled. Incoming: null. */
  dialed: string | null
  state: CallState
  outcome: CallOutcome | null
  startedAt: number
  answeredAt: number | null
  endedAt: number | null
  ts: number
}

export type PartKind = 'modem' | 'line' | 'uplink'

/** A routed outgoing call's attempt as the PBX reported it, priced: on `<base>/call` with `type: "routed"`. */
export interface RoutedCallRecord {
  type: 'routed'
  path: string
  line: string
  /** The number in E.164. */
  to: string
  outcome: 'answered' | 'busy' | 'no-answer' | 'failed'
  cause: string | null
  seconds: number
  /** What it cost on the path's plan; the part a bundle covered is free. */
  cost: number
  currency: string
  bundle: string | null
  ts: number
}

/** A pool of bundle minutes: a path's own (`path`), or the plan's when the bundle is shared (`path` null). */
export interface BundleStatus {
  plan: string
  bundle: string
  path: string | null
  secondsLeft: number | null
}

/** `<base>/stats` (retained): today's routed calls, site time, per path, and the bundles' minutes left. */
export interface RoutingStats {
  day: string
  currency: string | null
  paths: Record<string, { attempts: number; answered: number; seconds: number; cost: number }>
  total: { attempts: number; answered: number; seconds: number; cost: number }
  bundles: BundleStatus[]
  ts: number
}

/** Something the box did (an action taken for an alert): goes out on `<base>/event` (QoS 1). */
export type ActionEvent = NotifyEvent | SitePhoneEvent | TestCallEvent | RouteEvent | DivertEvent | UplinkEvent

/**
 * The box's traffic moved to another uplink (the PBX should re-register its SIP trunks now).
 * `from` null: the first choice after start. With no uplink working there is no event (nowhere to go):
 * the uplinks' states and the `uplinks/wired` alert say it.
 */
export interface UplinkEvent {
  type: 'uplink'
  from: string | null
  to: string | null
  reason: string
  /** set: the default route moved; reported: report mode (the routes are someone else's); failed: iproute2 refused (detail). */
  routes: 'set' | 'reported' | 'failed'
  /** Connection-tracking entries of the old uplink deleted, or why not. */
  conntrack: string | null
  detail: string
  ts: number
}

/** A line taken out of outgoing routing (down), or offered again. */
export interface RouteEvent {
  type: 'route'
  line: string
  routable: boolean
  reason: string
  ts: number
}

/** The divert relay switched (on: the analog line's calls go to the GSM gateway), or a switch that failed and is retried. */
export interface DivertEvent {
  type: 'divert'
  line: string
  on: boolean
  /** The relay: `GPIO 13`, or `modbus /dev/ttyUSB0 slave 3 coil 0`. */
  via: string
  ok: boolean
  detail: string
  ts: number
}

/** A test call: the box dialled a line's number from another modem and watched for the ring on the line. */
export interface TestCallEvent {
  type: 'test-call'
  line: string
  number: string
  /** The modem that dialled; null when none could. */
  from: string | null
  ok: boolean
  detail: string
  ts: number
}

/** The site's number sent to its webhook (`sent` once acknowledged with a 2xx; `failed` attempts are retried). */
export interface SitePhoneEvent {
  type: 'site-phone'
  primary: string | null
  state: 'sent' | 'failed'
  detail: string
  ts: number
}

export interface NotifyEvent {
  type: 'notify'
  /** The alert it was for. */
  alert: string
  channel: 'sms'
  /** The contact's name and role. */
  to: string
  role: string
  state: 'sent' | 'failed' | 'suppressed' | 'expired'
  detail: string
  ts: number
}

/** Registered on a network that carries calls (home or roaming). */
export function isRegistered(r: Registration): boolean {
  return r === 'home' || r === 'roaming'
}
