import type { ActionEvent, SitePhone, AlertRecord, CallRecord, RoutedCallRecord, RoutingStats, LineSnapshot, ModemSnapshot, PanelSnapshot, PartState, UplinkSnapshot } from '../core/state.js'

/** Every topic under `<baseTopic>/<site>/<box>` and its payload: the MQTT contract in one place. */
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
  event: StateEvent | RecoveryEvent | ActionEvent | DroppedEvent
}

/** Messages the outbox dropped over its disk budget since the last such event, by kind: the seq gaps they left. */
export interface DroppedEvent {
  type: 'dropped'
  dropped: { event: number; call: number; alert: number }
  ts: number
}

export interface StateEvent {
  type: 'state'
  source: string
  from: PartState | null
  to: PartState
  reason: string
  ts: number
}

/** A step of a modem's recovery ladder, or `recovered`. */
export interface RecoveryEvent {
  type: 'recovery'
  source: string
  step: NonNullable<ModemSnapshot['recovery']>['step'] | 'recovered'
  round: number
  ts: number
}

export function baseTopic(root: string, site: string, box: string): string {
  return `${root.replace(/\/+$/, '')}/${site}/${box}`
}
