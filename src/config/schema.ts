/**
 * The configuration's one source: these TypeBox definitions are both the
 * TypeScript types (Static<...>) and the JSON Schema the YAML is checked
 * against (published as schema/linewatch.schema.json by `npm run schema`).
 */
import { DECK_ENCODINGS } from '../lcr/deck-encoding.js'
import { CONFIG_VERSION } from './migrate.js'
import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** A modem's serial rates (also `linewatch sim modem --baud`). */
export const MODEM_BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const

const StringEnum = <T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts })

const Id = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
  description: 'Lower-case letters, digits, - and _; at most 32 characters. Used in MQTT topics.',
})

const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'A phone number in E.164 form, e.g. +74951234567' })

const Pin = Type.Unsafe<number | string>({
  type: ['integer', 'string'],
  minimum: 0,
  minLength: 1,
  description: 'A pin of the board: a number for the simulator, a name from boards/ for real boards',
})

const strict = { additionalProperties: false } as const

/** Where a Modbus RTU device is: the serial settings and the slave id. */
const ModbusLinkFields = {
  port: Type.String({ minLength: 1, description: 'The RS-485 adapter, e.g. /dev/ttyUSB0' }),
  baudRate: Type.Integer({ default: 9600, enum: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] }),
  parity: StringEnum(['none', 'even', 'odd'] as const, { default: 'none' }),
  stopBits: Type.Integer({ default: 1, enum: [1, 2] }),
  slaveId: Type.Integer({ minimum: 1, maximum: 247 }),
  timeoutMs: Type.Integer({ default: 500, minimum: 50, maximum: 10000 }),
}

export const ModemSchema = Type.Object(
  {
    id: Id,
    port: Type.String({
      minLength: 1,
      description: 'Serial device (a stable udev name such as /dev/gsm-gw1) or sim:<name> for a simulated modem',
    }),
    baudRate: Type.Integer({ default: 115200, enum: [...MODEM_BAUD_RATES] }),
    pollSeconds: Type.Number({ default: 10, minimum: 1, maximum: 3600, description: 'How often signal and registration are polled' }),
    commandTimeoutMs: Type.Integer({ default: 3000, minimum: 100, maximum: 180000, description: 'Time a command may take to reach its final result code' }),
    unansweredLimit: Type.Integer({ default: 2, minimum: 1, maximum: 20, description: 'Timeouts in a row after which the modem is called not answering' }),
    powerKey: Type.Optional(
      Type.Object(
        {
          pin: Pin,
          pulseMs: Type.Integer({
            default: 1600,
            minimum: 50,
            maximum: 10000,
            description: 'How long the key is held: long enough to switch a running module off (SIM800 ≥ 1.5 s, EC25 ≥ 650 ms) and short of a second toggle (SIM800 < 33 s)',
          }),
        },
        { ...strict, description: "The GPIO wired to the module's PWRKEY: the recovery ladder pulses it when a soft reset did not help" },
      ),
    ),
    powerCut: Type.Optional(
      Type.Object(
        {
          pin: Pin,
          cutLevel: Type.Integer({ default: 1, enum: [0, 1], description: 'The level that cuts the power: 1 for a relay or MOSFET that opens when driven high' }),
          offMs: Type.Integer({ default: 3000, minimum: 500, maximum: 60000, description: 'How long the supply stays off; long enough for the capacitors to drain' }),
        },
        { ...strict, description: "The GPIO that cuts the module's supply (a relay or a load switch): the last recovery step, for a module deaf even to its power key" },
      ),
    ),
    simPin: Type.Optional(
      Type.String({ pattern: '^[0-9]{4,8}$', description: "The SIM's PIN (4-8 digits), entered when the module asks for it; a PIN the SIM refused is never tried again" }),
    ),
    simPinFile: Type.Optional(Type.String({ minLength: 1, description: 'The SIM PIN from a file of its own (its first line), relative to the config file; instead of simPin' })),
    balance: Type.Optional(
      Type.Object(
        {
          ussd: Type.String({ pattern: '^[*#][*#0-9]*#$', description: "The operator's balance USSD code, e.g. *100#" }),
          everyMinutes: Type.Integer({ default: 360, minimum: 5, maximum: 10080 }),
        },
        { ...strict, description: 'Check the SIM balance by USSD on a schedule' },
      ),
    ),
    bootWaitSeconds: Type.Integer({ default: 30, minimum: 1, maximum: 600, description: 'How long a module may take to boot after a reset before the next recovery step' }),
    quietSeconds: Type.Optional(
      Type.Integer({
        default: 8,
        minimum: 1,
        maximum: 600,
        description: 'In the first round of recovery, how long a module may stay silent after a step (no byte, no port change) before the step is taken as having done nothing; a value above bootWaitSeconds counts as bootWaitSeconds',
      }),
    ),
  },
  strict,
)

