import type { Clock } from '../core/clock.js'
import { confirmed, type BootStateFile, type Slot } from './boot-state.js'

/**
 * After a trial boot (docs/updates.md): the new system has `update.confirmMinutes` to be healthy, or it
 * reboots, and the initramfs then falls back. Run by linewatch-update-confirm.service as root, apart
 * from the box's own process, so a box that hangs or dies cannot keep it from rebooting.
 */
export interface HealthProbes {
  /** Each: null when healthy, else why not, in words. */
  service(): Promise<string | null>
  healthz(): Promise<string | null>
  /** Connected to its broker, or no broker configured. */
  mqtt(): Promise<string | null>
}

export type ConfirmOutcome = { outcome: 'not-on-trial' } | { outcome: 'confirmed'; afterMs: number } | { outcome: 'rebooting'; problem: string }

/** Healthy this many checks in a row: a box that starts and falls over at once is not confirmed. */
export const IN_A_ROW = 2
export const POLL_MS = 10_000

export async function confirmTrial(o: {
  states: BootStateFile
  running: Slot | null
  probes: HealthProbes
  clock: Clock
  withinMs: number
  pollMs?: number
  reboot: (problem: string) => Promise<void>
  log?: (line: string) => void
}): Promise<ConfirmOutcome> {
  const state = await o.states.read()
  if (!o.running || state.trying !== o.running) return { outcome: 'not-on-trial' }
  const pollMs = o.pollMs ?? POLL_MS
  const start = o.clock.now()
  let inARow = 0
  let problem = 'not checked yet'
  for (;;) {
    problem = (await firstProblem(o.probes)) ?? ''
    inARow = problem ? 0 : inARow + 1
    if (inARow >= IN_A_ROW) {
      const next = confirmed(await o.states.read(), o.running)
      if (next) await o.states.write(next)
      o.log?.(`slot ${o.running} confirmed healthy after ${Math.round((o.clock.now() - start) / 1000)} s`)
      return { outcome: 'confirmed', afterMs: o.clock.now() - start }
    }
    if (o.clock.now() - start + pollMs > o.withinMs) break
    await new Promise<void>((r) => o.clock.setTimeout(r, pollMs))
  }
  const why = `not healthy within ${Math.round(o.withinMs / 60000)} min (${problem || 'healthy too briefly'}): rebooting to fall back`
  o.log?.(`slot ${o.running} ${why}`)
  await o.reboot(why)
  return { outcome: 'rebooting', problem: why }
}

async function firstProblem(p: HealthProbes): Promise<string | null> {
  for (const [name, probe] of [['service', p.service], ['/healthz', p.healthz], ['mqtt', p.mqtt]] as const) {
    const why = await probe().catch((err: Error) => err.message)
    if (why) return `${name}: ${why}`
  }
  return null
}

/** The old system, after a fallback: what to say, once; the caller clears `fallback` when it is said. */
export function fallbackReport(s: { fallback: Slot | null; active: Slot; versions: Record<Slot, string | null> }): { type: 'update'; stage: 'fell-back'; slot: Slot; version: string | null; running: Slot; runningVersion: string | null; message: string } | null {
  if (!s.fallback) return null
  const v = s.versions[s.fallback]
  return {
    type: 'update',
    stage: 'fell-back',
    slot: s.fallback,
    version: v,
    running: s.active,
    runningVersion: s.versions[s.active],
    message: `the update to ${v ?? 'a new version'} (slot ${s.fallback}) did not prove healthy: back on ${s.versions[s.active] ?? 'the previous version'} (slot ${s.active})`,
  }
}
