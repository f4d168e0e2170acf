import { Type, type Static } from '@sinclair/typebox'
import {
  PartStateSchema,
  RECOVERY_STEPS,
  type ActionEvent,
  type AlertRecord,
  type CallRecord,
  type DayFigures,
  type LineSnapshot,
  type ModemSnapshot,
  type PanelSnapshot,
  type RoutedCallRecord,
  type RoutingStats,
  type SitePhone,
  type UplinkSnapshot,
} from '../core/state.js'

const closed = { additionalProperties: false } as const

export const DroppedEventSchema = Type.Object(
  { type: Type.Literal('dropped'), dropped: Type.Object({ event: Type.Integer(), call: Type.Integer(), alert: Type.Integer() }, closed), ts: Type.Number() },
  { ...closed, description: 'Messages the outbox dropped over its disk budget since the last such event, by kind: the seq gaps they left.' },
)
export type DroppedEvent = Static<typeof DroppedEventSchema>

export const StateEventSchema = Type.Object(
  { type: Type.Literal('state'), source: Type.String({ description: '`modem/<id>`, `line/<id>` or `uplink/<id>`' }), from: Type.Union([PartStateSchema, Type.Null()]), to: PartStateSchema, reason: Type.String(), ts: Type.Number() },
  { ...closed, description: "A part's state changed." },
)
export type StateEvent = Static<typeof StateEventSchema>

export const RecoveryEventSchema = Type.Object(
  { type: Type.Literal('recovery'), source: Type.String(), step: Type.Unsafe<(typeof RECOVERY_STEPS)[number] | 'recovered'>({ type: 'string', enum: [...RECOVERY_STEPS, 'recovered'] }), round: Type.Integer(), ts: Type.Number() },
  { ...closed, description: "A step of a modem's recovery ladder, or `recovered`." },
)
export type RecoveryEvent = Static<typeof RecoveryEventSchema>

/** Every topic under `<baseTopic>/<site>/<box>` the box publishes, and its payload: the MQTT contract in one place. */
export interface TopicPayloads {
  status: 'online' | 'offline'
  [modem: `modem/${string}`]: ModemSnapshot
  [line: `line/${string}`]: LineSnapshot
  [uplink: `uplink/${string}`]: UplinkSnapshot
  panel: PanelSnapshot
  'site/phone': SitePhone
  alert: AlertRecord
  call: CallRecord | RoutedCallRecord
  stats: RoutingStats
  'stats/day': DayFigures
  event: StateEvent | RecoveryEvent | ActionEvent | DroppedEvent
}

export function baseTopic(root: string, site: string, box: string): string {
  return `${root.replace(/\/+$/, '')}/${site}/${box}`
}