export const LineSchema = Type.Object(
  {
    id: Id,
    kind: StringEnum(['sip', 'analog', 'gsm'] as const),
    numbers: Type.Array(E164, { default: [], description: 'The numbers customers dial on this line, best first' }),
    channels: Type.Integer({ default: 1, minimum: 1, maximum: 1000 }),
    modem: Type.Optional({ ...Id, description: 'For a gsm line: the id of the modem (SIM channel) that carries it' }),
    pbxReports: Type.Boolean({ default: false, description: 'The PBX reports this line\'s incoming calls and (for a SIP trunk) its registration to POST /api/v1/lines/<id>/report' }),
    watchSilence: Type.Boolean({ default: true, description: 'Raise an alert when the line is silent for longer than its history makes likely' }),
    analog: Type.Optional(
      Type.Object(
        {
          voltage: Type.Optional(
            Type.Object(
              {
                pin: Pin,
                presentLevel: Type.Integer({ default: 0, enum: [0, 1], description: 'The level the input reads while the line has voltage: 0 for an opto-coupler pulling a pulled-up input to ground' }),
                pullUp: Type.Boolean({ default: true }),
                settleMs: Type.Integer({ default: 500, minimum: 0, maximum: 60000, description: 'How long a level must hold before it is believed (ringing and off-hook make a detector flicker)' }),
              },
              { ...strict, description: 'Line voltage sense: the line is down at once when the voltage goes. Set the detector so an off-hook line (about 8 V) still reads as present' },
            ),
          ),
          ring: Type.Optional(
            Type.Object(
              {
                pin: Pin,
                ringingLevel: Type.Integer({ default: 0, enum: [0, 1], description: 'The level the input reads while ringing voltage is on' }),
                pullUp: Type.Boolean({ default: true }),
                pulseGapMs: Type.Integer({ default: 100, minimum: 10, maximum: 1000, description: 'Edges closer than this are one burst (a 25 Hz ring through an opto-coupler pulses every 20 ms)' }),
                minBurstMs: Type.Integer({ default: 150, minimum: 0, maximum: 5000, description: 'A shorter burst is noise (a spike, pulse dialling), not a ring' }),
                maxBurstMs: Type.Integer({ default: 3000, minimum: 100, maximum: 10000, description: 'A longer burst is not a ring (a stuck detector)' }),
                callGapMs: Type.Integer({ default: 8000, minimum: 1000, maximum: 60000, description: 'Rings closer than this are one call (the cadence pause is 4 s in most countries)' }),
              },
              { ...strict, description: 'Ring detect: its pulses become rings and incoming calls' },
            ),
          ),
          divert: Type.Optional(
            Type.Object(
              {
                pin: Type.Optional(Pin),
                activeLevel: Type.Integer({ default: 1, enum: [0, 1], description: 'The level that switches a GPIO relay over to the GSM gateway' }),
                modbus: Type.Optional(
                  Type.Object(
                    {
                      ...ModbusLinkFields,
                      coil: Type.Integer({ minimum: 0, maximum: 65535, description: "The relay module's coil (0-based address)" }),
                    },
                    { ...strict, description: 'A coil of a Modbus RTU relay module instead of a GPIO pin' },
                  ),
                ),
              },
              { ...strict, description: "A relay (a GPIO pin or a Modbus coil) that moves the line's calls to the GSM gateway while the line is down" },
            ),
          ),
        },
        { ...strict, description: 'For an analog line: the GPIO inputs of the FXO port and the divert relay' },
      ),
    ),
    withdrawWhenDown: Type.Boolean({ default: true, description: 'Take the line out of outgoing routing while it is down' }),
    hysteresis: Type.Object(
      {
        downAfter: Type.Integer({ default: 1, minimum: 1, maximum: 20, description: 'Reports in a row that the line is worse before it is called so (each SIP probe, modem change, PBX report)' }),
        downAfterSeconds: Type.Integer({ default: 0, minimum: 0, maximum: 3600, description: '…and for at least this long. A firm report (the line voltage gone) needs neither' }),
        upAfter: Type.Integer({ default: 1, minimum: 1, maximum: 20, description: 'Reports in a row that the line is better before it is called so' }),
        holdDownSeconds: Type.Integer({ default: 120, minimum: 0, maximum: 86400, description: 'How long a line that was down or degraded must stay good before it is called so; doubled (up to 16 times) while it flaps' }),
      },
      { ...strict, default: {}, description: 'How sure the box must be before a line changes state' },
    ),
    sip: Type.Optional(
      Type.Object(
        {
          proxy: Type.String({ minLength: 1, description: 'The carrier\'s SIP proxy (host name or address) the trunk registers to' }),
          port: Type.Integer({ default: 5060, minimum: 1, maximum: 65535 }),
          transport: StringEnum(['udp', 'tcp'] as const, { default: 'udp' }),
          everySeconds: Type.Integer({ default: 30, minimum: 5, maximum: 3600, description: 'How often OPTIONS is sent' }),
          timeoutMs: Type.Integer({ default: 2000, minimum: 200, maximum: 30000, description: 'How long an answer may take (UDP is resent from 500 ms, doubling)' }),
          downAfter: Type.Integer({ default: 3, minimum: 1, maximum: 20, description: 'Unanswered probes in a row before the line is down' }),
        },
        { ...strict, description: 'For a sip line: the OPTIONS keepalive to the carrier\'s proxy' },
      ),
    ),
  },
  strict,
)

