import type { ModemConfig } from '../config/schema.js'
import { isRegistered, type ModemSnapshot, type PartState } from '../core/state.js'
import { STEP_TEXT } from './recovery.js'

/** A modem's state and reason from what the driver knows: the port, answering, registration, recovery. Pure. */
export function modemHealth(m: Pick<ModemSnapshot, 'answering' | 'registration' | 'operator' | 'recovery'> & { portError: string | null }): { state: PartState; reason: string } {
  const r = m.recovery
  const recovering = r ? `; recovering: ${STEP_TEXT[r.step]} (round ${r.round})` : ''
  if (m.portError) return { state: 'down', reason: m.portError + recovering }
  if (!m.answering) return { state: 'down', reason: `not answering${recovering}` }
  // not read yet (or the modem itself says "unknown"): no verdict, so a boot raises no false alarm
  if (m.registration === 'unknown') return { state: 'unknown', reason: 'registration not known yet' }
  if (isRegistered(m.registration)) {
    return { state: 'up', reason: `registered (${m.registration})${m.operator ? ` on ${m.operator}` : ''}` }
  }
  return { state: 'degraded', reason: `not registered (${m.registration})` }
}

export function initialModem(cfg: ModemConfig, now: number): ModemSnapshot {
  return {
    id: cfg.id,
    port: cfg.port,
    identity: { manufacturer: null, model: null, firmware: null, imei: null, iccid: null, imsi: null },
    state: 'unknown',
    reason: 'starting',
    since: now,
    ts: now,
    answering: false,
    registration: 'unknown',
    lac: null,
    cellId: null,
    operator: null,
    signal: { csq: null, rssiDbm: null },
    sim: 'unknown',
    ringing: null,
    call: null,
    lastCall: null,
    callsSeen: 0,
    recovery: null,
    balance: null,
  }
}

