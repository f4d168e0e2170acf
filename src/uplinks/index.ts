import type { UplinkConfig } from '../config/schema.js'
import type { UplinkSnapshot } from '../core/state.js'

/** An uplink as the box knows it before any probe exists: listed, `unknown`, saying why. */
export function initialUplink(cfg: UplinkConfig, now: number): UplinkSnapshot {
  return {
    id: cfg.id,
    interface: cfg.interface,
    state: 'unknown',
    reason: 'not probed yet (uplink monitoring is not built yet)',
    since: now,
    ts: now,
    lossPct: null,
    rttMs: null,
    jitterMs: null,
  }
}
