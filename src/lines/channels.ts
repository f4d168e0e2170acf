import type { LineConfig } from '../config/schema.js'
import type { ChannelUse } from '../core/state.js'
import type { StateStore } from '../core/store.js'

/** A call the PBX never reported ended is let go after this long: a lost hang-up must not hold a channel for ever. */
export const STALE_CALL_MS = 4 * 3600_000
/** Calls held per line at most (far more than any line carries): the oldest go first. */
const MAX_CALLS = 2000

/**
 * Channels in use per line, from the calls the PBX reports (with an id, until
 * their hang-up), against the channels bought. A refusal by the carrier while
 * fewer channels than bought are busy is the sign that the carrier gives fewer
 * than contracted: `channelUse.short` with the counts (the alert follows from
 * it); cleared once every bought channel has carried a call at the same time.
 */
export class ChannelWatch {
  readonly #store: StateStore
  readonly #lines: Map<string, LineConfig>
  readonly #calls = new Map<string, Map<string, number>>()

  constructor(deps: { store: StateStore; lines: LineConfig[] }) {
    this.#store = deps.store
    this.#lines = new Map(deps.lines.map((l) => [l.id, l]))
    for (const l of deps.lines) this.#calls.set(l.id, new Map())
  }

  /** A call holds a channel from `at` (the box's clock: a PBX clock behind must not age it). False for an id already held (a repeated report). */
  started(line: string, id: string, at: number): boolean {
    const calls = this.#calls.get(line)
    if (!calls || calls.has(id)) return false
    calls.set(id, at)
    // a PBX that never reports hang-ups must not grow this without end
    if (calls.size > MAX_CALLS) calls.delete(calls.keys().next().value!)
    this.#publish(line)
    return true
  }

  ended(line: string, id: string): void {
    if (this.#calls.get(line)?.delete(id)) this.#publish(line)
  }

  refused(line: string, cause: string | null): void {
    const cfg = this.#lines.get(line)
    const use = this.#store.get('line', line)?.channelUse
    if (!cfg || !use) return
    const busy = this.#calls.get(line)!.size
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
      if (dropped) this.#publish(line)
    }
  }

  #publish(line: string): void {
    const cfg = this.#lines.get(line)!
    const use = this.#store.get('line', line)?.channelUse
    if (!use) return
    const busy = this.#calls.get(line)!.size
    const next: ChannelUse = { busy, peak: Math.max(use.peak, busy), short: busy >= cfg.channels ? null : use.short }
    this.#store.update('line', line, { channelUse: next })
  }
}
