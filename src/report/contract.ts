/**
 * The whole MQTT contract as data: every topic the box publishes or listens
 * to, with its TypeBox payload schema (the same schemas the code's types come
 * from). docs/asyncapi.yaml is written from it (scripts/write-asyncapi.ts), and
 * test/report/asyncapi.test.ts checks what a demo box publishes against it.
 * Kept apart from topics.ts so a running box never loads it.
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { UpdateProgressSchema } from '../update/progress.js'
import { ActionEventSchemas, AlertRecordSchema, CallRecordSchema, DayFiguresSchema, LineSnapshotSchema, ModemSnapshotSchema, PanelSnapshotSchema, RoutedCallRecordSchema, RoutingStatsSchema, SitePhoneSchema, UplinkSnapshotSchema } from '../core/state.js'
import { RouteAnswerSchema } from '../lcr/router.js'
import { PBX_REPORT_SCHEMA } from '../lines/pbx-report.js'
import { COMMAND_REQUESTS, CommandResultSchema } from './command-schemas.js'
import { DroppedEventSchema, RecoveryEventSchema, StateEventSchema } from './topics.js'

const closed = { additionalProperties: false } as const

/** The outbox numbers every QoS 1 message: the same object with `seq`. */
const Seq = Type.Integer({ minimum: 1, description: 'Increasing by one per box across alert, event and call: the office drops a seq it has (a QoS 1 copy) and sees a gap' })
function withSeq(s: TObject): TObject {
  return Type.Object({ ...s.properties, seq: Seq }, { ...closed, description: s.description })
}
const oneOf = (schemas: readonly TObject[], description: string) => Type.Union(schemas.map(withSeq), { description })

/** One channel of the contract. `{…}` in the address is a parameter. */
export interface Channel {
  address: string
  /** send: the box publishes; receive: the box subscribes. */
  action: 'send' | 'receive'
  qos: 0 | 1
  retained: boolean
  summary: string
  payload: TSchema
  /** Outside `<base>`: the address as it is (Home Assistant's). */
  absolute?: boolean
}

const text = (values: string[], description: string) => Type.Unsafe<string>({ type: 'string', enum: values, description })

/**
 * The channels, in the order the document lists them.
 */
export const CHANNELS: Channel[] = [
  { address: 'status', action: 'send', qos: 1, retained: true, summary: 'online, or offline (also the last will, delayed by mqtt.willDelaySeconds under MQTT 5)', payload: text(['online', 'offline'], 'plain text') },
  { address: 'modem/{id}', action: 'send', qos: 1, retained: true, summary: 'a GSM modem', payload: ModemSnapshotSchema },
  { address: 'line/{id}', action: 'send', qos: 1, retained: true, summary: 'a phone line', payload: LineSnapshotSchema },
  { address: 'uplink/{id}', action: 'send', qos: 1, retained: true, summary: 'an internet uplink', payload: UplinkSnapshotSchema },
  { address: 'panel', action: 'send', qos: 1, retained: true, summary: 'what the lamps and the buzzer show', payload: PanelSnapshotSchema },
  { address: 'site/phone', action: 'send', qos: 1, retained: true, summary: "the store's numbers, working lines first", payload: SitePhoneSchema },
  { address: 'stats', action: 'send', qos: 1, retained: true, summary: "today's routing totals and (`calls`) today's call figures, refreshed at most once a minute", payload: RoutingStatsSchema },
  { address: 'stats/day', action: 'send', qos: 1, retained: false, summary: "a finished site day's call figures, once after midnight (through the durable outbox)", payload: withSeq(DayFiguresSchema) },
  { address: 'update', action: 'send', qos: 1, retained: true, summary: "an update's progress, stage by stage (docs/updates.md)", payload: UpdateProgressSchema },
  { address: 'alert', action: 'send', qos: 1, retained: false, summary: 'an alert raised or cleared (through the durable outbox)', payload: withSeq(AlertRecordSchema) },
  { address: 'event', action: 'send', qos: 1, retained: false, summary: 'a state change, a recovery step, an action the box took, or messages dropped for the disk budget', payload: oneOf([StateEventSchema, RecoveryEventSchema, ...ActionEventSchemas, DroppedEventSchema], 'one of the event types, told apart by `type`') },
  { address: 'call', action: 'send', qos: 1, retained: false, summary: "a call the box saw (ringing, then ended), or a routed attempt the PBX reported (`type: \"routed\"`)", payload: oneOf([CallRecordSchema, RoutedCallRecordSchema], 'a call record, or a routed attempt') },
  { address: 'cmd/{name}/result', action: 'send', qos: 1, retained: false, summary: "a command's result (also on the request's MQTT 5 response topic, with its correlation data)", payload: CommandResultSchema },
  { address: 'route/response/{id}', action: 'send', qos: 1, retained: false, summary: 'the answer to a route request', payload: RouteAnswerSchema },
  ...Object.entries(COMMAND_REQUESTS).map(([name, schema]): Channel => ({ address: `cmd/${name}`, action: 'receive', qos: 1, retained: false, summary: schema.description ?? name, payload: schema })),
  { address: 'route/request', action: 'receive', qos: 1, retained: false, summary: 'which paths a call would take (the answer on route/response/<id>)', payload: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }), to: Type.String() }) },
  { address: 'pbx/{line}/report', action: 'receive', qos: 1, retained: false, summary: 'the PBX reports a call, a hang-up, a refusal or its trunk registration on a line with pbxReports', payload: Type.Unsafe(PBX_REPORT_SCHEMA) },
  { address: 'ack', action: 'receive', qos: 1, retained: false, summary: 'with mqtt.officeAck: the highest seq the office has stored', payload: Type.Union([Type.Object({ seq: Type.Integer({ minimum: 1 }) }), Type.Integer({ minimum: 1 })]) },
  { address: 'panel/test', action: 'receive', qos: 1, retained: false, summary: 'the lamp test (any payload; the cmd/lamp-test command answers)', payload: Type.Unknown() },
  { address: 'panel/silence', action: 'receive', qos: 1, retained: false, summary: 'the silence button (any payload)', payload: Type.Unknown() },
  {
    address: '{discoveryPrefix}/{component}/{node}/{object}/config',
    absolute: true,
    action: 'send',
    qos: 1,
    retained: true,
    summary: 'with homeAssistant.enabled: a Home Assistant discovery config (docs/home-assistant.md); empty to remove one',
    payload: Type.Union([Type.Object({ unique_id: Type.String(), name: Type.String(), device: Type.Object({ identifiers: Type.Array(Type.String()) }), availability: Type.Array(Type.Object({ topic: Type.String() })) }), Type.Literal('')]),
  },
  { address: '{discoveryPrefix}/status', absolute: true, action: 'receive', qos: 1, retained: false, summary: "Home Assistant's birth message: the box announces itself again on `online`", payload: text(['online', 'offline'], 'plain text') },
]