const IPv4 = Type.String({ pattern: '^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$', description: 'An IPv4 address' })

export const ProbeTargetSchema = Type.Object(
  {
    type: StringEnum(['icmp', 'tcp', 'http', 'dns'] as const, { description: 'icmp: ping bound to the interface; tcp: a connect from the interface\'s address; http: a GET; dns: an A query to a server' }),
    host: Type.Optional(Type.String({ minLength: 1, description: 'icmp and tcp: the host; dns: the server' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'tcp: the port (required); dns: the server\'s port (53)' })),
    url: Type.Optional(Type.String({ pattern: '^https?://', description: 'http: the URL; any answer below 500 counts' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'dns: the name asked for (default example.com); any answer, NXDOMAIN included, counts' })),
  },
  { ...strict, description: 'Something on the internet that should answer through the uplink' },
)

export const UplinkSchema = Type.Object(
  {
    id: Id,
    interface: Type.String({ minLength: 1, maxLength: 15, description: 'Network interface name, e.g. eth0' }),
    gateway: Type.Optional({ ...IPv4, description: 'The next hop of the uplink\'s default route; needed when failover.routes is "metrics"' }),
    preference: Type.Optional(Type.Integer({ minimum: 1, maximum: 99, description: 'Lower is preferred; default: the order in the list' })),
    metered: Type.Boolean({ default: false, description: 'Paid by the byte (cellular): used only when every other uplink is down, probed less often while not in use' }),
    probes: Type.Object(
      {
        targets: Type.Array(ProbeTargetSchema, { minItems: 1, maxItems: 8, description: 'Probed in parallel each round; use hosts of different operators' }),
        failWhen: Type.Optional(Type.Integer({ minimum: 1, maximum: 8, description: 'A round fails when at least this many targets fail (k of n); default: all of them' })),
        everyMs: Type.Integer({ default: 1000, minimum: 200, maximum: 60000, description: 'A probe round this often' }),
        timeoutMs: Type.Integer({ default: 1000, minimum: 100, maximum: 30000, description: 'How long each probe may take; at most everyMs' }),
        standbyEveryMs: Type.Integer({ default: 30000, minimum: 1000, maximum: 600000, description: 'A metered uplink not in use is probed this often, to save data' }),
        suspectTimeoutMs: Type.Integer({ default: 250, minimum: 0, maximum: 30000, description: 'Suspicion: when a working uplink\'s round has not answered within this long, downAfter-1 quick rounds follow at once, each probe given this long (or 4x the slowest answer in the window, if longer; at most timeoutMs); 0: off' }),
      },
      strict,
    ),
    thresholds: Type.Object(
      {
        downAfter: Type.Integer({ default: 3, minimum: 1, maximum: 60, description: 'Failed rounds in a row before the uplink is down' }),
        downLossPct: Type.Number({ default: 50, minimum: 1, maximum: 100, description: '…or this much probe loss over the window' }),
        upAfter: Type.Integer({ default: 5, minimum: 1, maximum: 60, description: 'Good rounds in a row before a down uplink is up again' }),
        upLossPct: Type.Number({ default: 20, minimum: 0, maximum: 99, description: '…with at most this much loss over the last 2×upAfter rounds' }),
        windowRounds: Type.Integer({ default: 30, minimum: 5, maximum: 600, description: 'The sliding window for loss, round trip, jitter and MOS' }),
        degradedMos: Type.Number({ default: 3.6, minimum: 1, maximum: 4.5, description: 'Degraded when the estimated MOS of a call falls below this' }),
        recoverMos: Type.Number({ default: 3.8, minimum: 1, maximum: 4.5, description: 'Up again from degraded when the MOS is back at or above this' }),
      },
      { ...strict, default: {} },
    ),
    holdDownSeconds: Type.Integer({ default: 30, minimum: 0, maximum: 3600, description: 'How long a preferred uplink must be up again before traffic fails back to it; doubles while it flaps' }),
  },
  strict,
)

export const FailoverSchema = Type.Object(
  {
    routes: StringEnum(['metrics', 'report'] as const, {
      default: 'metrics',
      description: 'metrics: the box keeps the default route on the best uplink by route metrics (iproute2, needs CAP_NET_ADMIN); report: only reports (NetworkManager owns the routes)',
    }),
    metric: Type.Integer({ default: 10, minimum: 0, maximum: 100000, description: 'The metric of the chosen uplink\'s default route; the others get metric + 100 + their rank' }),
    table: Type.Integer({ default: 100, minimum: 1, maximum: 250, description: 'metrics mode: uplink i gets routing table table+i and a rule "from its address", so its probes leave by it' }),
    watchCarrier: Type.Boolean({ default: true, description: 'An uplink whose interface loses its carrier (cable pulled, modem gone) is down at once, seen by one long-lived `ip monitor link`; its probes still decide when it is back' }),
    flushConntrack: Type.Boolean({ default: true, description: 'After a switch, delete the dead uplink\'s connection-tracking entries (when conntrack is installed)' }),
    meteredReportSeconds: Type.Integer({ default: 300, minimum: 0, maximum: 86400, description: 'While on a metered uplink, state goes to MQTT at most this often (alerts and events at once); 0: as usual' }),
  },
  { ...strict, default: {}, description: 'Internet failover between the uplinks' },
)

