import type { LineConfig } from '../config/schema.js'
import type { Clock, Timer } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { PartState } from '../core/state.js'
import type { StateStore } from '../core/store.js'
import type { LineMonitor } from './monitor.js'
import { probeSip, type SipProbeResult, type SipProbeTarget } from './sip-options.js'

type SipConfig = NonNullable<LineConfig['sip']>

/**
 * A SIP trunk's state from OPTIONS keepalives to the carrier's proxy, every
 * `everySeconds`: any final answer is `up` (the code and round trip in the
 * line's `probe`), 503 is `degraded` (there, refusing service), and
 * `downAfter` probes in a row without an answer are `down`. One lost probe
 * changes nothing: UDP loses packets. Pure: the probe's result in, the state out.
 */
export function sipLineState(cfg: SipConfig, r: SipProbeResult, missedInRow: number, prev: PartState): { state: PartState; reason: string } {
  const where = `${cfg.proxy}:${cfg.port}/${cfg.transport}`
  if (r.code === null) {
    if (missedInRow >= cfg.downAfter) return { state: 'down', reason: `no answer to SIP OPTIONS from ${where} (${missedInRow} in a row: ${r.reason})` }
    return { state: prev === 'unknown' ? 'unknown' : prev, reason: `SIP OPTIONS to ${where}: ${r.reason} (${missedInRow} of ${cfg.downAfter} before down)` }
  }
  if (r.code === 503) return { state: 'degraded', reason: `SIP proxy ${where} answers 503 ${r.reason}`.trim() }
  return { state: 'up', reason: `SIP proxy ${where} answers ${r.code} ${r.reason} in ${r.rttMs} ms`.replace(/ {2}/g, ' ') }
}

/** Probes every SIP line that has a `sip` section, on the injected clock; one probe per line at a time. */
export class SipMonitor {
  readonly #store: StateStore
  readonly #lineSignals: Pick<LineMonitor, 'signal'>
  readonly #lines: (LineConfig & { sip: SipConfig })[]
  readonly #clock: Clock
  readonly #log: Logger
  readonly #probe: (t: SipProbeTarget) => Promise<SipProbeResult>
  readonly #timers: Timer[] = []
  readonly #missed = new Map<string, number>()
  readonly #busy = new Set<string>()
  #stopped = false

  constructor(deps: { store: StateStore; signals: Pick<LineMonitor, 'signal'>; lines: LineConfig[]; clock: Clock; log: Logger; probe?: (t: SipProbeTarget) => Promise<SipProbeResult> }) {
    this.#store = deps.store
    this.#lineSignals = deps.signals
    this.#lines = deps.lines.filter((l): l is LineConfig & { sip: SipConfig } => l.kind === 'sip' && l.sip !== undefined)
    this.#clock = deps.clock
    this.#log = deps.log.child({ module: 'sip' })
    this.#probe = deps.probe ?? probeSip
  }

  start(): void {
    this.#stopped = false
    for (const l of this.#lines) {
      this.#store.update('line', l.id, { reason: `probing SIP proxy ${l.sip.proxy}:${l.sip.port}` })
      void this.probe(l.id)
      this.#timers.push(this.#clock.setInterval(() => void this.probe(l.id), l.sip.everySeconds * 1000))
    }
  }

  stop(): void {
    this.#stopped = true
    for (const t of this.#timers.splice(0)) t.cancel()
  }

  /** One probe of one line now (the timer's, or a test's). */
  async probe(id: string): Promise<void> {
    const l = this.#lines.find((x) => x.id === id)
    if (!l || this.#busy.has(id)) return
    this.#busy.add(id)
    try {
      const r = await this.#probe({ host: l.sip.proxy, port: l.sip.port, transport: l.sip.transport, timeoutMs: l.sip.timeoutMs })
      if (this.#stopped) return
      const missed = r.code === null ? (this.#missed.get(id) ?? 0) + 1 : 0
      this.#missed.set(id, missed)
      const prev = this.#store.get('line', id)?.signals.options?.state ?? 'unknown'
      if (r.code === null) this.#log.warn({ line: id, reason: r.reason, missed }, 'SIP OPTIONS unanswered')
      this.#lineSignals.signal(id, 'options', sipLineState(l.sip, r, missed, prev), { probe: { code: r.code, reason: r.reason, rttMs: r.rttMs, at: this.#clock.now() } })
    } finally {
      this.#busy.delete(id)
    }
  }
}
