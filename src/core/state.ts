/**
 * The shapes of the box's one snapshot. MQTT payloads and the HTTP API are these objects. Each is a
 * TypeBox schema and its type: the code uses the types, and docs/asyncapi.yaml is written from the
 * schemas (scripts/write-asyncapi.ts), so the published contract and the code cannot part.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'

const Enum = <T extends string>(values: readonly T[], description?: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) })
const Nullable = <S extends TSchema>(s: S, description?: string) => Type.Union([s, Type.Null()], description ? { description } : {})
/** ms since the epoch */
const Ms = (description?: string) => Type.Number(description ? { description } : {})
const Obj = Type.Object
const closed = { additionalProperties: false } as const

export const PART_STATES = ['up', 'degraded', 'down', 'unknown'] as const
export const PartStateSchema = Enum(PART_STATES)
export type PartState = Static<typeof PartStateSchema>

export const REGISTRATIONS = ['home', 'roaming', 'searching', 'denied', 'unknown', 'not-registered'] as const
export const RegistrationSchema = Enum(REGISTRATIONS)
export type Registration = Static<typeof RegistrationSchema>

const partBase = {
  id: Type.String(),
  state: PartStateSchema,
  reason: Type.String(),
  since: Ms('When `state` last changed (ms since epoch).'),
  ts: Ms('When anything in this part last changed.'),
}

export const IncomingCallSchema = Obj({ callerId: Nullable(Type.String()), at: Ms() }, closed)
export type IncomingCall = Static<typeof IncomingCallSchema>

export const CallStateSchema = Enum(['ringing', 'dialing', 'alerting', 'active', 'ended'] as const)
export type CallState = Static<typeof CallStateSchema>
export const CallOutcomeSchema = Enum(
  ['answered', 'missed', 'cancelled', 'busy', 'no-answer', 'failed'] as const,
  'How a call ended: answered (then hung up), missed (incoming, never answered), cancelled (hung up by the box before an answer: a test call that has rung), or why an outgoing one failed.',
)
export type CallOutcome = Static<typeof CallOutcomeSchema>

export const ModemCallSchema = Obj(
  {
    direction: Enum(['in', 'out'] as const),
    number: Nullable(Type.String(), 'The far end: the caller (E.164 when the network says international; null when withheld) or the number dialled.'),
    state: CallStateSchema,
    outcome: Nullable(CallOutcomeSchema, 'Set once the call has ended.'),
    startedAt: Ms(),
    answeredAt: Nullable(Ms()),
    endedAt: Nullable(Ms()),
  },
  { ...closed, description: 'A call on a modem, from RING/+CLIP, ATD and +CLCC.' },
)
export type ModemCall = Static<typeof ModemCallSchema>

export const ModemIdentitySchema = Obj(
  { manufacturer: Nullable(Type.String()), model: Nullable(Type.String()), firmware: Nullable(Type.String()), imei: Nullable(Type.String()), iccid: Nullable(Type.String()), imsi: Nullable(Type.String()) },
  closed,
)
export type ModemIdentity = Static<typeof ModemIdentitySchema>

export const RECOVERY_STEPS = ['soft-reset', 'power-key', 'power-cut', 'rest'] as const

export const ModemSnapshotSchema = Obj(
  {
    ...partBase,
    port: Type.String(),
    identity: ModemIdentitySchema,
    answering: Type.Boolean(),
    registration: RegistrationSchema,
    lac: Nullable(Type.String()),
    cellId: Nullable(Type.String()),
    operator: Nullable(Type.String()),
    signal: Obj({ csq: Nullable(Type.Number()), rssiDbm: Nullable(Type.Number()) }, closed),
    sim: Type.String(),
    ringing: Nullable(IncomingCallSchema, 'The incoming call ringing now, if any.'),
    call: Nullable(ModemCallSchema, 'The call in progress (ringing, dialling, alerting or active), if any.'),
    lastCall: Nullable(ModemCallSchema, 'The last call that ended, with its outcome.'),
    callsSeen: Type.Integer({ description: 'Incoming calls seen since start.' }),
    balance: Nullable(Obj({ amount: Nullable(Type.Number()), text: Type.String(), at: Ms() }, closed), "The SIM's balance from the last USSD check, when one is configured."),
    recovery: Nullable(Obj({ step: Enum(RECOVERY_STEPS), round: Type.Integer(), since: Ms() }, closed), "The recovery ladder's step while the modem does not answer; null otherwise."),
  },
  { ...closed, description: 'A GSM modem: `<base>/modem/<id>` (retained).' },
)
export type ModemSnapshot = Static<typeof ModemSnapshotSchema>

