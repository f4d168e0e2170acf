import type { LineConfig } from '../config/schema.js'
import type { ChannelUse, ModemSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'
import type { Remembering } from '../core/box-memory.js'

/** The PBX's calls in progress per line, each with when it started: kept across a restart, so a repeated report is not a second call and the busy channels stay right. */
export type ChannelMemory = Record<string, [string, number][]>

/** A call the PBX never reported ended is let go after this long: a lost hang-up must not hold a channel for ever. */
export const STALE_CALL_MS = 4 * 3600_000
/** Calls held per line at most (far more than any line carries): the oldest go first. */
const MAX_CALLS = 2000

/**
 * Channels in use per line, from the calls the PBX reports (with an id, until
 * their hang-up) and, for a GSM line, the calls its own modem has (ringing,
 * dialling or in progress, test calls included: the box sees those itself,
 * whatever the PBX says), against the channels bought. A refusal by the carrier while
 * fewer channels than bought are busy is the sign that the carrier gives fewer
 * than contracted: `channelUse.short` with the counts (the alert follows from
 * it); cleared once every bought channel has carried a call at the same time.
 */
export class ChannelWatch implements Remembering<ChannelMemory> {
  memoryChanged?: () => void
  readonly #store: StateStore
  readonly #lines: Map<string, LineConfig>
  readonly #calls = new Map<string, Map<string, number>>()
  /** GSM lines by the modem that carries them, and the calls each modem has now. */
  readonly #byModem = new Map<string, string[]>()
  readonly #modemCalls = new Map<string, number>()
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'modem') this.#fromModem(c.id, c.next)
  }

  constructor(deps: { store: StateStore; lines: LineConfig[] }) {
    this.#store = deps.store
    this.#lines = new Map(deps.lines.map((l) => [l.id, l]))
    for (const l of deps.lines) {
      this.#calls.set(l.id, new Map())
      if (l.kind === 'gsm' && l.modem) this.#byModem.set(l.modem, [...(this.#byModem.get(l.modem) ?? []), l.id])
    }
  }

  remember(): ChannelMemory {
    return Object.fromEntries([...this.#calls].map(([line, calls]) => [line, [...calls]]))
  }

  recall(saved: ChannelMemory): void {
    for (const [line, calls] of this.#calls) {
      const kept = saved?.[line]
      if (!Array.isArray(kept)) continue
      for (const c of kept.slice(-MAX_CALLS)) if (Array.isArray(c) && typeof c[0] === 'string' && typeof c[1] === 'number') calls.set(c[0], c[1])
    }
  }

  /** Follows the modems' own calls. */
  start(): void {
    this.#store.on('change', this.#onChange)
    for (const modem of this.#byModem.keys()) {
      const m = this.#store.get('modem', modem)
      if (m) this.#fromModem(modem, m)
    }
    // calls recalled from before a restart hold their channels
    for (const line of this.#calls.keys()) this.#publish(line)
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
  }

  #fromModem(modem: string, m: ModemSnapshot): void {
    const lines = this.#byModem.get(modem)
    if (!lines) return
    // a call ringing in, or one the modem placed (dialling, alerting, active): the SIM's channel is taken
    const calls = m.call || m.ringing ? 1 : 0
    if ((this.#modemCalls.get(modem) ?? 0) === calls) return
    this.#modemCalls.set(modem, calls)
    for (const line of lines) this.#publish(line)
  }

  /** Busy channels: the PBX's calls, or the modem's own when it has more (the PBX may report the same call, or not at all). */
  #busy(line: string): number {
    const modem = this.#lines.get(line)?.modem
    const own = modem && this.#byModem.has(modem) ? (this.#modemCalls.get(modem) ?? 0) : 0
    return Math.max(this.#calls.get(line)!.size, own)
  }

  /** A call holds a channel from `at` (the box's clock: a PBX clock behind must not age it). False for an id already held (a repeated report). */
  started(line: string, id: string, at: number): boolean {
    const calls = this.#calls.get(line)
    if (!calls || calls.has(id)) return false
    calls.set(id, at)
    // a PBX that never reports hang-ups must not grow this without end
    if (calls.size > MAX_CALLS) calls.delete(calls.keys().next().value!)
    this.memoryChanged?.()
    this.#publish(line)
    return true
  }

  ended(line: string, id: string): void {
    if (!this.#calls.get(line)?.delete(id)) return
    this.memoryChanged?.()
    this.#publish(line)
  }

  refused(line: string, cause: string | null): void {
    const cfg = this.#lines.get(line)
    const use = this.#store.get('line', line)?.channelUse
    if (!cfg || !use) return
    const busy = this.#busy(line)
    if (busy >= cfg.channels) return // every bought channel busy: a refusal is what was bought
    const short = use.short
    this.#store.update('line', line, {
      // the fewest busy channels a refusal came at is the carrier's real number
      channelUse: { ...use, busy, short: { at: this.#store.clock.now(), busy: short ? Math.min(short.busy, busy) : busy, cause, refusals: (short?.refusals ?? 0) + 1 } },
    })
  }

  /** Time moves (every minute): calls without a hang-up for hours are let go. */
  tick(now: number): void {
    for (const [line, calls] of this.#calls) {
      let dropped = false
      for (const [id, at] of calls) if (now - at > STALE_CALL_MS) dropped = calls.delete(id) || dropped
      if (!dropped) continue
      this.memoryChanged?.()
      this.#publish(line)
    }
  }

  #publish(line: string): void {
    const cfg = this.#lines.get(line)!
    const use = this.#store.get('line', line)?.channelUse
    if (!use) return
    const busy = this.#busy(line)
    // the same busy, peak and short as now: nothing to publish
    if (busy === use.busy && busy <= use.peak && (busy < cfg.channels || use.short === null)) return
    const next: ChannelUse = { busy, peak: Math.max(use.peak, busy), short: busy >= cfg.channels ? null : use.short }
    this.#store.update('line', line, { channelUse: next })
  }
}
