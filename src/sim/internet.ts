import type { Clock } from '../core/clock.js'
import type { ProbeBinding, ProbeResult, ProbeTarget } from '../uplinks/probes.js'
import type { RouteControl, UplinkRoute } from '../uplinks/routes.js'

export const SIM_UPLINK_PREFIX = 'sim:'

/** One simulated provider: how its packets fare. */
export interface SimLink {
  cut: boolean
  /** Each probe is lost with this chance (percent). */
  lossPct: number
  /** Round trip, and how much it varies (uniform ±). */
  rttMs: number
  jitterMs: number
}

/**
 * The internet behind simulated uplinks (`interface: sim:<name>`): probes
 * answered or lost as each link is set, on the box's clock, and the default
 * routes the box sets kept in a table instead of the kernel's. The demo's
 * `uplink cut|lossy|slow|restore` commands change the links.
 */
export class SimInternet implements RouteControl {
  readonly links = new Map<string, SimLink>()
  /** What the box last set (metrics mode), as `ip route` would show it. */
  routes: UplinkRoute[] = []
  flushed: string[] = []

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  add(iface: string): SimLink {
    const link = { cut: false, lossPct: 0, rttMs: 20 + 10 * this.links.size, jitterMs: 2 }
    this.links.set(iface, link)
    return link
  }

  /** The interface the lowest-metric default route uses, or null. */
  get defaultInterface(): string | null {
    return [...this.routes].sort((a, b) => a.metric - b.metric)[0]?.interface ?? null
  }

  readonly addressOf = (iface: string): string | null => {
    const i = [...this.links.keys()].indexOf(iface)
    return i < 0 ? null : `192.0.2.${i + 10}`
  }

  readonly probe = (_target: ProbeTarget, bind: ProbeBinding, timeoutMs: number): Promise<ProbeResult> => {
    const link = this.links.get(bind.interface)
    if (!link) return Promise.resolve({ ok: false, rttMs: null, error: `no interface ${bind.interface}` })
    const lost = link.cut || this.random() * 100 < link.lossPct
    const rtt = Math.max(0.1, link.rttMs + (2 * this.random() - 1) * link.jitterMs)
    return new Promise((resolve) => {
      if (lost || rtt > timeoutMs) this.clock.setTimeout(() => resolve({ ok: false, rttMs: null, error: 'timeout' }), timeoutMs)
      else this.clock.setTimeout(() => resolve({ ok: true, rttMs: Math.round(rtt * 10) / 10 }), rtt)
    })
  }

  async apply(routes: UplinkRoute[]): Promise<void> {
    this.routes = routes.map((r) => ({ ...r }))
  }

  async flushConntrack(address: string): Promise<{ deleted: number }> {
    this.flushed.push(address)
    return { deleted: 0 }
  }
}