export const ChannelUseSchema = Obj(
  {
    busy: Type.Integer(),
    peak: Type.Integer({ description: 'The most calls carried at once since the box started.' }),
    short: Nullable(Obj({ at: Ms(), busy: Type.Integer(), cause: Nullable(Type.String()), refusals: Type.Integer() }, closed), 'The carrier refused a call while fewer channels than bought were busy; null once all of them carried calls at once.'),
  },
  closed,
)
export type ChannelUse = Static<typeof ChannelUseSchema>

export const AnalogLineStateSchema = Obj(
  {
    voltage: Nullable(Enum(['present', 'lost'] as const)),
    ringing: Type.Boolean(),
    rings: Type.Integer({ description: 'Rings of the call ringing now (or of the last one).' }),
    lastRing: Nullable(Obj({ at: Ms(), onMs: Type.Number(), offMs: Nullable(Type.Number()) }, closed)),
    rejected: Type.Integer({ description: 'Bursts on the ring input that were not rings (too short: noise; too long: a stuck detector).' }),
    diverted: Nullable(Type.Boolean(), "The divert relay: true while the line's calls go to the GSM gateway; null without a relay or before its first switch."),
  },
  closed,
)
export type AnalogLineState = Static<typeof AnalogLineStateSchema>

export const LineSignalSchema = Obj(
  { state: PartStateSchema, reason: Type.String(), at: Ms(), firm: Type.Optional(Type.Boolean({ description: 'Needs no confirmation (the line voltage gone).' })) },
  closed,
)
export type LineSignal = Static<typeof LineSignalSchema>

export const LineSilenceSchema = Obj(
  {
    minutes: Type.Number(),
    businessMinutes: Type.Number(),
    expectedCalls: Type.Number({ description: "Calls the line's history (and the other lines' activity) expected in the silence." }),
    pValue: Type.Number({ description: 'The chance of so long a silence on a healthy line.' }),
    peerFactor: Type.Number(),
    firing: Nullable(Enum(['fixed', 'adaptive'] as const), 'The detector that fires: the fixed rule until the line has history enough, then the adaptive one.'),
  },
  closed,
)
export type LineSilence = Static<typeof LineSilenceSchema>

export const LineSnapshotSchema = Obj(
  {
    ...partBase,
    kind: Enum(['sip', 'analog', 'gsm'] as const),
    numbers: Type.Array(Type.String()),
    channels: Type.Integer(),
    modem: Nullable(Type.String()),
    lastCallAt: Nullable(Ms()),
    lastCallerId: Nullable(Type.String()),
    callsThisHour: Type.Integer(),
    expectedCalls: Nullable(Type.Number(), "Expected incoming calls per hour now, from the line's own history; null until it has enough."),
    silence: Nullable(LineSilenceSchema, 'The silence since the last call and how improbable it is; null while the line is not watched.'),
    signals: Type.Record(Type.String(), LineSignalSchema, {
      description: 'What each source says of the line: `modem`, `options` (SIP OPTIONS), `registration` (the PBX), `voltage` (analog), `calls` (the calls seen). The state is the worst of them, after hysteresis (`transition`); `firm` words need none.',
    }),
    analog: Nullable(AnalogLineStateSchema, "An analog line's FXO inputs: the line voltage, the ring in progress, the last ring's cadence; null for other lines."),
    channelUse: ChannelUseSchema,
    routable: Type.Boolean({ description: 'Offered for outgoing calls (false while the line is down, unless lines[].withdrawWhenDown is off).' }),
    transition: Nullable(Obj({ to: PartStateSchema, reason: Type.String(), since: Ms(), at: Nullable(Ms()) }, closed), 'A change of state waiting for its hysteresis (a hold-down before up, reports before down); null when none.'),
    probe: Nullable(Obj({ code: Nullable(Type.Integer()), reason: Type.String(), rttMs: Nullable(Type.Number()), at: Ms() }, closed), 'The last SIP OPTIONS probe of a sip line: the status code (null: no answer), the reason and the round trip.'),
    lastTestCall: Nullable(Obj({ at: Ms(), ok: Type.Boolean(), detail: Type.String() }, closed), 'The last test call: the only proof that the line takes calls.'),
  },
  { ...closed, description: 'A phone line: `<base>/line/<id>` (retained).' },
)
export type LineSnapshot = Static<typeof LineSnapshotSchema>