const Hhmm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'HH:MM, site time' })

const Days = Type.Array(StringEnum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const), { minItems: 1 })

export const LampSchema = Type.Object(
  {
    id: Id,
    source: Type.String({
      pattern: '^((line|modem|uplink)/[a-z0-9][a-z0-9_-]{0,31}|system|summary)$',
      description: 'What the lamp shows: line/<id>, modem/<id>, uplink/<id>; system (heartbeat while the firmware runs, a distinct pattern on a config error); summary (the worst of every line, modem and uplink)',
    }),
    green: Pin,
    red: Pin,
    amber: Type.Optional({ ...Pin, description: 'A separate amber LED; without it amber is shown with both dies of a bi-colour lamp lit' }),
  },
  strict,
)

const BuzzPattern = StringEnum(['steady', 'intermittent', 'chirp', 'off'] as const)


const Coil = Type.Integer({ minimum: 0, maximum: 65535, description: 'A coil address (0-based)' })

export const StackLightSchema = Type.Object(
  {
    ...ModbusLinkFields,
    shows: Type.String({ default: 'summary', pattern: '^(summary|[a-z0-9][a-z0-9_-]{0,31})$', description: 'summary (the worst of everything), or the id of one of panel.lamps' }),
    coils: Type.Object({ red: Coil, amber: Type.Optional(Coil), green: Coil, buzzer: Type.Optional(Coil) }, { ...strict, description: 'Which coil lights which tier (and sounds the buzzer)' }),
    retrySeconds: Type.Integer({ default: 5, minimum: 1, maximum: 300, description: 'A lost link is first tried again after this long, then at doubling intervals up to a minute (or retrySeconds, if longer); the GPIO panel keeps working meanwhile' }),
    refreshSeconds: Type.Integer({ default: 10, minimum: 1, maximum: 3600, description: 'While the panel is steady, the whole frame is written again this often: a slave that stopped answering or an unplugged adapter is found, and a light that was power-cycled shows the true frame again' }),
  },
  { ...strict, description: 'A stack light or a relay module on Modbus RTU (RS-485): its coils mirror one lamp of the panel and the buzzer' },
)

export const PanelSchema = Type.Object(
  {
    lamps: Type.Array(LampSchema, { default: [] }),
    buzzer: Type.Optional(
      Type.Object(
        {
          pin: Pin,
          passive: Type.Boolean({ default: false, description: "A passive piezo: driven with the board's PWM (a tone) instead of a steady level" }),
          critical: { ...BuzzPattern, default: 'steady' },
          major: { ...BuzzPattern, default: 'intermittent' },
          minor: { ...BuzzPattern, default: 'off' },
        },
        { ...strict, description: 'How the buzzer sounds for the worst alert raised and not silenced: steady, intermittent (1 s on, 1 s off), chirp (a short beep every 10 s) or off' },
      ),
    ),
    button: Type.Optional(
      Type.Object(
        {
          pin: Pin,
          activeLow: Type.Boolean({ default: true, description: 'Button wired to ground with a pull-up' }),
          holdSeconds: Type.Integer({ default: 3, minimum: 1, maximum: 30, description: 'Held this long, the button runs the lamp test' }),
        },
        { ...strict, description: 'The silence button: a press mutes the buzzer until the next new fault' },
      ),
    ),
    quietHours: Type.Array(Type.Object({ days: Days, from: Hhmm, to: Hhmm }, strict), {
      default: [],
      description: 'Site time windows without the buzzer (the lamps still show everything); a window may not wrap midnight: split it in two',
    }),
    lampTestMs: Type.Integer({ default: 1000, minimum: 0, maximum: 10000, description: 'The lamp test at start-up and on demand: every lamp lit for this long; 0: none at start-up' }),
    modbus: Type.Optional(StackLightSchema),
  },
  { ...strict, default: {} },
)

export const ContactSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    role: StringEnum(['leader', 'senior', 'engineer', 'owner'] as const),
    phone: Type.Optional(E164),
  },
  strict,
)