export const UplinkSnapshotSchema = Obj(
  {
    ...partBase,
    interface: Type.String(),
    preference: Type.Number({ description: 'Lower is preferred.' }),
    metered: Type.Boolean({ description: 'Paid by the byte: used only when every other uplink is down.' }),
    active: Type.Boolean({ description: 'The default route goes through it (or would, in report mode).' }),
    lossPct: Nullable(Type.Number(), 'Over the sliding window of probe rounds; null until something answered.'),
    rttMs: Nullable(Type.Number()),
    jitterMs: Nullable(Type.Number()),
    rFactor: Nullable(Type.Number(), 'What a call over it would sound like (E-model): R 0…100; null until the window has 10 rounds.'),
    mos: Nullable(Type.Number(), 'MOS 1…4.5; null until the window has 10 rounds.'),
    probes: Type.Array(Obj({ target: Type.String(), ok: Type.Boolean(), rttMs: Nullable(Type.Number()), error: Type.Optional(Type.String()) }, closed), { description: 'The last round, target by target.' }),
    holdDownMs: Type.Number({ description: 'The wait before traffic fails back to it once it is up again (doubled while it flaps).' }),
    failbackAt: Nullable(Ms(), 'From when traffic may fail back to it; null while it is down.'),
  },
  { ...closed, description: 'An internet uplink: `<base>/uplink/<id>` (retained).' },
)
export type UplinkSnapshot = Static<typeof UplinkSnapshotSchema>

export const LampColorSchema = Enum(['green', 'amber', 'red', 'off'] as const)
export type LampColor = Static<typeof LampColorSchema>
/** How a lamp shows its colour; the timings are in src/panel/patterns.ts (PATTERNS). */
export const LampPatternSchema = Enum(['steady', 'blink', 'fast', 'heartbeat', 'error', 'off'] as const)
export type LampPattern = Static<typeof LampPatternSchema>
export const BuzzerPatternSchema = Enum(['steady', 'intermittent', 'chirp', 'off'] as const)
export type BuzzerPattern = Static<typeof BuzzerPatternSchema>

export const SeveritySchema = Enum(['critical', 'major', 'minor', 'info'] as const)
export type Severity = Static<typeof SeveritySchema>

export const LampSnapshotSchema = Obj({ id: Type.String(), source: Type.String(), color: LampColorSchema, pattern: LampPatternSchema }, closed)
export type LampSnapshot = Static<typeof LampSnapshotSchema>

export const PanelSnapshotSchema = Obj(
  {
    lamps: Type.Array(LampSnapshotSchema),
    summary: Obj({ color: LampColorSchema, pattern: LampPatternSchema }, { ...closed, description: 'The worst of every line, modem and uplink: what a stack light shows.' }),
    buzzer: Obj(
      {
        on: Type.Boolean({ description: 'Sounding (in its pattern) now.' }),
        pattern: BuzzerPatternSchema,
        severity: Nullable(SeveritySchema, 'The worst alert that sounds it; null when quiet.'),
        muted: Type.Boolean({ description: 'Alerts are raised but the silence button muted them all.' }),
        quiet: Type.Boolean({ description: 'It would sound, but it is quiet hours.' }),
      },
      closed,
    ),
    test: Nullable(Obj({ since: Ms(), until: Ms() }, closed), 'The lamp test: every lamp lit from `since` until `until` (and a short beep at the start), whatever lamps[] say.'),
    outputs: Type.Record(Type.String(), Obj({ ok: Type.Boolean(), error: Type.Optional(Type.String()), shows: Type.Optional(Type.String()) }, closed), {
      description: "Each physical output (`gpio`: the board's lamps; `modbus`: a stack light, with the lamp it shows): working or not.",
    }),
    ts: Ms(),
  },
  { ...closed, description: 'What the lamps and the buzzer show: `<base>/panel` (retained).' },
)
export type PanelSnapshot = Static<typeof PanelSnapshotSchema>

export const AlertRecordSchema = Obj(
  {
    id: Type.String(),
    severity: SeveritySchema,
    sms: Type.Optional(Type.Boolean({ description: 'Sent by SMS whatever alerts.sms.always says: nothing else can get out (every wired uplink down).' })),
    source: Type.String(),
    state: Enum(['raised', 'cleared'] as const),
    message: Type.String(),
    acknowledged: Type.Optional(Obj({ by: Nullable(Type.String()), at: Ms() }, { ...closed, description: 'Acknowledged by a person (the office\'s alert-ack): still raised, but the buzzer no longer sounds for it.' })),
    ts: Ms(),
  },
  { ...closed, description: 'An alert raised or cleared: `<base>/alert` (QoS 1).' },
)
export type AlertRecord = Static<typeof AlertRecordSchema>

export const BoxInfoSchema = Obj({ site: Type.String(), box: Type.String(), version: Type.String(), startedAt: Ms() }, closed)
export type BoxInfo = Static<typeof BoxInfoSchema>

export const SitePhoneSchema = Obj(
  {
    primary: Nullable(Type.String(), 'The number to show: the first number of the first working line (null when no line works).'),
    numbers: Type.Array(Type.String(), { description: 'Every number, working lines first (config order within each group).' }),
    lines: Type.Array(Obj({ id: Type.String(), state: PartStateSchema, numbers: Type.Array(Type.String()) }, closed), { description: 'The lines by state, for whoever wants to say more.' }),
    ts: Ms(),
  },
  { ...closed, description: "`<base>/site/phone` (retained): the store's numbers, those of working lines first." },
)
export type SitePhone = Static<typeof SitePhoneSchema>

export const CALLS_KEPT = 100

export const CallRecordSchema = Obj(
  {
    id: Type.String({ description: '`<modem>-<start ms>`: the same for the ringing and the ended record of one call.' }),
    direction: Enum(['in', 'out'] as const),
    line: Nullable(Type.String()),
    modem: Type.String(),
    callerId: Nullable(Type.String(), 'Incoming: the caller, E.164 when the network said international, as sent otherwise, null when withheld. Outgoing: null.'),
    dialed: Nullable(Type.String(), 'Outgoing: the number dialled. Incoming: null.'),
    state: CallStateSchema,
    outcome: Nullable(CallOutcomeSchema),
    startedAt: Ms(),
    answeredAt: Nullable(Ms()),
    endedAt: Nullable(Ms()),
    ts: Ms(),
  },
  { ...closed, description: 'A call the box saw: what `<base>/call` carries and GET /api/v1/calls lists.' },
)
export type CallRecord = Static<typeof CallRecordSchema>

export const SnapshotSchema = Obj(
  {
    box: BoxInfoSchema,
    modems: Type.Record(Type.String(), ModemSnapshotSchema),
    lines: Type.Record(Type.String(), LineSnapshotSchema),
    uplinks: Type.Record(Type.String(), UplinkSnapshotSchema),
    panel: PanelSnapshotSchema,
    alerts: Type.Record(Type.String(), AlertRecordSchema, { description: 'Alerts raised and not yet cleared.' }),
    calls: Type.Array(CallRecordSchema, { description: 'The most recent calls, newest last (at most CALLS_KEPT).' }),
    sitePhone: Nullable(SitePhoneSchema, "The numbers the store's web site should show, working lines first; null until the lines are known."),
  },
  closed,
)
export type Snapshot = Static<typeof SnapshotSchema>

export type PartKind = 'modem' | 'line' | 'uplink'