export const AlertsSchema = Type.Object(
  {
    language: StringEnum(['en', 'ru'] as const, { default: 'en' }),
    contacts: Type.Array(ContactSchema, { default: [] }),
    sms: Type.Object(
      {
        always: Type.Boolean({ default: false, description: 'Every alert by SMS too; when false, SMS only while the box cannot reach its MQTT broker (the internet is down)' }),
        roles: Type.Array(StringEnum(['leader', 'senior', 'engineer', 'owner'] as const), { default: ['leader', 'senior'], description: 'Who gets alerts by SMS' }),
        modems: Type.Array(Id, { default: [], description: 'The modems that may send them, in order; empty: any that is up' }),
        maxPerHour: Type.Integer({ default: 6, minimum: 1, maximum: 60, description: 'SMS per contact per hour at most; the rest are counted and said in the next one' }),
        offlineSeconds: Type.Integer({ default: 60, minimum: 10, maximum: 3600, description: 'How long the broker must be out of reach before the internet counts as down' }),
      },
      { ...strict, default: {}, description: 'Alerts to the contacts by SMS through the gateway' },
    ),
  },
  { ...strict, default: {} },
)


export const SilenceSchema = Type.Object(
  {
    businessHours: Type.Array(
      Type.Object({ days: Type.Array(StringEnum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const), { minItems: 1 }), from: Hhmm, to: Hhmm }, strict),
      { default: [], description: 'When the fixed rule counts silence; empty: always' },
    ),
    fixedMinutes: Type.Integer({ default: 30, minimum: 5, maximum: 1440, description: 'The fixed rule: no call for this long in business hours' }),
    falseAlarmProbability: Type.Number({ default: 0.001, exclusiveMinimum: 0, maximum: 0.1, description: 'The adaptive detector: the chance per hour that a healthy line is flagged (0.001: about one false alarm in 1000 hours of a line)' }),
    learnHours: Type.Integer({ default: 336, minimum: 24, maximum: 720, description: 'Hours of a line\'s history (old weeks fading with a 4-week half-life, so at most ~970) before the adaptive detector replaces the fixed rule' }),
    testCalls: Type.Object(
      {
        perDay: Type.Integer({ default: 120, minimum: 0, maximum: 2880, description: 'Test calls the silence watch may place in any 24 hours, all lines together, to settle a suspect silence or to cover hours when the statistics cannot see a dead line; 0: none' }),
        withinMinutes: Type.Integer({ default: 30, minimum: 10, maximum: 1440, description: 'A dead line is to be flagged within this long at any hour: a line silent nearly this long is tested' }),
      },
      { ...strict, default: {}, description: 'Test calls placed by the silence watch (lines the box can test: testCalls)' },
    ),
  },
  { ...strict, default: {}, description: 'Silence detection: a line with no incoming calls for longer than likely is probably dead' },
)

export const NumberingSchema = Type.Object(
  {
    countryCode: Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'The site\'s country calling code without +, e.g. 7' }),
    nationalPrefix: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}$', description: 'Dialled before a national number, e.g. 8 (Russia) or 0' })),
    internationalPrefix: Type.Optional(Type.String({ pattern: '^[0-9]{2,4}$', description: 'Dialled before an international number, e.g. 810 (Russia) or 00' })),
    areaCode: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'The site\'s area code without the national prefix, e.g. 495: a short local number dialled by the PBX gets it in front' })),
    localDigits: Type.Optional(Type.Integer({ minimum: 4, maximum: 10, description: 'How many digits a local number has (7 in Moscow): a number of this length is local' })),
  },
  { ...strict, description: 'The site\'s numbering plan: caller IDs sent in national form (89161234567) are written in E.164 (+79161234567)' },
)


export const DeckColumnsSchema = Type.Object(
  {
    prefix: Type.Optional(Type.String({ minLength: 1 })),
    rate: Type.Optional(Type.String({ minLength: 1 })),
    connectionFee: Type.Optional(Type.String({ minLength: 1 })),
    increments: Type.Optional(Type.String({ minLength: 1, description: 'One column such as "60/60", "30/6" or "1/1"' })),
    firstIncrement: Type.Optional(Type.String({ minLength: 1 })),
    nextIncrement: Type.Optional(Type.String({ minLength: 1 })),
    minimumCharge: Type.Optional(Type.String({ minLength: 1 })),
    validFrom: Type.Optional(Type.String({ minLength: 1 })),
    validTo: Type.Optional(Type.String({ minLength: 1 })),
    band: Type.Optional(Type.String({ minLength: 1 })),
  },
  { ...strict, description: 'The header names of a deck that names its columns differently (the usual names are guessed)' },
)

export const PlanSchema = Type.Object(
  {
    id: Id,
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. RUB, EUR' }),
    deck: Type.Object(
      {
        file: Type.String({ minLength: 1, description: 'The rate deck (CSV with a header row); relative to the config file' }),
        columns: Type.Optional(DeckColumnsSchema),
        encoding: Type.Optional(StringEnum(DECK_ENCODINGS, { description: 'The file\'s character set; by default a byte-order mark decides, else UTF-8 when the bytes are valid UTF-8, else Windows-1251 (Excel on a Russian Windows)' })),
      },
      strict,
    ),
    bands: Type.Array(Type.Object({ name: Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }), days: Days, from: Hhmm, to: Hhmm }, strict), {
      default: [],
      description: 'Time bands (site time), first match wins: a deck row with a band applies only in it',
    }),
    bundles: Type.Array(
      Type.Object(
        {
          id: Id,
          minutes: Type.Optional(Type.Integer({ minimum: 1, description: 'Free minutes per period' })),
          unlimited: Type.Boolean({ default: false, description: 'Unlimited to the listed prefixes (up to fairUseMinutes)' }),
          per: StringEnum(['month', 'day'] as const, { default: 'month' }),
          resetDay: Type.Integer({ default: 1, minimum: 1, maximum: 28, description: 'The day of the month the minutes start again' }),
          prefixes: Type.Array(Type.String({ pattern: '^[0-9]{1,15}$' }), { default: [], description: 'E.164 prefixes without +; empty: every destination' }),
          fairUseMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
          shared: Type.Boolean({ default: false, description: 'One pool of minutes for every path on this plan (a shared family or corporate pool); by default each path (SIM) has its own, as operators sell them' }),
        },
        strict,
      ),
      { default: [] },
    ),
  },
  strict,
)

export const PathSchema = Type.Object(
  {
    id: Id,
    line: Id,
    dial: Type.String({ minLength: 1, description: 'The dial string for the PBX: {e164} (+7…), {digits} (7…), {national} (8…) are filled in, e.g. PJSIP/{e164}@carrier-a' }),
    plan: Id,
    channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default: the line\'s channels' })),
    callerIds: Type.Optional(Type.Array(E164, { minItems: 1, description: 'The numbers it can show; default: the line\'s own numbers (a SIM or an analog line shows only its own)' })),
  },
  strict,
)

export const RoutingSchema = Type.Object(
  {
    callerIds: Type.Array(E164, { default: [], description: 'The store\'s numbers an outgoing call may show; a path that can show none of them is left out. Empty: any of the lines\' numbers' }),
    expectedSeconds: Type.Integer({ default: 60, minimum: 1, maximum: 7200, description: 'The duration a call is priced for until the destination\'s own average is learnt' }),
    breaker: Type.Object(
      {
        faults: Type.Integer({ default: 3, minimum: 1, maximum: 100, description: 'Path faults in a row (congestion, no channel, 503, 408) before the path is left out' }),
        openSeconds: Type.Integer({ default: 300, minimum: 5, maximum: 86400, description: 'How long it is left out before one call may try it again' }),
      },
      { ...strict, default: {} },
    ),
    qualityCalls: Type.Integer({ default: 50, minimum: 5, maximum: 10000, description: 'The answer-seizure ratio is over this many recent calls of a path' }),
    plans: Type.Array(PlanSchema, { default: [] }),
    paths: Type.Array(PathSchema, { default: [] }),
    baselinePath: Type.Optional({ ...Id, description: 'The path routing\'s saving is counted against: what each routed call would have cost on it at its list price (no bundle). Default: the first path' }),
  },
  { ...strict, default: {}, description: 'Least-cost routing: the PBX asks which paths to try for a number, cheapest healthy first' },
)

export const MqttSchema = Type.Object(
  {
    url: Type.String({ default: 'mqtt://127.0.0.1:1883', pattern: '^(mqtts?|wss?|tcp)://', description: 'Broker URL' }),
    baseTopic: Type.String({ default: 'linewatch', pattern: '^[^#+]+$', description: 'Topics are <baseTopic>/<site>/<box>/...' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    passwordFile: Type.Optional(Type.String({ minLength: 1, description: 'The password from a file of its own (its first line), relative to the config file; instead of password' })),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'mqtts/wss: the CA certificate (PEM file) the broker\'s certificate must chain to, relative to the config file; default: the system\'s CAs' })),
    cert: Type.Optional(Type.String({ minLength: 1, description: 'mqtts/wss: the box\'s client certificate (PEM file), relative to the config file; with key' })),
    key: Type.Optional(Type.String({ minLength: 1, description: 'mqtts/wss: the client certificate\'s private key (PEM file), relative to the config file; with cert' })),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    reconnectMinMs: Type.Integer({ default: 1000, minimum: 100 }),
    reconnectMaxMs: Type.Integer({ default: 60000, minimum: 1000 }),
    outboxKB: Type.Integer({
      default: 10240,
      minimum: 64,
      maximum: 1048576,
      description: 'The disk budget of the messages waiting for the broker (KiB); over it the oldest state events go first, then call records, alerts last, each drop counted and reported',
    }),
    officeAck: Type.Boolean({
      default: false,
      description: 'Keep every message until the office confirms it on <base>/ack (the highest seq it has stored), not only until the broker\'s PUBACK',
    }),
    disabledCommands: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Office commands (<base>/cmd/<name>) this box refuses, by name',
    }),
    protocol: StringEnum(['auto', '5', '3.1.1'] as const, {
      default: 'auto',
      description: 'auto: MQTT 5, and 3.1.1 with a broker that refuses 5 (the demo\'s embedded broker); 5 or 3.1.1: only that',
    }),
    willDelaySeconds: Type.Integer({
      default: 30,
      minimum: 0,
      maximum: 3600,
      description: 'MQTT 5: the broker says status offline only after the box has been away this long, so a reconnect (an uplink switch) shows nothing',
    }),
    sessionExpirySeconds: Type.Integer({
      default: 86400,
      minimum: 0,
      maximum: 2592000,
      description: 'MQTT 5: the broker keeps the box\'s session (its subscriptions and the commands sent to it) this long while it is away',
    }),
  },
  { ...strict, default: {} },
)