export const RoutedCallRecordSchema = Obj(
  {
    type: Type.Literal('routed'),
    path: Type.String(),
    line: Type.String(),
    to: Type.String({ description: 'The number in E.164.' }),
    outcome: Enum(['answered', 'busy', 'no-answer', 'failed'] as const),
    cause: Nullable(Type.String()),
    seconds: Type.Number(),
    cost: Type.Number({ description: "What it cost on the path's plan; the part a bundle covered is free." }),
    currency: Type.String(),
    bundle: Nullable(Type.String()),
    bundleSeconds: Type.Integer({ minimum: 0, description: 'Of `seconds`, the part the bundle covered (free).' }),
    baselineCost: Nullable(Type.Number({ description: "What the call would have cost at the list price of the baseline path (`routing.baselinePath`, default the first path): `baselineCost - cost` is routing's saving. null when that path's deck has no price for the number." })),
    ts: Ms(),
  },
  { ...closed, description: "A routed outgoing call's attempt as the PBX reported it, priced: on `<base>/call` with `type: \"routed\"`." },
)
export type RoutedCallRecord = Static<typeof RoutedCallRecordSchema>

export const BundleStatusSchema = Obj(
  { plan: Type.String(), bundle: Type.String(), path: Nullable(Type.String()), secondsLeft: Nullable(Type.Number()) },
  { ...closed, description: "A pool of bundle minutes: a path's own (`path`), or the plan's when the bundle is shared (`path` null)." },
)
export type BundleStatus = Static<typeof BundleStatusSchema>

const IncomingFiguresSchema = Obj(
  {
    offered: Type.Integer(),
    answered: Type.Integer(),
    missed: Type.Integer(),
    abandoned: Type.Integer(),
    unknown: Type.Integer({ description: "Calls only an analog line's ring detect saw: whether they were answered is not known." }),
    serviceLevel: Nullable(Type.Number(), "Answered within the target's seconds, of the calls offered whose answer is known (all but `unknown`), in %; null with none."),
    answerSeconds: Obj({ mean: Nullable(Type.Number()), p90: Nullable(Type.Number()) }, { ...closed, description: 'Speed of answer: the ring time of answered calls.' }),
    talkSeconds: Nullable(Type.Number(), 'Mean talk time of answered calls.'),
  },
  closed,
)
const OutgoingFiguresSchema = Obj(
  { attempts: Type.Integer(), answered: Type.Integer(), asr: Nullable(Type.Number()), acd: Nullable(Type.Number()), minutes: Type.Number(), cost: Type.Number() },
  closed,
)
const LineDayFiguresSchema = Obj({ incoming: IncomingFiguresSchema, outgoing: OutgoingFiguresSchema }, closed)

/** A day's call figures (docs/stats.md): today's in `<base>/stats` (`calls`), a finished day's on `<base>/stats/day`. */
export const DayFiguresSchema = Obj(
  {
    day: Type.String({ description: "The site's day, YYYY-MM-DD." }),
    serviceLevelTarget: Obj({ percent: Type.Number(), seconds: Type.Number() }, closed),
    lines: Type.Record(Type.String(), LineDayFiguresSchema, { description: 'Per line id, and `*` for the whole store.' }),
    hours: Type.Array(Obj({ hour: Type.Integer({ minimum: 0, maximum: 23 }), offered: Type.Integer(), answered: Type.Integer(), serviceLevel: Nullable(Type.Number()) }, closed), {
      description: "The whole store's incoming calls by site hour (hours with calls only).",
    }),
    busiestHour: Nullable(Obj({ hour: Type.Integer(), offered: Type.Integer() }, closed)),
    missed: Obj(
      { count: Type.Integer({ description: 'Missed or abandoned calls with a caller ID.' }), open: Type.Integer({ description: 'Of those, not called back (nor answered again) yet.' }), followedUpWithin15Minutes: Nullable(Type.Number()) },
      closed,
    ),
    testCalls: Type.Integer({ description: 'The box\'s own test calls, left out of the figures.' }),
    ts: Ms(),
  },
  { ...closed, description: "A day's call figures." },
)
export type DayFigures = Static<typeof DayFiguresSchema>