export const StatsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Keep a record of every call in <state>/calls.sqlite for the figures (docs/stats.md)' }),
    serviceLevel: Type.Object(
      {
        percent: Type.Number({ default: 80, minimum: 1, maximum: 100, description: 'The share of calls to answer in time, in %' }),
        seconds: Type.Integer({ default: 20, minimum: 1, maximum: 600, description: '…within this many seconds of ringing' }),
      },
      { ...strict, default: {}, description: 'The service level target: 80/20 = 80 % of the calls offered answered within 20 s' },
    ),
    retentionMonths: Type.Integer({ default: 13, minimum: 1, maximum: 120, description: 'Call records older than this are deleted' }),
    diskMB: Type.Integer({ default: 200, minimum: 5, maximum: 100000, description: 'The call records\' disk budget; over it the oldest go first' }),
    alerts: Type.Object(
      {
        serviceLevel: Type.Boolean({ default: false, description: 'Alert stats/service-level while this hour\'s service level is below the target (from 5 calls offered)' }),
        missedNotCalledBackMinutes: Type.Integer({ default: 0, minimum: 0, maximum: 1440, description: 'Alert stats/missed-calls while a missed call of today has not been called back for this long; 0: off' }),
      },
      { ...strict, default: {}, description: 'Alerts from the figures; off by default' },
    ),
  },
  { ...strict, default: {}, description: 'Call records and the figures made from them' },
)

export const HomeAssistantSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Announce the box to Home Assistant by MQTT discovery (retained configs under <discoveryPrefix>/)' }),
    discoveryPrefix: Type.String({ default: 'homeassistant', pattern: '^[A-Za-z0-9_-]+$', description: "Home Assistant's discovery prefix (its MQTT integration's setting)" }),
  },
  { ...strict, default: {}, description: 'Home Assistant MQTT discovery (docs/home-assistant.md)' },
)

export const HttpSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
    auth: Type.Union([Type.Literal('required'), Type.Literal('none')], { default: 'required', description: 'required: every route but /healthz and the login needs a login or a token; none: open to anyone who can reach it, allowed only with a loopback host (the demo)' }),
    token: Type.Optional(Type.String({ minLength: 16, description: 'An admin token for scripts (Authorization: Bearer); prefer named tokens (linewatch token add)' })),
    tokenFile: Type.Optional(Type.String({ minLength: 1, description: 'The token from a file of its own (its first line), relative to the config file; instead of token' })),
    tls: StringEnum(['auto', 'on', 'off'] as const, { default: 'auto', description: 'HTTPS: auto = on for a real board, off for board: sim; on = always; off = plain HTTP (a LAN you trust, or a proxy in front)' }),
    cert: Type.Optional(Type.String({ minLength: 1, description: 'HTTPS: your own certificate (PEM file), relative to the config file; with key. Default: a self-signed one made once per box in <state>/tls/' })),
    key: Type.Optional(Type.String({ minLength: 1, description: "HTTPS: that certificate's private key (PEM file), relative to the config file; with cert" })),
    sessionHours: Type.Integer({ default: 12, minimum: 1, maximum: 720, description: 'A login ends after this many hours without a request (an open page keeps it alive)' }),
    setupMinutes: Type.Integer({ default: 30, minimum: 0, maximum: 1440, description: 'With no web password set, the setup page is open this long after the box starts; 0: never (linewatch passwd only)' }),
  },
  { ...strict, default: {} },
)

export const StorageSchema = Type.Object(
  {
    dir: Type.Optional(Type.String({ minLength: 1, description: 'State folder; default /var/lib/linewatch, or ./.linewatch-state when that is not writable' })),
  },
  { ...strict, default: {} },
)

export const UpdateSchema = Type.Object(
  {
    confirmMinutes: Type.Integer({ default: 10, minimum: 2, maximum: 120, description: 'After an update, the new system has this long to be healthy (service active, /healthz ok, MQTT connected or no broker set) or it reboots and the box falls back to the previous system (docs/updates.md)' }),
  },
  { ...strict, default: {}, description: 'Updates in the field (docs/updates.md)' },
)

export const ConfigSchema = Type.Object(
  {
    configVersion: Type.Integer({ default: 1, minimum: 1, maximum: CONFIG_VERSION, description: `The format of this file: ${CONFIG_VERSION} for this linewatch; absent means 1. An older file is read migrated in memory and rewritten by \`linewatch config migrate\` or once an update is confirmed (docs/configuration.md)` }),
    site: Id,
    box: Id,
    timezone: Type.String({ default: 'UTC', minLength: 1, description: 'The site\'s time zone (IANA name, e.g. Europe/Moscow): business hours and the hours of the week are site time' }),
    board: StringEnum(['sim', 'pi-3b-plus', 'pi-4b', 'pi-5', 'cm4', 'pi-zero-2w', 'firmata'] as const, {
      description: 'The IO board: sim (simulated pins 0..31), a Raspberry Pi (GPIO character device; pins named GPIO17 or pin11, see boards/), or firmata (a USB Arduino/Pico panel running StandardFirmata; pins by number)',
    }),
    firmata: Type.Optional(
      Type.Object(
        { port: Type.String({ minLength: 1, description: 'The board\'s serial port, e.g. /dev/ttyACM0' }), baudRate: Type.Integer({ default: 57600, enum: [9600, 57600, 115200] }) },
        { ...strict, description: 'board: firmata — where the board is' },
      ),
    ),
    modems: Type.Array(ModemSchema, { default: [] }),
    lines: Type.Array(LineSchema, { default: [] }),
    uplinks: Type.Array(UplinkSchema, { default: [] }),
    failover: FailoverSchema,
    routing: RoutingSchema,
    panel: PanelSchema,
    alerts: AlertsSchema,
    numbering: Type.Optional(NumberingSchema),
    silence: SilenceSchema,
    testCalls: Type.Object(
      {
        everyMinutes: Type.Integer({ default: 0, minimum: 0, maximum: 10080, description: 'Test one line every this many minutes, in turn; 0: only on demand' }),
        ringSeconds: Type.Integer({ default: 30, minimum: 5, maximum: 120, description: 'How long the ring may take to arrive on the line' }),
        fromModems: Type.Array(Id, { default: [], description: 'The modems that dial, in order; empty: any that is up and does not carry the line' }),
      },
      { ...strict, default: {}, description: 'Test calls: the box dials a line\'s number from another modem and checks that the ring arrives on that line' },
    ),
    sitePhone: Type.Object(
      {
        webhook: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://', description: 'POSTed the site\'s numbers (JSON) whenever a line goes down or comes back; retried until it answers 2xx' }),
              token: Type.Optional(Type.String({ minLength: 8, description: 'Sent as Authorization: Bearer <token>' })),
              tokenFile: Type.Optional(Type.String({ minLength: 1, description: 'The token from a file of its own (its first line), relative to the config file; instead of token' })),
            },
            strict,
          ),
        ),
      },
      { ...strict, default: {}, description: 'The number swap on the store\'s web site: retained <base>/site/phone, and an optional webhook' },
    ),
    mqtt: MqttSchema,
    homeAssistant: HomeAssistantSchema,
    stats: StatsSchema,
    http: HttpSchema,
    storage: StorageSchema,
    update: UpdateSchema,
  },
  { ...strict, $id: 'https://linewatch.local/schema/linewatch.schema.json', title: 'linewatch configuration' },
)

export type Config = Static<typeof ConfigSchema>
export type ModemConfig = Static<typeof ModemSchema>
export type LineConfig = Static<typeof LineSchema>
export type SilenceConfig = Static<typeof SilenceSchema>
export type TestCallsConfig = Static<typeof ConfigSchema>['testCalls']
export type UplinkConfig = Static<typeof UplinkSchema>
export type ProbeTargetConfig = Static<typeof ProbeTargetSchema>
export type FailoverConfig = Static<typeof FailoverSchema>
export type RoutingConfig = Static<typeof RoutingSchema>
export type PlanConfig = Static<typeof PlanSchema>
export type PathConfig = Static<typeof PathSchema>
export type PanelConfig = Static<typeof PanelSchema>
export type LampConfig = Static<typeof LampSchema>
export type StackLightConfig = Static<typeof StackLightSchema>
export type BuzzPattern = Static<typeof BuzzPattern>
export type MqttConfig = Static<typeof MqttSchema>
export type HttpConfig = Static<typeof HttpSchema>
export type HomeAssistantConfig = Static<typeof HomeAssistantSchema>
export type StatsConfig = Static<typeof StatsSchema>
export type AlertsConfig = Static<typeof AlertsSchema>

/**
 * The JSON Schema as plain JSON (TypeBox's symbols dropped). A key with a
 * default is not required: a file may leave it out and the default applies
 * (TypeBox lists it as required because the type after defaults has it).
 */
export function jsonSchema(): TSchema {
  const relax = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(relax)
    if (!node || typeof node !== 'object') return
    const o = node as { properties?: Record<string, { default?: unknown }>; required?: string[] }
    if (o.properties && o.required) {
      o.required = o.required.filter((k) => o.properties![k]?.default === undefined)
      if (o.required.length === 0) delete o.required
    }
    Object.values(o).forEach(relax)
  }
  const schema = JSON.parse(JSON.stringify(ConfigSchema)) as TSchema
  relax(schema)
  return schema
}