const RoutingTotalsSchema = Obj({ attempts: Type.Integer(), answered: Type.Integer(), seconds: Type.Number(), cost: Type.Number() }, closed)
export const RoutingStatsSchema = Obj(
  {
    day: Type.String({ description: 'The site\'s day, YYYY-MM-DD.' }),
    currency: Nullable(Type.String()),
    paths: Type.Record(Type.String(), RoutingTotalsSchema),
    total: RoutingTotalsSchema,
    bundles: Type.Array(BundleStatusSchema),
    calls: Type.Optional(DayFiguresSchema),
    ts: Ms(),
  },
  { ...closed, description: "`<base>/stats` (retained): today's routed calls, site time, per path, the bundles' minutes left, and (`calls`) today's call figures." },
)
export type RoutingStats = Static<typeof RoutingStatsSchema>

export const UplinkEventSchema = Obj(
  {
    type: Type.Literal('uplink'),
    from: Nullable(Type.String()),
    to: Nullable(Type.String()),
    reason: Type.String(),
    routes: Enum(['set', 'reported', 'failed'] as const, 'set: the default route moved; reported: report mode (the routes are someone else\'s); failed: iproute2 refused (detail).'),
    conntrack: Nullable(Type.String(), 'Connection-tracking entries of the old uplink deleted, or why not.'),
    detail: Type.String(),
    ts: Ms(),
  },
  { ...closed, description: "The box's traffic moved to another uplink (the PBX should re-register its SIP trunks now). `from` null: the first choice after start." },
)
export type UplinkEvent = Static<typeof UplinkEventSchema>

export const RouteEventSchema = Obj(
  { type: Type.Literal('route'), line: Type.String(), routable: Type.Boolean(), reason: Type.String(), ts: Ms() },
  { ...closed, description: 'A line taken out of outgoing routing (down), or offered again.' },
)
export type RouteEvent = Static<typeof RouteEventSchema>

export const DivertEventSchema = Obj(
  { type: Type.Literal('divert'), line: Type.String(), on: Type.Boolean(), via: Type.String({ description: 'The relay: `GPIO 13`, or `modbus /dev/ttyUSB0 slave 3 coil 0`.' }), ok: Type.Boolean(), detail: Type.String(), ts: Ms() },
  { ...closed, description: "The divert relay switched (on: the analog line's calls go to the GSM gateway), or a switch that failed and is retried." },
)
export type DivertEvent = Static<typeof DivertEventSchema>

export const TestCallEventSchema = Obj(
  { type: Type.Literal('test-call'), line: Type.String(), number: Type.String(), from: Nullable(Type.String(), 'The modem that dialled; null when none could.'), ok: Type.Boolean(), detail: Type.String(), ts: Ms() },
  { ...closed, description: "A test call: the box dialled a line's number from another modem and watched for the ring on the line." },
)
export type TestCallEvent = Static<typeof TestCallEventSchema>

export const SitePhoneEventSchema = Obj(
  { type: Type.Literal('site-phone'), primary: Nullable(Type.String()), state: Enum(['sent', 'failed'] as const), detail: Type.String(), ts: Ms() },
  { ...closed, description: "The site's number sent to its webhook (`sent` once acknowledged with a 2xx; `failed` attempts are retried)." },
)
export type SitePhoneEvent = Static<typeof SitePhoneEventSchema>

export const NotifyEventSchema = Obj(
  {
    type: Type.Literal('notify'),
    alert: Type.String({ description: 'The alert it was for.' }),
    channel: Type.Literal('sms'),
    to: Type.String({ description: "The contact's name." }),
    role: Type.String(),
    state: Enum(['sent', 'failed', 'suppressed', 'expired'] as const),
    detail: Type.String(),
    ts: Ms(),
  },
  { ...closed, description: 'An alert sent (or not) to a contact by SMS.' },
)
export type NotifyEvent = Static<typeof NotifyEventSchema>

/** Something the box did (an action taken for an alert): goes out on `<base>/event` (QoS 1). */
export const ActionEventSchemas = [NotifyEventSchema, SitePhoneEventSchema, TestCallEventSchema, RouteEventSchema, DivertEventSchema, UplinkEventSchema] as const
export type ActionEvent = NotifyEvent | SitePhoneEvent | TestCallEvent | RouteEvent | DivertEvent | UplinkEvent

/** Registered on a network that carries calls (home or roaming). */
export function isRegistered(r: Registration): boolean {
  return r === 'home' || r === 'roaming'
}
